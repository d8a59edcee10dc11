/**
 * Ed25519 from libsodium, through sodium-native's prebuilt addon: on the machines measured it
 * verifies and signs about twice as fast as OpenSSL through node:crypto (ADR 0011,
 * `npx node scripts/measure-ed25519.ts`), and an audit is mostly signature checks. SHA-256 stays
 * node:crypto's, which uses the CPU's SHA extensions where libsodium does not.
 *
 * It answers exactly as the noble backend does (strict RFC 8032, `zip215: false`), by the same
 * construction as the OpenSSL backend: the encoding refusals first, then libsodium, and noble's
 * verdict on whatever libsodium refuses. libsodium checks the cofactorless equation and also
 * refuses a small-order R, so what it accepts noble accepts; noble may accept more (a crafted
 * signature with a small-order component), which only a refusal ever costs.
 *
 * Undefined when the addon does not load (a platform without a prebuilt binary): the node then
 * runs on node:crypto alone (native.ts), slower but with the same answers.
 */
import { createRequire } from 'node:module';
import { type CryptoBackend, nobleBackend } from '../../protocol/crypto.ts';
import { refusedByEncoding } from '../../protocol/ed25519-checks.ts';
import { cachedKey } from './key-cache.ts';
import { opensslBackend } from './openssl.ts';

/** The part of sodium-native's API used here (the package ships no types). */
interface Sodium {
  crypto_sign_seed_keypair(publicKey: Uint8Array, secretKey: Uint8Array, seed: Uint8Array): void;
  crypto_sign_detached(signature: Uint8Array, message: Uint8Array, secretKey: Uint8Array): void;
  crypto_sign_verify_detached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
}

function load(): { sodium: Sodium } | { error: string } {
  try {
    return { sodium: createRequire(import.meta.url)('sodium-native') as Sodium };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

const loaded = load();

/** Why libsodium is not in use, when it is not (for diagnostics). */
export const sodiumLoadError: string | undefined = 'error' in loaded ? loaded.error : undefined;

interface ExpandedKey {
  publicKey: Uint8Array;
  /** libsodium's 64-byte signing key: the seed, then the public key. */
  secretKey: Uint8Array;
}

function backendOn(sodium: Sodium): CryptoBackend {
  const expanded = new Map<string, ExpandedKey>();
  const expand = (seed: Uint8Array): ExpandedKey => {
    if (seed.length !== 32) throw new RangeError('an Ed25519 seed is 32 bytes');
    return cachedKey(expanded, seed, () => {
      const key = { publicKey: new Uint8Array(32), secretKey: new Uint8Array(64) };
      sodium.crypto_sign_seed_keypair(key.publicKey, key.secretKey, seed);
      return key;
    });
  };
  return {
    name: 'libsodium',
    sign(message, seed) {
      const signature = new Uint8Array(64);
      sodium.crypto_sign_detached(signature, message, expand(seed).secretKey);
      return signature;
    },
    verify(signature, message, publicKey) {
      if (!(signature instanceof Uint8Array) || !(message instanceof Uint8Array)) return false;
      if (!(publicKey instanceof Uint8Array)) return false;
      // Also what keeps wrong lengths away from the addon, which asserts on them.
      if (refusedByEncoding(signature, publicKey)) return false;
      if (sodium.crypto_sign_verify_detached(signature, message, publicKey)) return true;
      // A refusal is asked again of noble: see the module comment.
      return nobleBackend.verify(signature, message, publicKey);
    },
    publicKey: (seed) => expand(seed).publicKey.slice(),
    sha256: opensslBackend.sha256,
  };
}

/** The libsodium backend, or undefined when sodium-native does not load here. */
export const sodiumBackend: CryptoBackend | undefined =
  'sodium' in loaded ? backendOn(loaded.sodium) : undefined;
