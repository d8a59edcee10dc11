/**
 * Salted commitments to private data (SPEC.md §5.4): `hex(SHA-256(salt || UTF-8(value)))`. The
 * entry carries only the hash; the node keeps the value and the salt, and can later disclose
 * both so that anyone recomputes the hash. The salt stops anyone from confirming a guess
 * (an IBAN, an e-mail address) against a public entry.
 */
import { type CryptoBackend, nobleBackend } from './crypto.ts';
import { bytesEqual, concatBytes, fromHex, toHex, utf8 } from './encoding.ts';

/** Shortest accepted salt: 128 bits, so that guesses cannot be precomputed. */
export const MIN_SALT_BYTES = 16;

const HEX_HASH = /^[0-9a-f]{64}$/;

/**
 * The commitment to `value` under `salt` (at least {@link MIN_SALT_BYTES} random bytes from the
 * caller: protocol/ has no randomness of its own). Throws a RangeError on a short salt.
 */
export function commit(value: string, salt: Uint8Array, backend: CryptoBackend = nobleBackend): string {
  if (salt.length < MIN_SALT_BYTES)
    throw new RangeError(`a commitment salt is at least ${MIN_SALT_BYTES} bytes`);
  return toHex(backend.sha256(concatBytes(salt, utf8(value))));
}

/** Why a disclosed value does not open a commitment. */
export type CommitmentFailure =
  | { type: 'malformedCommitment' }
  | { type: 'saltTooShort'; length: number }
  | { type: 'mismatch' };

/** Checks that `value` and `salt` open `commitment` (lowercase hex). */
export function verifyCommitment(
  commitment: string,
  value: string,
  salt: Uint8Array,
  backend: CryptoBackend = nobleBackend,
): { ok: true } | { ok: false; reason: CommitmentFailure } {
  if (!HEX_HASH.test(commitment)) return { ok: false, reason: { type: 'malformedCommitment' } };
  if (salt.length < MIN_SALT_BYTES)
    return { ok: false, reason: { type: 'saltTooShort', length: salt.length } };
  const actual = backend.sha256(concatBytes(salt, utf8(value)));
  return bytesEqual(actual, fromHex(commitment)) ? { ok: true } : { ok: false, reason: { type: 'mismatch' } };
}

/** Boolean form of {@link verifyCommitment}. */
export function isCommitmentValid(
  commitment: string,
  value: string,
  salt: Uint8Array,
  backend: CryptoBackend = nobleBackend,
): boolean {
  return verifyCommitment(commitment, value, salt, backend).ok;
}
