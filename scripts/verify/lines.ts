/**
 * Export lines a chunk at a time, and each line decoded and parsed. The auditor's walk spends a few
 * microseconds per entry on anything per line, and node/export/bulk.ts's splitLines hands lines out
 * one promise each: here a chunk's complete lines come out together and are handed out
 * synchronously by the caller. The limits and their words are splitLines's.
 */
import { isUtf8 } from 'node:buffer';
import { fromUtf8 } from '../../protocol/encoding.ts';
import type { SourceEntry } from './sources.ts';

/** Longest line, as an import accepts it. */
const MAX_LINE_BYTES = 1024 * 1024;

/** A file that is not lines (a line too long, no final newline); `problem` says which. */
export class LineError extends Error {
  override name = 'LineError';
}

/** Splits a byte stream into batches of lines (without their newline), refusing overlong ones. */
export async function* lineBatches(chunks: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array[]> {
  let pending: Uint8Array[] = [];
  let pendingLength = 0;
  for await (const chunk of chunks) {
    const lines: Uint8Array[] = [];
    let start = 0;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, start)) {
      const part = chunk.subarray(start, i);
      lines.push(pending.length === 0 ? part : join([...pending, part], pendingLength + part.length));
      pending = [];
      pendingLength = 0;
      start = i + 1;
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingLength += chunk.length - start;
      if (pendingLength > MAX_LINE_BYTES) throw new LineError('a line is longer than 1 MiB');
    }
    if (lines.length > 0) yield lines;
  }
  if (pendingLength > 0) throw new LineError('the file does not end with a newline (truncated?)');
}

function join(parts: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A line parsed as JSON, or undefined when it is not (UTF-8 decoded strictly). */
export function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(fromUtf8(bytes));
  } catch {
    return undefined;
  }
}

/**
 * An entry line parsed, with its text. Decodes as `fromUtf8` does (malformed UTF-8 is not JSON, a
 * byte order mark is dropped) but through Buffer, several times faster than a fatal TextDecoder;
 * the text kept is the bytes' exact decoding, BOM included, as the verifier's line check needs.
 */
export function parseLine(line: Uint8Array): SourceEntry {
  if (!isUtf8(line)) return { value: undefined, line, notJson: true };
  const text = Buffer.from(line.buffer, line.byteOffset, line.byteLength).toString('utf8');
  try {
    const value: unknown = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    return { value, line, text };
  } catch {
    return { value: undefined, line, notJson: true };
  }
}
