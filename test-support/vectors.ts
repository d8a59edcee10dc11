// Published test vectors live beside the checkout (../shared/vectors), in CI as on a laptop.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const VECTORS_DIR = fileURLToPath(new URL('../../shared/vectors/', import.meta.url));

/** Parses a JSON vector file, by path relative to the vectors folder. */
export function readVectorJson<T = unknown>(relativePath: string): T {
  return JSON.parse(readFileSync(new URL(relativePath, `file://${VECTORS_DIR}`), 'utf8')) as T;
}

/** Reads a vector file as text. */
export function readVectorText(relativePath: string): string {
  return readFileSync(new URL(relativePath, `file://${VECTORS_DIR}`), 'utf8');
}
