/**
 * What the parts of one ledger service share: its configuration, its sublevels, and the committed
 * state (chain head, Merkle state, fold summary, checkpoint) that only the writer and recovery
 * change. The helpers here build the store operations and signed checkpoints both of them write,
 * so that an append and a rebuild produce the same records.
 */
import { signCheckpoint } from '../../protocol/checkpoint.ts';
import type { CryptoBackend } from '../../protocol/crypto.ts';
import { fromHex, fromUtf8, toHex } from '../../protocol/encoding.ts';
import type { ChainHead } from '../../protocol/entry/build.ts';
import type { SignedEntry } from '../../protocol/entry/types.ts';
import {
  encodeTreeState,
  hashLeaf,
  type TreeNode,
  type TreeState,
  treeRoot,
} from '../../protocol/merkle/tree.ts';
import { noteKeyFromSeed, SIG_TYPE_ED25519 } from '../../protocol/note.ts';
import { jsonValue, seqKey, textValue } from '../storage/codec.ts';
import type { BatchOp, Store } from '../storage/types.ts';
import { INDEX_VERSION, type LedgerSublevels, META, nodeKey } from './layout.ts';
import type { emptySummary } from './state.ts';
import type { EntryRecord, LedgerActor, LedgerHead, StoredCheckpoint } from './types.ts';

/** The fold summary the writer keeps (balance and budget). */
export type Summary = ReturnType<typeof emptySummary>;

/** The committed state of a ledger: what is on disk after the last durable batch. */
export interface LedgerState {
  chain: ChainHead | undefined;
  tree: TreeState;
  summary: Summary;
  head: LedgerHead;
  checkpoint: StoredCheckpoint | undefined;
}

/** One ledger's configuration and committed state, shared by the service's parts. */
export interface LedgerCore {
  readonly actor: LedgerActor;
  readonly subs: LedgerSublevels;
  readonly store: Store;
  readonly backend: CryptoBackend;
  readonly now: () => Date;
  readonly maxBatch: number;
  readonly sync: boolean;
  state: LedgerState;
}

/** The C2SP checkpoint origin line of an actor: its id without the scheme (SPEC.md §6). */
export function checkpointOrigin(actorId: string): string {
  return actorId.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
}

/** The head of `tree`, whose last leaf is `chain.prevHash`. */
export function headOf(core: LedgerCore, tree: TreeState, chain: ChainHead | undefined): LedgerHead {
  return {
    size: tree.size,
    leafHash: chain?.prevHash,
    rootHash: toHex(treeRoot(tree, core.backend)),
  };
}

/** The record of stored leaf bytes. */
export function recordOf(core: LedgerCore, seq: number, leaf: Uint8Array): EntryRecord {
  return {
    seq,
    leafHash: toHex(hashLeaf(leaf, core.backend)),
    leaf,
    entry: JSON.parse(fromUtf8(leaf)) as SignedEntry,
  };
}

/**
 * The writes of one entry: the leaf (unless `withLeaf` is false, for a rebuild of entries already
 * stored), its hash index and the Merkle nodes it completes.
 */
export function entryOps(
  core: LedgerCore,
  seq: number,
  leaf: Uint8Array,
  leafHash: string,
  nodes: readonly TreeNode[],
  withLeaf = true,
): BatchOp[] {
  const { entries, hashes, nodes: nodeSub } = core.subs;
  const key = seqKey(seq);
  const ops: BatchOp[] = [];
  if (withLeaf) ops.push({ type: 'put', sublevel: entries, key, value: leaf });
  ops.push({ type: 'put', sublevel: hashes, key: leafHash, value: textValue(key) });
  for (const node of nodes)
    ops.push({ type: 'put', sublevel: nodeSub, key: nodeKey(node.level, node.index), value: node.hash });
  return ops;
}

/** The writes of the head, Merkle state, checkpoint and index mark of a tree. */
export function metaOps(
  core: LedgerCore,
  chain: ChainHead,
  tree: TreeState,
  checkpoint: StoredCheckpoint | undefined,
): BatchOp[] {
  const meta = core.subs.meta;
  return [
    { type: 'put', sublevel: meta, key: META.head, value: jsonValue(chain) },
    { type: 'put', sublevel: meta, key: META.tree, value: encodeTreeState(tree) },
    ...(checkpoint === undefined
      ? []
      : [{ type: 'put' as const, sublevel: meta, key: META.checkpoint, value: jsonValue(checkpoint) }]),
    {
      type: 'put',
      sublevel: meta,
      key: META.indexes,
      value: jsonValue({ version: INDEX_VERSION, size: tree.size }),
    },
  ];
}

/** A signed checkpoint of `head`, or undefined when this node does not hold the checkpoint key. */
export function signHead(core: LedgerCore, head: LedgerHead): StoredCheckpoint | undefined {
  const secret = core.actor.checkpointSecretKey;
  if (secret === undefined) return undefined;
  const origin = checkpointOrigin(core.actor.id);
  const key = noteKeyFromSeed(origin, secret, SIG_TYPE_ED25519, core.backend);
  const checkpoint = { origin, size: head.size, rootHash: fromHex(head.rootHash), extensions: [] };
  const note = signCheckpoint(checkpoint, key, core.backend);
  return { size: head.size, rootHash: head.rootHash, note };
}
