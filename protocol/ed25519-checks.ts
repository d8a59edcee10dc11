/**
 * The refusals strict Ed25519 verification (RFC 8032 §5.1.7 as @noble/ed25519 does it with
 * `zip215: false`) makes on the encoding alone, in a few byte comparisons and without the curve.
 *
 * Why: a native verifier (OpenSSL through node:crypto, BoringSSL through a browser's WebCrypto)
 * checks the cofactorless equation on the raw bytes and decodes keys loosely; it may accept a
 * non-canonical key, a small-order key or (in older builds) S ≥ L, all of which noble refuses. With
 * these refusals first, whatever the native code still accepts noble accepts too, so a native
 * backend need only ask noble about its own refusals to give noble's answer on every input
 * (node/crypto/native.ts, ui/audit/webcrypto.ts).
 */
import { toHex } from './encoding.ts';

// The group order L = 2^252 + 27742317777372353535851937790883648493, little-endian.
const L = [
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/** S (the signature's last 32 bytes, little-endian) is below the group order L. */
export function scalarIsCanonical(signature: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    const s = signature[32 + i] as number;
    const l = L[i] as number;
    if (s !== l) return s < l;
  }
  return false;
}

/**
 * The 32 bytes at `offset` encode a y below p = 2^255 − 19 (sign bit aside). Values p..2^255−1
 * are the only non-canonical ones: low byte ≥ 0xed, every other byte 0xff (top byte 0x7f).
 */
export function pointIsCanonical(bytes: Uint8Array, offset = 0): boolean {
  if (((bytes[offset + 31] as number) & 0x7f) !== 0x7f) return true;
  for (let i = 30; i >= 1; i--) if (bytes[offset + i] !== 0xff) return true;
  return (bytes[offset] as number) < 0xed;
}

// The eight points of order dividing 8, as RFC 8032 encodes them, plus the two x = 0 points with
// the sign bit set (a form strict decoding refuses). noble refuses every small-order public key;
// OpenSSL 3.5 happens to, but BoringSSL and older OpenSSL builds do not.
const SMALL_ORDER = new Set([
  '0100000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000080',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
]);

// Their first bytes: any other key is ruled out without building a string (the server's hot path).
const FIRST_BYTES = new Set([...SMALL_ORDER].map((hex) => Number.parseInt(hex.slice(0, 2), 16)));

/** The 32-byte key is a canonical encoding of a point of order 1, 2, 4 or 8 (or x = 0 signed). */
export function isSmallOrderKey(publicKey: Uint8Array): boolean {
  if (publicKey.length !== 32 || !FIRST_BYTES.has(publicKey[0] as number)) return false;
  return SMALL_ORDER.has(toHex(publicKey));
}

/**
 * True when strict verification refuses this signature and key on their encoding alone: wrong
 * lengths, S ≥ L, R or A not canonical, A of small order. False says nothing: the signature may
 * still be invalid.
 */
export function refusedByEncoding(signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return true;
  if (!scalarIsCanonical(signature)) return true;
  if (!pointIsCanonical(signature, 0) || !pointIsCanonical(publicKey, 0)) return true;
  return isSmallOrderKey(publicKey);
}
