/**
 * RFC 9162 proofs and roots of a ledger's Merkle tree, read from the complete subtree hashes the
 * writer stores, so that no proof needs the leaves.
 */
import { toHex } from '../../protocol/encoding.ts';
import {
  consistencyProof as buildConsistency,
  inclusionProof as buildInclusion,
} from '../../protocol/merkle/proof.ts';
import { treeRoot, treeStateFromNodes } from '../../protocol/merkle/tree.ts';
import { AppError } from '../errors.ts';
import type { LedgerCore } from './core.ts';
import { nodeKey } from './layout.ts';
import type { ConsistencyProof, InclusionProof } from './types.ts';

/** A reader of stored Merkle nodes; a missing node means a corrupt ledger. */
export function nodeReader(core: LedgerCore): (level: number, index: number) => Promise<Uint8Array> {
  return async (level, index) => {
    const hash = await core.subs.nodes.get(nodeKey(level, index));
    if (hash === undefined) throw new AppError('LEDGER_CORRUPT', `missing Merkle node ${level}/${index}`);
    return hash;
  };
}

/** Inclusion proof of entry `seq` in the tree of `size` leaves (`size` within the head). */
export async function inclusionProofOf(core: LedgerCore, seq: number, size: number): Promise<InclusionProof> {
  const headSize = core.state.head.size;
  if (!Number.isSafeInteger(size) || size < 1 || size > headSize) throw new AppError('PROOF_RANGE');
  if (!Number.isSafeInteger(seq) || seq < 0 || seq >= size) throw new AppError('PROOF_RANGE');
  const read = nodeReader(core);
  const hashes = await buildInclusion(seq, size, read, core.backend);
  const leafHash = toHex(await read(0, seq));
  return { seq, size, leafHash, hashes: hashes.map(toHex) };
}

/** Consistency proof from `size1` to `size2` (`size2` within the head). */
export async function consistencyProofOf(
  core: LedgerCore,
  size1: number,
  size2: number,
): Promise<ConsistencyProof> {
  if (!Number.isSafeInteger(size2) || size2 < 0 || size2 > core.state.head.size)
    throw new AppError('PROOF_RANGE');
  if (!Number.isSafeInteger(size1) || size1 < 0 || size1 > size2) throw new AppError('PROOF_RANGE');
  const hashes = await buildConsistency(size1, size2, nodeReader(core), core.backend);
  return { size1, size2, hashes: hashes.map(toHex) };
}

/** Root of the tree of `size` leaves, hex. */
export async function rootOf(core: LedgerCore, size: number): Promise<string> {
  const head = core.state.head;
  if (size === head.size) return head.rootHash;
  if (!Number.isSafeInteger(size) || size < 0 || size > head.size) throw new AppError('PROOF_RANGE');
  return toHex(treeRoot(await treeStateFromNodes(size, nodeReader(core)), core.backend));
}
