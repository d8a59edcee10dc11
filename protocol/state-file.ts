/**
 * A binary container for a saved state whose bulk is typed arrays (chain-snapshot.ts version 3):
 * a small JSON header and raw sections that a reader takes as views, without parsing, decoding
 * or copying megabytes of text. Layout, numbers in the writer's byte order:
 *
 *     0       24  the magic line, e.g. `cagnotte chain-state v3\n` (ASCII, its caller's)
 *     24      4   byte-order mark: the u32 0x01020304
 *     28      4   H, the header's length
 *     32      H   the header: canonical JSON (RFC 8785), UTF-8
 *                 zero bytes to a multiple of 8, then each section, padded with zeros likewise
 *     end-32  32  SHA-256 of every byte before it
 *
 * The sections hold typed arrays as the writer's memory held them, so a reader on a machine of
 * the other byte order refuses the file (its caller then does without the state) rather than
 * converting it. Every section starts at a multiple of 8, so that a Float64Array can view it
 * when the bytes themselves start at one (else they are copied once). The digest covers every
 * byte, so an edited or truncated file is refused; it is not a signature (see chain-snapshot.ts).
 */
import type { CryptoBackend } from './crypto.ts';
import { bytesEqual, utf8 } from './encoding.ts';
import { canonicalBytes, type JsonObject } from './jcs.ts';

const MAGIC_BYTES = 24;
const PREAMBLE = 32;
const DIGEST = 32;
const BYTE_ORDER = 0x01020304;

/** Result of {@link decodeStateFile}: the header and one view per section, or what is wrong. */
export type StateFileRead =
  | { ok: true; header: Record<string, unknown>; sections: Uint8Array[] }
  | { ok: false; problem: string };

const padded = (n: number): number => Math.ceil(n / 8) * 8;

function magicBytes(magic: string): Uint8Array {
  const bytes = utf8(magic);
  if (bytes.length !== MAGIC_BYTES || !magic.endsWith('\n')) throw new RangeError('a magic line of 24 bytes');
  return bytes;
}

/**
 * The file holding `header` and `sections`, each section given as its parts in order (a map's
 * chunks, written one after the other without being joined first).
 */
export function encodeStateFile(
  magic: string,
  header: JsonObject,
  sections: readonly (readonly Uint8Array[])[],
  backend: CryptoBackend,
): Uint8Array {
  const head = canonicalBytes(header);
  const lengths = sections.map((parts) => parts.reduce((n, part) => n + part.length, 0));
  const body = lengths.reduce((n, length) => n + padded(length), padded(PREAMBLE + head.length));
  const out = new Uint8Array(body + DIGEST);
  out.set(magicBytes(magic));
  const view = new DataView(out.buffer);
  view.setUint32(24, BYTE_ORDER, isLittleEndian());
  view.setUint32(28, head.length, isLittleEndian());
  out.set(head, PREAMBLE);
  let at = padded(PREAMBLE + head.length);
  sections.forEach((parts, i) => {
    let part = at;
    for (const bytes of parts) {
      out.set(bytes, part);
      part += bytes.length;
    }
    at += padded(lengths[i] as number);
  });
  out.set(backend.sha256(out.subarray(0, body)), body);
  return out;
}

/** Whether this machine stores numbers least significant byte first. */
function isLittleEndian(): boolean {
  return new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
}

/** The header of a file with this magic line, unchecked (no digest): undefined if there is none. */
export function peekStateHeader(bytes: Uint8Array, magic: string): Record<string, unknown> | undefined {
  const read = header(bytes, magic);
  return typeof read === 'string' ? undefined : read.header;
}

function header(bytes: Uint8Array, magic: string): { header: Record<string, unknown>; end: number } | string {
  if (bytes.length < PREAMBLE + DIGEST || !bytesEqual(bytes.subarray(0, MAGIC_BYTES), magicBytes(magic)))
    return 'not a state file of this kind and version';
  const view = new DataView(bytes.buffer, bytes.byteOffset, PREAMBLE);
  if (view.getUint32(24, isLittleEndian()) !== BYTE_ORDER)
    return 'written on a machine of another byte order';
  const length = view.getUint32(28, isLittleEndian());
  if (PREAMBLE + length > bytes.length - DIGEST) return 'the header runs past the end';
  let value: unknown;
  try {
    value = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREAMBLE, PREAMBLE + length)),
    );
  } catch {
    return 'the header is not JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'the header is not an object';
  return { header: value as Record<string, unknown>, end: PREAMBLE + length };
}

/**
 * Reads a file written by {@link encodeStateFile}: magic line, byte order, digest, and a length
 * of exactly the sections that `lengths` (from the header; a string says what is wrong with it)
 * expects. The sections are views of `bytes` when they start at a multiple of 8, else of one
 * copy; they are the caller's to read, and must not be written while `bytes` may be read again.
 */
export function decodeStateFile(
  bytes: Uint8Array,
  magic: string,
  lengths: (header: Record<string, unknown>) => readonly number[] | string,
  backend: CryptoBackend,
): StateFileRead {
  const read = header(bytes, magic);
  if (typeof read === 'string') return { ok: false, problem: read };
  const expected = lengths(read.header);
  if (typeof expected === 'string') return { ok: false, problem: expected };
  const body = expected.reduce((n, length) => n + padded(length), padded(read.end));
  if (bytes.length !== body + DIGEST)
    return { ok: false, problem: `${bytes.length} bytes where the header makes ${body + DIGEST}` };
  if (!bytesEqual(backend.sha256(bytes.subarray(0, body)), bytes.subarray(body)))
    return { ok: false, problem: 'the digest does not match the content' };
  // A copy by the constructor: a Buffer's slice() is a view, at the same offset.
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : new Uint8Array(bytes);
  const sections: Uint8Array[] = [];
  let at = padded(read.end);
  for (const length of expected) {
    // Plain views, never a Buffer, whose slice() a reader might take for a copy.
    sections.push(new Uint8Array(aligned.buffer, aligned.byteOffset + at, length));
    at += padded(length);
  }
  return { ok: true, header: read.header, sections };
}
