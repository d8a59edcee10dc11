/**
 * An export file as lines: the one splitter behind the import (node/export/bulk.ts, a line at a
 * time) and the auditor (scripts/verify/lines.ts, a chunk's lines at a time, since it spends a few
 * microseconds per entry on anything per line).
 */
import { concatBytes } from '../../protocol/encoding.ts';

/** Longest line an import or an audit accepts. */
export const MAX_LINE_BYTES = 1024 * 1024;

/**
 * Splits a byte stream into batches of lines (without their newline): the complete lines of each
 * chunk together. A file that is not lines (a line over {@link MAX_LINE_BYTES}, no final newline)
 * throws what `refuse` makes of the problem.
 */
export async function* lineBatches(
  chunks: AsyncIterable<Uint8Array>,
  refuse: (problem: string) => Error,
): AsyncIterable<Uint8Array[]> {
  let pending: Uint8Array[] = [];
  let pendingLength = 0;
  for await (const chunk of chunks) {
    const lines: Uint8Array[] = [];
    let start = 0;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, start)) {
      const part = chunk.subarray(start, i);
      lines.push(pending.length === 0 ? part : concatBytes(...pending, part));
      pending = [];
      pendingLength = 0;
      start = i + 1;
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingLength += chunk.length - start;
      if (pendingLength > MAX_LINE_BYTES) throw refuse('a line is longer than 1 MiB');
    }
    if (lines.length > 0) yield lines;
  }
  if (pendingLength > 0) throw refuse('the file does not end with a newline (truncated?)');
}
