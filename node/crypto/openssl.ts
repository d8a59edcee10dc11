/**
 * Ed25519 and SHA-256 from node:crypto (OpenSSL), about ten times faster than @noble/ed25519: the
 * server's backend wherever libsodium does not load (native.ts), and the baseline every benchmark
 * measures raw Ed25519 with. It must accept and reject exactly what the noble backend does
 * (strict RFC 8032, `zip215: false`), so that a ledger verified on the server verifies in the
 * browser too; node/crypto/native.test.ts runs RFC 8032 and all Wycheproof cases against both.
 */
import {
  createPrivateKey,
  createPublicKey,
  hash,
  type KeyObject,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto';
import { type CryptoBackend, nobleBackend } from '../../protocol/crypto.ts';
import { refusedByEncoding } from '../../protocol/ed25519-checks.ts';
import { cachedKey } from './key-cache.ts';

// RFC 8410 DER wrappers around the raw 32 bytes: importing DER once is the cheapest way to get a
// KeyObject from raw bytes, and the KeyObject is what makes node:crypto fast.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

const privateKeys = new Map<string, KeyObject>();
const publicKeys = new Map<string, KeyObject>();

function privateKey(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new RangeError('an Ed25519 seed is 32 bytes');
  return cachedKey(privateKeys, seed, () =>
    createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' }),
  );
}

// An auditor asks about one ledger key for thousands of signatures in a row: comparing 32 bytes
// with the last key asked about skips the hex key of the cache lookup.
let lastPublic: { raw: Uint8Array; key: KeyObject } | undefined;

function publicKey(raw: Uint8Array): KeyObject {
  const last = lastPublic;
  if (last !== undefined && sameBytes(last.raw, raw)) return last.key;
  const key = cachedKey(publicKeys, raw, () =>
    createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' }),
  );
  lastPublic = { raw: raw.slice(), key };
  return key;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** node:crypto backend: the same answers as `nobleBackend` on every input, about ten times faster. */
export const opensslBackend: CryptoBackend = {
  name: 'node:crypto',
  sign(message, secretKey) {
    return new Uint8Array(nodeSign(null, message, privateKey(secretKey)));
  },
  verify(signature, message, rawPublicKey) {
    if (!(signature instanceof Uint8Array) || !(message instanceof Uint8Array)) return false;
    if (!(rawPublicKey instanceof Uint8Array)) return false;
    // Refusals noble makes on the encoding alone (S >= L, y >= p, small-order keys), checked here
    // in a few byte comparisons so that garbage never reaches the fallback below.
    if (refusedByEncoding(signature, rawPublicKey)) return false;
    let accepted: boolean;
    try {
      accepted = nodeVerify(null, message, publicKey(rawPublicKey), signature);
    } catch {
      // OpenSSL refuses some encodings at import (a y with no matching x): noble refuses them too.
      return false;
    }
    if (accepted) return true;
    // OpenSSL checks the cofactorless equation [S]B = R + [k]A, noble the cofactored one
    // [8][S]B = [8]R + [8][k]A. They differ only when R or A carries a small-order component,
    // which no honest signer produces but a crafted key or signature can: noble then accepts what
    // OpenSSL refuses, and a ledger would verify in the browser yet not on the server. Whatever
    // OpenSSL accepts, noble accepts (the prechecks above mirror its decoding), so asking noble
    // about refusals alone makes the two backends agree on every input. A refusal then costs a
    // noble verification (~2 ms); valid signatures, the common case, stay on the fast path.
    return nobleBackend.verify(signature, message, rawPublicKey);
  },
  publicKey(secretKey) {
    const jwk = createPublicKey(privateKey(secretKey)).export({ format: 'jwk' });
    return new Uint8Array(Buffer.from(jwk.x as string, 'base64url'));
  },
  sha256: (data) => digestBytes(hash('sha256', data, 'binary')),
};

// The one-shot hash skips the Hash object, and asking it for a binary (latin1) string rather than a
// Buffer skips allocating one: 0.5 µs a digest instead of 2.6 on a 65-byte input (a Merkle
// node), which is most of the cost of the four digests an audit takes per entry.
function digestBytes(binary: string): Uint8Array {
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
