/**
 * The few primitives the formats need, behind one small interface so that each runtime plugs in
 * its fastest implementation: node:crypto on the server (node/crypto/native.ts), @noble in browsers.
 * Both must give identical results; the tests run RFC 8032 and Wycheproof against each.
 */
import * as ed from '@noble/ed25519';
import { sha256 as nobleSha256, sha512 } from '@noble/hashes/sha2.js';
import { utf8 } from './encoding.ts';

ed.hashes.sha512 = sha512;

/** Ed25519 and SHA-256, synchronously. Secret keys are 32-byte seeds (RFC 8032 §5.1.5). */
export interface CryptoBackend {
  readonly name: string;
  /** RFC 8032 Ed25519 signature over `message`. */
  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array;
  /**
   * Strict RFC 8032 verification (not ZIP-215): non-canonical encodings and small-order
   * points rejected exactly as Wycheproof expects. Returns false, never throws, on bad input.
   */
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  /** The 32-byte public key of a seed. */
  publicKey(secretKey: Uint8Array): Uint8Array;
  /** SHA-256 of bytes, or of a string's UTF-8 bytes (which a native backend encodes itself). */
  sha256(data: Uint8Array | string): Uint8Array;
}

/** An Ed25519 key pair; `secretKey` is the 32-byte seed. */
export interface KeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

/** Pure-JavaScript backend: runs anywhere (browsers included). */
export const nobleBackend: CryptoBackend = {
  name: 'noble',
  sign: (message, secretKey) => ed.sign(message, secretKey),
  verify(signature, message, publicKey) {
    if (signature.length !== 64 || publicKey.length !== 32) return false;
    try {
      return ed.verify(signature, message, publicKey, { zip215: false });
    } catch {
      return false;
    }
  },
  publicKey: (secretKey) => ed.getPublicKey(secretKey),
  sha256: (data) => nobleSha256(typeof data === 'string' ? utf8(data) : data),
};

/**
 * Derives a key pair from a 32-byte seed. Randomness is the caller's (protocol/ has none):
 * pass `crypto.getRandomValues(new Uint8Array(32))`.
 */
export function keyPairFromSeed(seed: Uint8Array, backend: CryptoBackend = nobleBackend): KeyPair {
  if (seed.length !== 32) throw new RangeError('an Ed25519 seed is 32 bytes');
  return { publicKey: backend.publicKey(seed), secretKey: seed.slice() };
}
