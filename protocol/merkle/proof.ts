/**
 * RFC 9162 §2.1.3.1 inclusion proofs and §2.1.4.1 consistency proofs, built from stored complete
 * nodes. Storage is asynchronous, so building is split in two pure steps around the caller's reads:
 * a plan (which complete nodes each proof hash is made of) and the assembly of the proof from them.
 * {@link inclusionProof} and {@link consistencyProof} chain the two with an async node reader.
 *
 * Every proof hash is the root of a range of leaves. At most one of them (the right border) is not
 * a complete subtree; it is the fold of O(log n) complete nodes, so a proof reads O(log n) nodes.
 */
import { type CryptoBackend, nobleBackend } from '../crypto.ts';
import { foldRight, type NodeId, rangeNodes } from './tree.ts';

/** Each entry is one proof hash, as the complete nodes (left to right) whose fold gives it. */
export type ProofPlan = readonly (readonly NodeId[])[];

/** Reads the hash of a complete node that storage holds. */
export type NodeReader = (level: number, index: number) => Promise<Uint8Array>;

/** Reads the hash of a complete node already fetched. */
export type NodeLookup = (level: number, index: number) => Uint8Array;

/**
 * RFC 9162 §2.1.3.1 PATH(index, D[size]) as a plan, leaf-to-root order.
 * Throws a RangeError unless 0 ≤ index < size.
 */
export function inclusionPlan(index: number, size: number): ProofPlan {
  checkSize(size);
  if (!Number.isSafeInteger(index) || index < 0 || index >= size)
    throw new RangeError('leaf index out of range');
  const plan: NodeId[][] = [];
  let start = 0;
  let end = size;
  // PATH recurses into the side that holds the leaf and appends the other side's root; walking
  // down and then reversing gives the same leaf-to-root order.
  while (end - start > 1) {
    const k = largestPowerOfTwoBelow(end - start);
    if (index < start + k) {
      plan.push(rangeNodes(start + k, end));
      end = start + k;
    } else {
      plan.push(rangeNodes(start, start + k));
      start += k;
    }
  }
  return plan.reverse();
}

/**
 * RFC 9162 §2.1.4.1 PROOF(oldSize, D[newSize]) as a plan. Empty when oldSize is 0 or equals
 * newSize (nothing to prove beyond comparing roots). Throws a RangeError unless
 * 0 ≤ oldSize ≤ newSize.
 */
export function consistencyPlan(oldSize: number, newSize: number): ProofPlan {
  checkSize(newSize);
  if (!Number.isSafeInteger(oldSize) || oldSize < 0 || oldSize > newSize) {
    throw new RangeError('old size out of range');
  }
  if (oldSize === 0 || oldSize === newSize) return [];
  const plan: NodeId[][] = [];
  // SUBPROOF(m, D[start:start+n], b), unrolled: each step appends one sibling root and narrows
  // to the side holding the old tree's last leaf.
  let m = oldSize;
  let start = 0;
  let n = newSize;
  let whole = true;
  while (m !== n) {
    const k = largestPowerOfTwoBelow(n);
    if (m <= k) {
      plan.push(rangeNodes(start + k, start + n));
      n = k;
    } else {
      plan.push(rangeNodes(start, start + k));
      m -= k;
      start += k;
      n -= k;
      whole = false;
    }
  }
  // The old tree's last complete subtree is needed unless it is the whole old tree, which the
  // verifier already knows as the old root.
  if (!whole) plan.push(rangeNodes(start, start + n));
  return plan.reverse();
}

/** The distinct nodes a plan reads, in first-use order, for one batch of storage reads. */
export function planNodes(plan: ProofPlan): NodeId[] {
  const seen = new Set<string>();
  const out: NodeId[] = [];
  for (const element of plan) {
    for (const node of element) {
      const key = `${node.level}/${node.index}`;
      if (!seen.has(key)) {
        seen.add(key);
        out.push(node);
      }
    }
  }
  return out;
}

/** Turns a plan into proof hashes, given the hashes of its nodes. */
export function assembleProof(
  plan: ProofPlan,
  lookup: NodeLookup,
  backend: CryptoBackend = nobleBackend,
): Uint8Array[] {
  return plan.map(
    (element) =>
      foldRight(
        element.map((node) => lookup(node.level, node.index)),
        backend,
      ) as Uint8Array,
  );
}

/** Reads a plan's nodes (concurrently) and assembles the proof. */
export async function buildProof(
  plan: ProofPlan,
  read: NodeReader,
  backend: CryptoBackend = nobleBackend,
): Promise<Uint8Array[]> {
  const nodes = planNodes(plan);
  const hashes = await Promise.all(nodes.map((node) => read(node.level, node.index)));
  const byKey = new Map(nodes.map((node, i) => [`${node.level}/${node.index}`, hashes[i] as Uint8Array]));
  return assembleProof(plan, (level, index) => byKey.get(`${level}/${index}`) as Uint8Array, backend);
}

/** RFC 9162 §2.1.3.1 inclusion proof of leaf `index` in the tree of `size` leaves. */
export function inclusionProof(
  index: number,
  size: number,
  read: NodeReader,
  backend: CryptoBackend = nobleBackend,
): Promise<Uint8Array[]> {
  return buildProof(inclusionPlan(index, size), read, backend);
}

/** RFC 9162 §2.1.4.1 consistency proof from the tree of `oldSize` leaves to that of `newSize`. */
export function consistencyProof(
  oldSize: number,
  newSize: number,
  read: NodeReader,
  backend: CryptoBackend = nobleBackend,
): Promise<Uint8Array[]> {
  return buildProof(consistencyPlan(oldSize, newSize), read, backend);
}

/** The largest power of two strictly below n (n ≥ 2): RFC 9162's split point k. */
export function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function checkSize(size: number): void {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError('tree size out of range');
}
