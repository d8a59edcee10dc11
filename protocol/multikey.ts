/**
 * FEP-521a / Controlled Identifiers `Multikey` for Ed25519: `z` + base58btc(0xed 0x01 || key).
 */
import { concatBytes, EncodingError, fromBase58, toBase58 } from './encoding.ts';

const ED25519_PUB_PREFIX = Uint8Array.of(0xed, 0x01);

/** Encodes a 32-byte Ed25519 public key as `publicKeyMultibase` (`z6Mk…`). */
export function encodeMultikey(publicKey: Uint8Array): string {
  if (publicKey.length !== 32) throw new RangeError('an Ed25519 public key is 32 bytes');
  return `z${toBase58(concatBytes(ED25519_PUB_PREFIX, publicKey))}`;
}

/** Tagged outcome of decoding a Multikey. */
export type DecodeMultikeyResult =
  | { ok: true; publicKey: Uint8Array }
  | {
      ok: false;
      reason: { type: 'notBase58btc' } | { type: 'notEd25519' } | { type: 'badLength'; length: number };
    };

/** Decodes `publicKeyMultibase`, accepting only base58btc Ed25519 public keys. */
export function decodeMultikey(multibase: string): DecodeMultikeyResult {
  if (!multibase.startsWith('z')) return { ok: false, reason: { type: 'notBase58btc' } };
  let bytes: Uint8Array;
  try {
    bytes = fromBase58(multibase.slice(1));
  } catch (error) {
    if (error instanceof EncodingError) return { ok: false, reason: { type: 'notBase58btc' } };
    throw error;
  }
  if (bytes[0] !== 0xed || bytes[1] !== 0x01) return { ok: false, reason: { type: 'notEd25519' } };
  if (bytes.length !== 34) return { ok: false, reason: { type: 'badLength', length: bytes.length - 2 } };
  return { ok: true, publicKey: bytes.slice(2) };
}
