/**
 * The auditor's memory: the checkpoints it has seen, per log origin, in a JSON file
 * (~/.cagnotte/checkpoints.json unless `--state FILE`). Written whole to a temporary file and
 * renamed, so that a crash never leaves half a file. Its content is verified again on every use
 * (protocol/audit/forks.ts), so editing it by hand can lose evidence but never invent any.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CheckpointHistory } from '../../protocol/audit/forks.ts';
import { ReadError } from './sources.ts';

/** Reads the history; a missing file is an empty one. */
export async function loadHistory(path: string): Promise<CheckpointHistory> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return {};
    throw new ReadError(`cannot read the state file ${path}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ReadError(`the state file ${path} is not JSON`);
  }
  const logs = (value as { logs?: unknown } | null)?.logs;
  if (typeof logs !== 'object' || logs === null || Array.isArray(logs))
    throw new ReadError(`the state file ${path} has no "logs" object`);
  return logs as CheckpointHistory;
}

/** Writes the history atomically (mode 0600, directory 0700). */
export async function saveHistory(path: string, history: CheckpointHistory): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify({ version: 1, logs: history }, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, path);
}
