/**
 * RFC 9162 §2.1 Merkle tree hashing, and an append-only tree kept as its "frontier": the roots of
 * the complete subtrees that the binary decomposition of the size gives (one per set bit), so that
 * appending costs O(log n) hashes and the state is O(log n) hashes, whatever the size.
 *
 * Nodes are addressed as (level, index): the complete subtree of 2^level leaves starting at leaf
 * index × 2^level. A complete node never changes once its last leaf is appended, which is what lets
 * storage keep every one of them under a stable key and proofs be built from them alone.
 */
import { type CryptoBackend, nobleBackend } from '../crypto.ts';
import { concatBytes } from '../encoding.ts';

/** SHA-256 output size; every tree hash (leaf, node, root) has this length. */
export const HASH_SIZE = 32;

const LEAF_PREFIX = new Uint8Array([0x00]);

/**
 * Where a leaf is prefixed before hashing: an auditor hashes every entry, and a fresh buffer the
 * size of an entry costs about as much as hashing it (V8 keeps larger typed arrays off its heap).
 * Backends hash synchronously and keep nothing of their input, so one buffer serves every call.
 */
const leafInput = new Uint8Array(64 * 1024 + 1);
const nodeInput = new Uint8Array(1 + 2 * HASH_SIZE);

/** RFC 9162 §2.1.1: the leaf hash, SHA-256(0x00 || leaf). The prefix keeps leaves and nodes apart. */
export function hashLeaf(leaf: Uint8Array, backend: CryptoBackend = nobleBackend): Uint8Array {
  if (leaf.length >= leafInput.length) return backend.sha256(concatBytes(LEAF_PREFIX, leaf));
  leafInput[0] = 0x00;
  leafInput.set(leaf, 1);
  return backend.sha256(leafInput.subarray(0, leaf.length + 1));
}

/** RFC 9162 §2.1.1: an interior node hash, SHA-256(0x01 || left || right). */
export function hashChildren(
  left: Uint8Array,
  right: Uint8Array,
  backend: CryptoBackend = nobleBackend,
): Uint8Array {
  // Hashed once per level of every append and proof check: 65 bytes is past what V8 keeps on its
  // heap, so the usual two hashes go through one reused buffer (as leaves do, see leafInput).
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) {
    const input = new Uint8Array(1 + left.length + right.length);
    input[0] = 0x01;
    input.set(left, 1);
    input.set(right, 1 + left.length);
    return backend.sha256(input);
  }
  nodeInput[0] = 0x01;
  nodeInput.set(left, 1);
  nodeInput.set(right, 1 + HASH_SIZE);
  return backend.sha256(nodeInput);
}

/** RFC 9162 §2.1.1: the root of the empty tree, SHA-256 of the empty string. */
export function emptyRoot(backend: CryptoBackend = nobleBackend): Uint8Array {
  return backend.sha256(new Uint8Array(0));
}

/** The address of a complete subtree: 2^level leaves, starting at leaf index × 2^level. */
export interface NodeId {
  readonly level: number;
  readonly index: number;
}

/** A complete subtree's address and hash, as storage keeps it. */
export interface TreeNode extends NodeId {
  readonly hash: Uint8Array;
}

/**
 * The whole state of an append-only tree: its size and the roots of its complete subtrees, largest
 * (leftmost) first, one per set bit of `size`. Immutable: appending returns a new state, so a
 * failed write batch simply keeps the old one.
 */
export interface TreeState {
  readonly size: number;
  readonly frontier: readonly Uint8Array[];
}

/** The empty tree. */
export const EMPTY_TREE: TreeState = Object.freeze({ size: 0, frontier: Object.freeze([]) });

/** Result of {@link appendLeaf}. */
export interface AppendResult {
  readonly state: TreeState;
  /**
   * Every complete node this leaf finished, bottom-up: the leaf itself (level 0) and each parent
   * it completed. Persisting these for every append stores every complete node of the tree.
   */
  readonly nodes: readonly TreeNode[];
}

/** Appends one leaf hash (see {@link hashLeaf}) to the tree: O(log n) hashes, no rebuild. */
export function appendLeaf(
  state: TreeState,
  leafHash: Uint8Array,
  backend: CryptoBackend = nobleBackend,
): AppendResult {
  if (leafHash.length !== HASH_SIZE) throw new RangeError(`a leaf hash is ${HASH_SIZE} bytes`);
  if (state.size >= Number.MAX_SAFE_INTEGER) throw new RangeError('tree size out of range');
  const frontier = state.frontier.slice();
  let hash = leafHash;
  let index = state.size;
  let level = 0;
  const nodes: TreeNode[] = [{ level, index, hash }];
  // Each trailing 1 bit of the old size is a complete sibling on the left waiting for this one.
  while (index % 2 === 1) {
    const left = frontier.pop() as Uint8Array;
    hash = hashChildren(left, hash, backend);
    index = (index - 1) / 2;
    level += 1;
    nodes.push({ level, index, hash });
  }
  frontier.push(hash);
  return { state: { size: state.size + 1, frontier }, nodes };
}

/** Appends several leaf hashes in order; the nodes of all of them, in order. */
export function appendLeaves(
  state: TreeState,
  leafHashes: Iterable<Uint8Array>,
  backend: CryptoBackend = nobleBackend,
): AppendResult {
  let current = state;
  const nodes: TreeNode[] = [];
  for (const leafHash of leafHashes) {
    const result = appendLeaf(current, leafHash, backend);
    current = result.state;
    nodes.push(...result.nodes);
  }
  return { state: current, nodes };
}

/**
 * RFC 9162 §2.1.1 root (MTH) of the tree: the frontier folded from the right, which is exactly the
 * "split at the largest power of two below n" recursion, since the left part of each split is the
 * next complete subtree.
 */
export function treeRoot(state: TreeState, backend: CryptoBackend = nobleBackend): Uint8Array {
  return foldRight(state.frontier, backend) ?? emptyRoot(backend);
}

/** Root of adjacent complete subtrees given left to right (undefined when there are none). */
export function foldRight(
  hashes: readonly Uint8Array[],
  backend: CryptoBackend = nobleBackend,
): Uint8Array | undefined {
  let root = hashes[hashes.length - 1];
  for (let i = hashes.length - 2; i >= 0; i--)
    root = hashChildren(hashes[i] as Uint8Array, root as Uint8Array, backend);
  return root;
}

/**
 * The complete subtrees whose concatenation is leaves [start, end), left to right. Every range a
 * proof needs starts at a multiple of a power of two at least its length, so this is the binary
 * decomposition of its length, largest first, and the range's hash is their {@link foldRight}.
 */
export function rangeNodes(start: number, end: number): NodeId[] {
  const out: NodeId[] = [];
  let at = start;
  while (at < end) {
    let width = 1;
    let level = 0;
    while (at % (width * 2) === 0 && at + width * 2 <= end) {
      width *= 2;
      level += 1;
    }
    out.push({ level, index: at / width });
    at += width;
  }
  return out;
}

/** The addresses of the frontier of a tree of `size` leaves, left to right. */
export function frontierNodes(size: number): NodeId[] {
  return rangeNodes(0, size);
}

/** Number of set bits of a non-negative safe integer. */
export function popCount(n: number): number {
  let count = 0;
  for (let x = n; x > 0; x = Math.floor(x / 2)) count += x % 2;
  return count;
}

/**
 * Compact bytes of a tree state, for a node's write batch: the size as 8 bytes big-endian, then
 * the frontier hashes (their count follows from the size).
 */
export function encodeTreeState(state: TreeState): Uint8Array {
  checkState(state);
  const out = new Uint8Array(8 + HASH_SIZE * state.frontier.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(state.size));
  state.frontier.forEach((hash, i) => {
    out.set(hash, 8 + HASH_SIZE * i);
  });
  return out;
}

/** Parses {@link encodeTreeState}'s bytes; throws a RangeError on anything else. */
export function decodeTreeState(bytes: Uint8Array): TreeState {
  if (bytes.length < 8) throw new RangeError('tree state too short');
  const size = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0);
  if (size > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('tree size out of range');
  const count = popCount(Number(size));
  if (bytes.length !== 8 + HASH_SIZE * count)
    throw new RangeError('tree state length does not match its size');
  // Copied, not viewed: a Node Buffer's slice() shares memory with storage's buffers.
  const frontier: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    frontier.push(new Uint8Array(bytes.subarray(8 + HASH_SIZE * i, 8 + HASH_SIZE * (i + 1))));
  }
  return { size: Number(size), frontier };
}

/**
 * Rebuilds a state from stored nodes (for instance after restoring from a backup that kept nodes
 * but not the state): reads the frontier nodes of a tree of `size` leaves.
 */
export async function treeStateFromNodes(
  size: number,
  read: (level: number, index: number) => Promise<Uint8Array>,
): Promise<TreeState> {
  const frontier = await Promise.all(frontierNodes(size).map((node) => read(node.level, node.index)));
  const state = { size, frontier };
  checkState(state);
  return state;
}

function checkState(state: TreeState): void {
  if (!Number.isSafeInteger(state.size) || state.size < 0) throw new RangeError('tree size out of range');
  if (state.frontier.length !== popCount(state.size))
    throw new RangeError('frontier does not match the size');
  for (const hash of state.frontier) {
    if (hash.length !== HASH_SIZE) throw new RangeError(`a tree hash is ${HASH_SIZE} bytes`);
  }
}
