/**
 * Opening a ledger: loading its committed state, checking the stored tail against it, and
 * rebuilding every derived record from the entries when the indexes are behind or of another
 * version. The rebuild streams: it reads the entries in pages and writes their indexes every
 * {@link REBUILD_CHUNK} entries, so that its memory does not grow with the ledger beyond the
 * history rules' own state (the chain verifier's open expenses, contributions and claims).
 */
import { ChainVerifier } from '../../protocol/chain.ts';
import { fromUtf8, toHex } from '../../protocol/encoding.ts';
import { type ChainHead, verificationMethodFor } from '../../protocol/entry/build.ts';
import type { SignedEntry } from '../../protocol/entry/types.ts';
import type { JsonObject } from '../../protocol/jcs.ts';
import { appendLeaf, decodeTreeState, EMPTY_TREE, type TreeState } from '../../protocol/merkle/tree.ts';
import { decodeMultikey } from '../../protocol/multikey.ts';
import { verifyProof } from '../../protocol/proof.ts';
import { AppError } from '../errors.ts';
import { jsonValue, parseJsonValue, parseSeqKey, seqKey } from '../storage/codec.ts';
import type { BatchOp } from '../storage/types.ts';
import { entryOps, headOf, type LedgerCore, metaOps, recordOf, signHead } from './core.ts';
import { INDEX_VERSION, META, nodeKey } from './layout.ts';
import { BatchState, emptySummary, parseSummary, referencesOf } from './state.ts';
import type { StoredCheckpoint } from './types.ts';

/** Entries read, checked and indexed per store batch during a rebuild. */
export const REBUILD_CHUNK = 1000;

/**
 * Loads the committed state of `core`'s ledger into `core.state`: verifies the tail against the
 * stored head and Merkle state, rebuilds the indexes if they are behind or of an older version,
 * and signs a checkpoint of the head if the stored one is not of it.
 */
export async function loadLedger(core: LedgerCore): Promise<void> {
  const [chain, tree, checkpoint, fold, indexes] = await core.subs.meta.getMany([
    META.head,
    META.tree,
    META.checkpoint,
    META.fold,
    META.indexes,
  ]);
  const last = await first(core.subs.entries.entries({ reverse: true, limit: 1 }));
  const current =
    indexes === undefined ? undefined : parseJsonValue<{ version: number; size: number }>(indexes);
  if (last === undefined && chain === undefined) return; // a new ledger
  if (chain === undefined || tree === undefined || fold === undefined || current?.version !== INDEX_VERSION) {
    // Written by an older version, or its derived data was lost: rebuild it all from the entries.
    await rebuildIndexes(core);
    return;
  }
  const state = core.state;
  state.chain = parseJsonValue<ChainHead>(chain);
  state.tree = decodeTreeState(tree);
  state.summary = parseSummary(fold);
  if (checkpoint !== undefined) state.checkpoint = parseJsonValue<StoredCheckpoint>(checkpoint);
  state.head = headOf(core, state.tree, state.chain);
  await verifyTail(core, last);
  if (current.size !== state.tree.size) await rebuildIndexes(core);
  const head = core.state.head;
  if (core.state.checkpoint?.size !== head.size || core.state.checkpoint.rootHash !== head.rootHash) {
    core.state.checkpoint = signHead(core, head);
    if (core.state.checkpoint !== undefined) {
      await core.subs.meta.put(META.checkpoint, jsonValue(core.state.checkpoint), { sync: true });
    }
  }
}

/**
 * Checks the stored tail against the stored head and Merkle state: the last entry is entry
 * `size - 1`, its leaf hash is the head's and the tree's last leaf, its `prev` is the leaf hash
 * of the entry before, and its proof verifies with the key that signed it.
 */
async function verifyTail(core: LedgerCore, last: [string, Uint8Array] | undefined): Promise<void> {
  const { tree } = core.state;
  const chain = core.state.chain as ChainHead;
  const corrupt = (problem: string): AppError =>
    new AppError('LEDGER_CORRUPT', undefined, { actor: core.actor.id, problem });
  if (last === undefined) throw corrupt('the head names entries that are not stored');
  const seq = parseSeqKey(last[0]);
  if (seq !== tree.size - 1 || seq !== chain.nextSeq - 1) {
    throw corrupt(`the last entry is ${seq}, the head says ${chain.nextSeq - 1}, the tree ${tree.size - 1}`);
  }
  const record = recordOf(core, seq, last[1]);
  if (record.leafHash !== chain.prevHash) throw corrupt('the last entry is not the head');
  const node = await core.subs.nodes.get(nodeKey(0, seq));
  if (node === undefined || toHex(node) !== record.leafHash)
    throw corrupt('the Merkle tree does not end with the last entry');
  if (seq > 0) {
    const before = await core.subs.entries.get(seqKey(seq - 1));
    if (before === undefined || record.entry.prev !== recordOf(core, seq - 1, before).leafHash)
      throw corrupt('the last entry does not link to the one before');
  }
  const key = await keyOf(core, chain, record.entry);
  const proof = verifyProof(record.entry as unknown as JsonObject, {
    publicKey: key,
    verificationMethod: verificationMethodFor(core.actor.id, keyIndexOf(record.entry)),
    backend: core.backend,
  });
  if (!proof.ok) throw corrupt(`the last entry's proof does not verify (${proof.reason.type})`);
}

/** The public key that signed `entry`: the head's, or the one before it for a `KeyRotated`. */
async function keyOf(core: LedgerCore, chain: ChainHead, entry: SignedEntry): Promise<Uint8Array> {
  let multikey = chain.ledgerKey;
  if (entry.kind === 'KeyRotated') {
    // Rare: walk back to the entry that introduced the key before it.
    for await (const [, leaf] of core.subs.entries.entries({ lt: seqKey(entry.seq), reverse: true })) {
      const e = JSON.parse(fromUtf8(leaf)) as SignedEntry;
      if (e.kind === 'KeyRotated' || e.kind === 'Genesis') {
        multikey = (e as SignedEntry<'KeyRotated'>).ledgerKey;
        break;
      }
    }
  }
  const decoded = decodeMultikey(multikey);
  if (!decoded.ok)
    throw new AppError('LEDGER_CORRUPT', undefined, { problem: 'the ledger key does not decode' });
  return decoded.publicKey;
}

/**
 * Rebuilds every derived record (hash index, Merkle nodes and state, expense and contribution
 * indexes, claims, balance and budget, head) from the stored entries, verifying the whole chain
 * with the protocol's ChainVerifier on the way. The version mark is written last, so a crash
 * during a rebuild makes the next open rebuild again.
 */
export async function rebuildIndexes(core: LedgerCore): Promise<void> {
  const { backend, subs } = core;
  await subs.meta.del(META.indexes, { sync: true });
  for (const sub of [
    subs.hashes,
    subs.nodes,
    subs.expenses,
    subs.expensesByState,
    subs.contributions,
    subs.claims,
  ])
    await sub.clear();
  const verifier = new ChainVerifier({ actor: core.actor.id, backend });
  let tree: TreeState = EMPTY_TREE;
  let chain: ChainHead | undefined;
  let summary = emptySummary('');
  let next = 0;
  for (;;) {
    // A fresh bounded read per chunk: no iterator (and its snapshot) lives across the writes.
    const chunk: [number, Uint8Array, SignedEntry][] = [];
    for await (const [key, leaf] of subs.entries.entries({ gte: seqKey(next), limit: REBUILD_CHUNK })) {
      chunk.push([parseSeqKey(key), leaf, JSON.parse(fromUtf8(leaf)) as SignedEntry]);
    }
    if (chunk.length === 0) break;
    const state = new BatchState(subs, summary, chain?.currency ?? '');
    await state.prefetch(chunk.flatMap(([, , entry]) => referencesOf(entry)));
    const ops: BatchOp[] = [];
    for (const [seq, leaf, entry] of chunk) {
      const step = verifier.push(entry);
      if (!step.ok) {
        throw new AppError('LEDGER_CORRUPT', undefined, { actor: core.actor.id, seq, reason: step.reason });
      }
      const leafHash = toHex(step.leafHash);
      if (seq === 0) {
        state.currency = (entry as SignedEntry<'Genesis'>).currency;
        state.summary = emptySummary(state.currency);
      } else {
        const failure = state.apply(entry, leafHash, chain?.host !== undefined);
        if (failure !== undefined) throw new AppError('LEDGER_CORRUPT', undefined, { seq, reason: failure });
      }
      const appended = appendLeaf(tree, step.leafHash, backend);
      ops.push(...entryOps(core, seq, leaf, leafHash, appended.nodes, false));
      tree = appended.state;
      chain = verifier.head;
    }
    ops.push(...state.ops());
    summary = state.summary;
    await core.store.batch(ops);
    next = (chunk[chunk.length - 1] as [number, Uint8Array, SignedEntry])[0] + 1;
  }
  if (chain === undefined) throw new AppError('LEDGER_CORRUPT', undefined, { problem: 'no genesis entry' });
  const head = headOf(core, tree, chain);
  // Keep a stored checkpoint of this very tree (an imported one, say); sign one otherwise.
  const stored = await subs.meta.get(META.checkpoint);
  const kept = stored === undefined ? undefined : parseJsonValue<StoredCheckpoint>(stored);
  const checkpoint =
    kept?.size === head.size && kept.rootHash === head.rootHash ? kept : signHead(core, head);
  core.state = { chain, tree, summary, head, checkpoint };
  await core.store.batch(metaOps(core, chain, tree, checkpoint), { sync: true });
}

async function first<T>(iterable: AsyncIterable<T>): Promise<T | undefined> {
  for await (const item of iterable) return item;
  return undefined;
}

/** The key index a proof names (`#ledger-key-<k>`). */
function keyIndexOf(entry: SignedEntry): number {
  const match = /#ledger-key-(\d+)$/.exec(entry.proof?.verificationMethod ?? '');
  return match === null ? -1 : Number(match[1]);
}
