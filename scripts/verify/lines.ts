/**
 * Export lines a chunk at a time (node/export/lines.ts), and each line decoded and parsed. The
 * auditor's walk spends a few microseconds per entry on anything per line, so a chunk's complete
 * lines come out together and are handed out synchronously by the caller, not one promise each.
 */
import { lineBatches as splitBatches } from '../../node/export/lines.ts';
import { fromUtf8 } from '../../protocol/encoding.ts';
import type { SourceEntry } from './sources.ts';

/** A file that is not lines (a line too long, no final newline); `problem` says which. */
export class LineError extends Error {
  override name = 'LineError';
}

/** Splits a byte stream into batches of lines (without their newline), refusing overlong ones. */
export function lineBatches(chunks: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array[]> {
  return splitBatches(chunks, (problem) => new LineError(problem));
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
 * An entry line parsed, with its bytes (which the audit takes as the leaf when they are canonical).
 * Decoded as {@link parseJson} decodes: malformed UTF-8 is not JSON, a byte order mark is dropped
 * (the bytes keep it, so such a line never passes for canonical).
 */
export function parseLine(line: Uint8Array): SourceEntry {
  try {
    return { value: JSON.parse(fromUtf8(line)), line };
  } catch {
    return { value: undefined, line, notJson: true };
  }
}
