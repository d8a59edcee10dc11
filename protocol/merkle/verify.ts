/**
 * RFC 9162 §2.1.3.2 and §2.1.4.2 proof verification, as the RFC writes the algorithms, with the
 * expected proof length checked first so that a failure names its reason.
 */
import { type CryptoBackend, nobleBackend } from '../crypto.ts';
import { bytesEqual } from '../encoding.ts';
import { HASH_SIZE, hashChildren, popCount } from './tree.ts';

/** Why an inclusion proof did not verify. */
export type InclusionFailure =
  | { type: 'invalidSize'; size: number }
  | { type: 'indexOutOfRange'; index: number; size: number }
  | { type: 'badHashLength'; field: 'leafHash' | 'root' | 'proof' }
  | { type: 'badProofLength'; expected: number; actual: number }
  | { type: 'rootMismatch' };

/** Result of {@link verifyInclusion}. */
export type InclusionResult = { ok: true } | { ok: false; reason: InclusionFailure };

/** Why a consistency proof did not verify. */
export type ConsistencyFailure =
  | { type: 'invalidSize'; size: number }
  | { type: 'sizeOutOfOrder'; oldSize: number; newSize: number }
  | { type: 'badHashLength'; field: 'oldRoot' | 'newRoot' | 'proof' }
  | { type: 'badProofLength'; expected: number; actual: number }
  /** `old`: the proof does not lead to the old root; `new`: nor to the new one (a fork, if both signed). */
  | { type: 'rootMismatch'; which: 'old' | 'new' };

/** Result of {@link verifyConsistency}. */
export type ConsistencyResult = { ok: true } | { ok: false; reason: ConsistencyFailure };

/** Arguments of {@link verifyInclusion}. */
export interface InclusionInput {
  leafHash: Uint8Array;
  index: number;
  size: number;
  proof: readonly Uint8Array[];
  root: Uint8Array;
}

/** Arguments of {@link verifyConsistency}. */
export interface ConsistencyInput {
  oldSize: number;
  newSize: number;
  oldRoot: Uint8Array;
  newRoot: Uint8Array;
  proof: readonly Uint8Array[];
}

/** Number of hashes in the inclusion proof of leaf `index` in a tree of `size` leaves. */
export function inclusionProofLength(index: number, size: number): number {
  const inner = bitLength(xor(index, size - 1));
  return inner + popCount(Math.floor(index / 2 ** inner));
}

/** Number of hashes in the consistency proof between sizes 0 < oldSize < newSize. */
export function consistencyProofLength(oldSize: number, newSize: number): number {
  // The proof is the inclusion proof of the old tree's last leaf minus the levels the old tree's
  // last complete subtree already covers, plus that subtree's root unless it is the old root.
  const inner = bitLength(xor(oldSize - 1, newSize - 1));
  const border = popCount(Math.floor((oldSize - 1) / 2 ** inner));
  const shift = trailingZeros(oldSize);
  const start = oldSize === 2 ** shift ? 0 : 1;
  return start + inner - shift + border;
}

/** RFC 9162 §2.1.3.2: checks that `leafHash` is leaf `index` of the tree of `size` leaves with `root`. */
export function verifyInclusion(
  input: InclusionInput,
  backend: CryptoBackend = nobleBackend,
): InclusionResult {
  const { leafHash, index, size, proof, root } = input;
  if (!Number.isSafeInteger(size) || size < 0) return fail({ type: 'invalidSize', size });
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    return fail({ type: 'indexOutOfRange', index, size });
  }
  if (leafHash.length !== HASH_SIZE) return fail({ type: 'badHashLength', field: 'leafHash' });
  if (root.length !== HASH_SIZE) return fail({ type: 'badHashLength', field: 'root' });
  if (!proof.every(isHash)) return fail({ type: 'badHashLength', field: 'proof' });
  const expected = inclusionProofLength(index, size);
  if (proof.length !== expected) return fail({ type: 'badProofLength', expected, actual: proof.length });

  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return fail({ type: 'badProofLength', expected, actual: proof.length });
    if (fn % 2 === 1 || fn === sn) {
      r = hashChildren(p, r, backend);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn /= 2;
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = hashChildren(r, p, backend);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) return fail({ type: 'badProofLength', expected, actual: proof.length });
  return bytesEqual(r, root) ? { ok: true } : fail({ type: 'rootMismatch' });
}

/**
 * RFC 9162 §2.1.4.2: checks that the tree of `oldSize` leaves with `oldRoot` is a prefix of the
 * tree of `newSize` leaves with `newRoot`. Equal sizes need an empty proof and equal roots; the
 * empty tree is a prefix of every tree.
 */
export function verifyConsistency(
  input: ConsistencyInput,
  backend: CryptoBackend = nobleBackend,
): ConsistencyResult {
  const { oldSize, newSize, oldRoot, newRoot, proof } = input;
  for (const size of [oldSize, newSize]) {
    if (!Number.isSafeInteger(size) || size < 0) return failC({ type: 'invalidSize', size });
  }
  if (oldSize > newSize) return failC({ type: 'sizeOutOfOrder', oldSize, newSize });
  if (oldRoot.length !== HASH_SIZE) return failC({ type: 'badHashLength', field: 'oldRoot' });
  if (newRoot.length !== HASH_SIZE) return failC({ type: 'badHashLength', field: 'newRoot' });
  if (!proof.every(isHash)) return failC({ type: 'badHashLength', field: 'proof' });
  if (oldSize === 0 || oldSize === newSize) {
    if (proof.length !== 0) return failC({ type: 'badProofLength', expected: 0, actual: proof.length });
    if (oldSize === newSize && !bytesEqual(oldRoot, newRoot))
      return failC({ type: 'rootMismatch', which: 'new' });
    return { ok: true };
  }
  const expected = consistencyProofLength(oldSize, newSize);
  if (proof.length !== expected) return failC({ type: 'badProofLength', expected, actual: proof.length });

  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : [...proof];
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (fn % 2 === 1) {
    fn = (fn - 1) / 2;
    sn = Math.floor(sn / 2);
  }
  let fr = path[0] as Uint8Array;
  let sr = fr;
  for (const c of path.slice(1)) {
    if (sn === 0) return failC({ type: 'badProofLength', expected, actual: proof.length });
    if (fn % 2 === 1 || fn === sn) {
      fr = hashChildren(c, fr, backend);
      sr = hashChildren(c, sr, backend);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn /= 2;
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = hashChildren(sr, c, backend);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) return failC({ type: 'badProofLength', expected, actual: proof.length });
  if (!bytesEqual(fr, oldRoot)) return failC({ type: 'rootMismatch', which: 'old' });
  if (!bytesEqual(sr, newRoot)) return failC({ type: 'rootMismatch', which: 'new' });
  return { ok: true };
}

/** Boolean form of {@link verifyInclusion}. */
export function isInclusionValid(input: InclusionInput, backend: CryptoBackend = nobleBackend): boolean {
  return verifyInclusion(input, backend).ok;
}

/** Boolean form of {@link verifyConsistency}. */
export function isConsistencyValid(input: ConsistencyInput, backend: CryptoBackend = nobleBackend): boolean {
  return verifyConsistency(input, backend).ok;
}

function fail(reason: InclusionFailure): InclusionResult {
  return { ok: false, reason };
}

function failC(reason: ConsistencyFailure): ConsistencyResult {
  return { ok: false, reason };
}

function isHash(hash: Uint8Array): boolean {
  return hash.length === HASH_SIZE;
}

// Sizes go up to 2^53, past the 32 bits of JavaScript's bitwise operators, hence the arithmetic.
function bitLength(n: number): number {
  let bits = 0;
  for (let x = n; x > 0; x = Math.floor(x / 2)) bits += 1;
  return bits;
}

function trailingZeros(n: number): number {
  let zeros = 0;
  for (let x = n; x > 0 && x % 2 === 0; x /= 2) zeros += 1;
  return zeros;
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && 2 ** trailingZeros(n) === n;
}

function xor(a: number, b: number): number {
  return Number(BigInt(a) ^ BigInt(b));
}
