/**
 * Byte encodings used by the wire formats: hex (leaf hashes), base64 (C2SP notes),
 * base58btc (Multikey and proof values). Pure and allocation-light.
 */

const textEncoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return textEncoder.encode(text);
}

/** Decodes UTF-8, throwing on malformed input rather than inserting U+FFFD. */
export function fromUtf8(bytes: Uint8Array): string {
  return strictDecoder.decode(bytes);
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Constant-time-ish equality; lengths are public. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const HEX_CODES = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
/** Character codes of a SHA-256 digest's hex, refilled by each call. */
const DIGEST_CODES: number[] = new Array(64).fill(0);

/** Lowercase hex. */
export function toHex(bytes: Uint8Array): string {
  // A digest (a leaf hash, written out once or twice per entry an auditor reads) is made in one
  // flat string: appending two digits at a time builds a chain of 32 pieces, which every
  // comparison and map lookup of the result then flattens, at twice the cost.
  if (bytes.length === 32) {
    for (let i = 0; i < 32; i++) {
      const byte = bytes[i] as number;
      DIGEST_CODES[2 * i] = HEX_CODES[byte >>> 4] as number;
      DIGEST_CODES[2 * i + 1] = HEX_CODES[byte & 15] as number;
    }
    return String.fromCharCode.apply(null, DIGEST_CODES);
  }
  let out = '';
  for (const byte of bytes) out += HEX[byte];
  return out;
}

/** Parses hex (either case); throws on odd length or a non-hex digit. */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new EncodingError('invalid hex');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** ASCII code of each base64 digit. */
const B64_CODE = Uint8Array.from(B64, (c) => c.charCodeAt(0));
/** Characters read per step by fromBase64: a multiple of 4, so that no group straddles two. */
const BASE64_CHUNK = 65536;
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
/** The two digits of each 12-bit value, as one 16-bit word that stores them in order. */
const B64_PAIR = Uint16Array.from({ length: 4096 }, (_, n) => {
  const first = B64_CODE[n >>> 6] as number;
  const second = B64_CODE[n & 63] as number;
  return LITTLE_ENDIAN ? first | (second << 8) : (first << 8) | second;
});
/** Digit value of each byte, -1 for anything outside the alphabet (one lookup, no branch). */
const B64_VALUE = new Int8Array(256).fill(-1);
for (let i = 0; i < B64.length; i++) B64_VALUE[B64.charCodeAt(i)] = i;
const PAD = 61; // '='
const asciiDecoder = new TextDecoder();
// Digits per String.fromCharCode call for short texts (a signature, a key); longer ones go
// through TextDecoder, which makes ASCII bytes a string in one native pass: String.fromCharCode
// in chunks of 8,192 took 30 times as long on 26 MB (2.2 s against 72 ms), and a string appended
// to per group of three bytes longer still.
const SHORT = 1024;

/** A string of ASCII codes. */
function fromCodes(codes: Uint8Array): string {
  if (codes.length <= SHORT) return String.fromCharCode.apply(null, codes as unknown as number[]);
  return asciiDecoder.decode(codes);
}

/**
 * Standard base64 with padding (RFC 4648 §4), as C2SP notes use. The digits are written as bytes
 * and made a string at the end: appending to a string per group cost seconds on the megabytes of
 * a large audit state.
 */
export function toBase64(bytes: Uint8Array): string {
  const length = bytes.length;
  const out = new Uint8Array(Math.ceil(length / 3) * 4);
  // Two digits (12 bits) per store into a 16-bit view of the output, in the machine's byte order.
  const pairs = new Uint16Array(out.buffer);
  let i = 0;
  let p = 0;
  for (const end = length - 2; i < end; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    pairs[p++] = B64_PAIR[n >>> 12] as number;
    pairs[p++] = B64_PAIR[n & 4095] as number;
  }
  let o = p * 2;
  const rest = length - i;
  if (rest > 0) {
    const n = ((bytes[i] as number) << 16) | (rest === 2 ? (bytes[i + 1] as number) << 8 : 0);
    out[o++] = B64_CODE[n >>> 18] as number;
    out[o++] = B64_CODE[(n >>> 12) & 63] as number;
    out[o++] = rest === 2 ? (B64_CODE[(n >>> 6) & 63] as number) : PAD;
    out[o++] = PAD;
  }
  return fromCodes(out);
}

/**
 * Strict standard base64: padding required, no whitespace, and non-zero trailing bits rejected,
 * so that every byte string has exactly one accepted encoding (signed notes compare text).
 */
export function fromBase64(text: string): Uint8Array {
  const length = text.length;
  if (length % 4 !== 0) throw new EncodingError('invalid base64 length');
  if (length === 0) return new Uint8Array(0);
  const last = text.slice(-2);
  const padding = last === '==' ? 2 : last[1] === '=' ? 1 : 0;
  const out = new Uint8Array((length / 4) * 3 - padding);
  // Read as bytes, a chunk at a time: indexing a typed array is several times faster than
  // charCodeAt on a long string, the chunk spares a copy of a text of tens of megabytes, and a
  // non-ASCII character shows as more bytes written than characters read.
  const codes = new Uint8Array(Math.min(length, BASE64_CHUNK));
  let bad = 0;
  let o = 0;
  for (let from = 0; from < length; from += BASE64_CHUNK) {
    const { read, written } = textEncoder.encodeInto(text.slice(from, from + BASE64_CHUNK), codes);
    if (read !== written) throw new EncodingError('invalid base64 character');
    // Every group but the text's last has four digits: a negative value marks a bad character.
    const groups = from + written === length ? written - 4 : written;
    for (let i = 0; i < groups; i += 4) {
      const a = B64_VALUE[codes[i] as number] as number;
      const b = B64_VALUE[codes[i + 1] as number] as number;
      const c = B64_VALUE[codes[i + 2] as number] as number;
      const d = B64_VALUE[codes[i + 3] as number] as number;
      bad |= a | b | c | d;
      const n = (a << 18) | (b << 12) | (c << 6) | d;
      out[o++] = n >>> 16;
      out[o++] = (n >>> 8) & 255;
      out[o++] = n & 255;
    }
  }
  if (bad < 0) throw new EncodingError('invalid base64 character');
  const full = (length - 4) % BASE64_CHUNK;
  const a = B64_VALUE[codes[full] as number] as number;
  const b = B64_VALUE[codes[full + 1] as number] as number;
  const c = padding === 2 ? 0 : (B64_VALUE[codes[full + 2] as number] as number);
  const d = padding >= 1 ? 0 : (B64_VALUE[codes[full + 3] as number] as number);
  if ((a | b | c | d) < 0) throw new EncodingError('invalid base64 character');
  const n = (a << 18) | (b << 12) | (c << 6) | d;
  if (padding === 2 && (n & 0xffff) !== 0) throw new EncodingError('non-canonical base64');
  if (padding === 1 && (n & 0xff) !== 0) throw new EncodingError('non-canonical base64');
  out[o++] = n >>> 16;
  if (padding < 2) out[o++] = (n >>> 8) & 255;
  if (padding < 1) out[o] = n & 255;
  return out;
}

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const B58_LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < B58.length; i++) B58_LOOKUP[B58.charCodeAt(i)] = i;

// Base58 works on wide limbs (58^5 digits per limb, 16 bits of input per step) so that a 64-byte
// proof value costs a few hundred float operations instead of thousands of byte steps: every
// entry signed or verified goes through here. Every intermediate stays below 2^53, so doubles
// compute it exactly.
const B58_LIMB = 58 ** 5;

/** Bitcoin base58 (no multibase prefix). */
export function toBase58(bytes: Uint8Array): string {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  // Little-endian limbs of 5 base-58 digits each.
  const limbs: number[] = [];
  let i = zeros;
  if ((bytes.length - zeros) % 2 === 1) limbs.push(bytes[i++] as number);
  for (; i < bytes.length; i += 2) {
    let carry = ((bytes[i] as number) << 8) | (bytes[i + 1] as number);
    for (let j = 0; j < limbs.length; j++) {
      const x = (limbs[j] as number) * 65536 + carry;
      carry = Math.floor(x / B58_LIMB);
      limbs[j] = x - carry * B58_LIMB;
    }
    while (carry > 0) {
      const next = Math.floor(carry / B58_LIMB);
      limbs.push(carry - next * B58_LIMB);
      carry = next;
    }
  }
  let digits = '';
  for (let j = 0; j < limbs.length; j++) {
    let limb = limbs[j] as number;
    const last = j === limbs.length - 1;
    for (let d = 0; d < 5 && (!last || limb > 0); d++) {
      digits = B58[limb % 58] + digits;
      limb = Math.floor(limb / 58);
    }
  }
  return '1'.repeat(zeros) + digits;
}

// fromBase58 reads 4 digits at a time (a "chunk", below 58^4 < 2^23.5) into 24-bit limbs. The
// text is a sum of chunks times powers of 58^4, and those powers are kept as limbs: each chunk
// adds its multiple of one into columns, with no carry between them, and a single pass carries at
// the end. Every product is below 2^47.5, so 32 of them add up exactly in a double: texts of up to
// 128 digits (a signature has 88) take that path, longer ones the digit-by-digit loop below it.
// Horner's rule carries through every limb for every chunk, a chain of dependent divisions that
// cost a microsecond and a half per proof value; summing independent products costs a tenth.
const LIMB = 2 ** 24;
const PER_LIMB = 1 / LIMB;
const CHUNK_DIGITS = 4;
const SUMMED_CHUNKS = 32;
/** POWERS[k] is 58^(4k) as little-endian 24-bit limbs. */
const POWERS: Float64Array[] = [];
for (let k = 0, power = 1n; k < SUMMED_CHUNKS; k++, power *= 58n ** 4n) {
  const limbs: number[] = [];
  for (let v = power; v > 0n; v >>= 24n) limbs.push(Number(v & 0xffffffn));
  POWERS.push(Float64Array.from(limbs));
}
const COLUMNS = new Float64Array((POWERS[SUMMED_CHUNKS - 1] as Float64Array).length + 1);

function digit(text: string, i: number): number {
  const code = text.charCodeAt(i);
  const value = code < 128 ? (B58_LOOKUP[code] as number) : -1;
  if (value < 0) throw new EncodingError('invalid base58 character');
  return value;
}

/** Parses bitcoin base58; throws on a character outside the alphabet. */
export function fromBase58(text: string): Uint8Array {
  const length = text.length;
  let zeros = 0;
  while (zeros < length && text.charCodeAt(zeros) === 0x31) zeros++;
  const digits = length - zeros;
  if (digits > CHUNK_DIGITS * SUMMED_CHUNKS) return fromBase58Long(text, zeros);
  const chunks = Math.ceil(digits / CHUNK_DIGITS);
  const columns = chunks === 0 ? 0 : (POWERS[chunks - 1] as Float64Array).length + 1;
  COLUMNS.fill(0, 0, columns);
  // Chunk k (from the end) holds the digits worth 58^(4k) to 58^(4k+3).
  for (let k = 0, end = length; k < chunks; k++, end -= CHUNK_DIGITS) {
    let chunk = 0;
    for (let i = Math.max(zeros, end - CHUNK_DIGITS); i < end; i++) chunk = chunk * 58 + digit(text, i);
    const power = POWERS[k] as Float64Array;
    for (let j = 0; j < power.length; j++) COLUMNS[j] = (COLUMNS[j] as number) + chunk * (power[j] as number);
  }
  let carry = 0;
  for (let j = 0; j < columns; j++) {
    const x = (COLUMNS[j] as number) + carry;
    carry = Math.floor(x * PER_LIMB);
    COLUMNS[j] = x - carry * LIMB;
  }
  return bytesOfLimbs(COLUMNS, columns, zeros);
}

/** {@link fromBase58} by Horner's rule, for texts too long for the summed columns. */
function fromBase58Long(text: string, zeros: number): Uint8Array {
  const limbs = new Float64Array(Math.ceil((text.length - zeros) / CHUNK_DIGITS) + 2);
  let used = 0;
  for (let i = zeros; i < text.length; ) {
    let chunk = 0;
    let scale = 1;
    for (const end = Math.min(i + CHUNK_DIGITS, text.length); i < end; i++) {
      chunk = chunk * 58 + digit(text, i);
      scale *= 58;
    }
    let carry = chunk;
    for (let j = 0; j < used; j++) {
      const x = (limbs[j] as number) * scale + carry;
      carry = Math.floor(x * PER_LIMB);
      limbs[j] = x - carry * LIMB;
    }
    while (carry > 0) {
      limbs[used++] = carry % LIMB;
      carry = Math.floor(carry * PER_LIMB);
    }
  }
  return bytesOfLimbs(limbs, used, zeros);
}

/** Big-endian bytes of `count` little-endian 24-bit limbs, after `zeros` zero bytes. */
function bytesOfLimbs(limbs: Float64Array, count: number, zeros: number): Uint8Array {
  let used = count;
  while (used > 0 && limbs[used - 1] === 0) used--;
  const top = used === 0 ? 0 : (limbs[used - 1] as number);
  const topBytes = top >= 0x10000 ? 3 : top >= 0x100 ? 2 : top > 0 ? 1 : 0;
  const out = new Uint8Array(zeros + (used === 0 ? 0 : 3 * (used - 1) + topBytes));
  let k = out.length - 1;
  for (let j = 0; j < used - 1; j++, k -= 3) {
    const limb = limbs[j] as number;
    out[k] = limb & 255;
    out[k - 1] = (limb >>> 8) & 255;
    out[k - 2] = limb >>> 16;
  }
  for (let limb = top; k >= zeros; k--, limb >>>= 8) out[k] = limb & 255;
  return out;
}

/** Thrown for malformed encodings; callers turn it into their own tagged results. */
export class EncodingError extends Error {
  override name = 'EncodingError';
}
