/**
 * RFC 9162 §2.1.1, §2.1.3.1 and §2.1.4.1 transcribed literally, recursion and all, over the full
 * list of leaf hashes: O(n) per call. The reference the incremental tree and the planned proofs are
 * tested against; also handy for checking a small exported ledger by hand.
 */
import { type CryptoBackend, nobleBackend } from '../crypto.ts';
import { emptyRoot, hashChildren } from './tree.ts';

/** MTH(D[n]) of leaf hashes (already `hashLeaf`ed), by the RFC's recursion. */
export function rootOf(leafHashes: readonly Uint8Array[], backend: CryptoBackend = nobleBackend): Uint8Array {
  const n = leafHashes.length;
  if (n === 0) return emptyRoot(backend);
  if (n === 1) return leafHashes[0] as Uint8Array;
  const k = splitPoint(n);
  return hashChildren(rootOf(leafHashes.slice(0, k), backend), rootOf(leafHashes.slice(k), backend), backend);
}

/** PATH(m, D[n]) by the RFC's recursion. */
export function referenceInclusionProof(
  m: number,
  leafHashes: readonly Uint8Array[],
  backend: CryptoBackend = nobleBackend,
): Uint8Array[] {
  const n = leafHashes.length;
  if (m < 0 || m >= n) throw new RangeError('leaf index out of range');
  if (n === 1) return [];
  const k = splitPoint(n);
  const left = leafHashes.slice(0, k);
  const right = leafHashes.slice(k);
  return m < k
    ? [...referenceInclusionProof(m, left, backend), rootOf(right, backend)]
    : [...referenceInclusionProof(m - k, right, backend), rootOf(left, backend)];
}

/** PROOF(m, D[n]) = SUBPROOF(m, D[n], true) by the RFC's recursion, for 0 < m ≤ n. */
export function referenceConsistencyProof(
  m: number,
  leafHashes: readonly Uint8Array[],
  backend: CryptoBackend = nobleBackend,
): Uint8Array[] {
  if (m <= 0 || m > leafHashes.length) throw new RangeError('old size out of range');
  return subproof(m, leafHashes, true, backend);
}

function subproof(m: number, d: readonly Uint8Array[], b: boolean, backend: CryptoBackend): Uint8Array[] {
  const n = d.length;
  if (m === n) return b ? [] : [rootOf(d, backend)];
  const k = splitPoint(n);
  return m <= k
    ? [...subproof(m, d.slice(0, k), b, backend), rootOf(d.slice(k), backend)]
    : [...subproof(m - k, d.slice(k), false, backend), rootOf(d.slice(0, k), backend)];
}

/** The largest power of two smaller than n. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
