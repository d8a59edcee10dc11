/**
 * Value and key codecs for the store. Values are bytes; these helpers keep JSON, text and
 * fixed-width numbers in one place so that every reader decodes what writers encode.
 */
import { fromUtf8, utf8 } from '../../protocol/encoding.ts';

/** JSON value to bytes (UTF-8). `bigint`s must be converted by the caller first. */
export function jsonValue(value: unknown): Uint8Array {
  return utf8(JSON.stringify(value));
}

/** Bytes written by {@link jsonValue} back to a value. */
export function parseJsonValue<T = unknown>(bytes: Uint8Array): T {
  return JSON.parse(fromUtf8(bytes)) as T;
}

/** Text to bytes. */
export const textValue = utf8;
/** Bytes to text (strict UTF-8). */
export const parseTextValue = fromUtf8;

/** Width of a sequence number in keys: enough for Number.MAX_SAFE_INTEGER. */
const SEQ_WIDTH = 16;
const SEQ_KEY = /^\d{16}$/;

/** A sequence number as a key that sorts numerically: zero-padded to 16 decimal digits. */
export function seqKey(seq: number): string {
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`invalid sequence number ${seq}`);
  return seq.toString().padStart(SEQ_WIDTH, '0');
}

/** Parses a key made by {@link seqKey}. */
export function parseSeqKey(key: string): number {
  if (!SEQ_KEY.test(key)) throw new RangeError(`not a sequence key: ${key}`);
  return Number(key);
}
