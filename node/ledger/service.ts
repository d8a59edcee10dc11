/**
 * One `LedgerService` per actor: the single writer of its ledger and the reader of everything
 * derived from it. Appends are queued and committed in batches: each batch holds the entries,
 * the hash index, the expense indexes, the fold summary, the Merkle nodes and state, the head and
 * a fresh signed checkpoint, in ONE atomic store batch written with fsync. A call resolves only
 * once its batch is on disk; a body that cannot become a valid entry rejects that call alone.
 *
 * Cross-process exclusion comes from LevelDB's directory lock; within a process, open one service
 * per actor and share it (the app should keep one per actor name).
 */

import { ChainVerifier } from '../../protocol/chain.ts';
import { signCheckpoint } from '../../protocol/checkpoint.ts';
import { nobleBackend } from '../../protocol/crypto.ts';
import { fromHex, fromUtf8, toHex } from '../../protocol/encoding.ts';
import {
  type BuiltEntry,
  buildEntry,
  buildGenesis,
  type ChainHead,
  EntryError,
  verificationMethodFor,
} from '../../protocol/entry/build.ts';
import type { EntryBody, SignedEntry } from '../../protocol/entry/types.ts';
import type { BudgetSummary, ExpenseState } from '../../protocol/fold.ts';
import type { JsonObject } from '../../protocol/jcs.ts';
import {
  consistencyProof as buildConsistency,
  inclusionProof as buildInclusion,
} from '../../protocol/merkle/proof.ts';
import {
  appendLeaf,
  decodeTreeState,
  EMPTY_TREE,
  encodeTreeState,
  hashLeaf,
  type TreeNode,
  type TreeState,
  treeRoot,
  treeStateFromNodes,
} from '../../protocol/merkle/tree.ts';
import { formatAmount } from '../../protocol/money.ts';
import { decodeMultikey, encodeMultikey } from '../../protocol/multikey.ts';
import { noteKeyFromSeed, SIG_TYPE_ED25519 } from '../../protocol/note.ts';
import { verifyProof } from '../../protocol/proof.ts';
import { AppError } from '../errors.ts';
import { jsonValue, parseJsonValue, parseSeqKey, seqKey, textValue } from '../storage/codec.ts';
import type { BatchOp } from '../storage/types.ts';
import { invalidEntry, ruleViolation } from './errors.ts';
import {
  expenseStateKey,
  INDEX_VERSION,
  type LedgerSublevels,
  ledgerSublevels,
  META,
  nodeKey,
} from './layout.ts';
import {
  BatchState,
  type ExpenseStatus,
  emptySummary,
  parseSummary,
  type RuleFailure,
  referencesOf,
} from './state.ts';
import type {
  AppendResult,
  ConsistencyProof,
  EntryRecord,
  InclusionProof,
  LedgerActor,
  LedgerHead,
  LedgerOptions,
  LedgerStats,
  Page,
  PageOptions,
  StoredCheckpoint,
} from './types.ts';

interface Pending {
  /** A body to append, or the genesis of an empty ledger. */
  body: EntryBody | { genesis: GenesisRequest };
  by: string | undefined;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

/** What {@link LedgerService.initialize} needs beyond the actor: the genesis fields. */
export interface GenesisRequest {
  actorType: 'Group' | 'Organization';
  currency: string;
  /** The checkpoint origin line (the actor id without its scheme). */
  origin: string;
  by?: string;
  /** Extra writes committed atomically with the genesis (the actor record). */
  extraOps?: BatchOp[];
}

const DEFAULT_PAGE = 50;
const MAX_PAGE = 500;

/** The single writer and reader of one actor's ledger. */
export class LedgerService {
  readonly actor: LedgerActor;
  readonly #subs: LedgerSublevels;
  readonly #options: Required<Omit<LedgerOptions, 'actor' | 'store'>> & Pick<LedgerOptions, 'store'>;
  #chain: ChainHead | undefined;
  #tree: TreeState = EMPTY_TREE;
  #summary = emptySummary('');
  #head: LedgerHead;
  #checkpoint: StoredCheckpoint | undefined;
  #queue: Pending[] = [];
  #draining: Promise<void> | undefined;
  #closed = false;
  readonly #listeners = new Set<(results: readonly AppendResult[]) => void>();
  readonly #stats: LedgerStats = { batches: 0, entries: 0, rejected: 0, maxBatch: 0 };

  private constructor(options: LedgerOptions) {
    this.actor = options.actor;
    this.#subs = ledgerSublevels(options.store, options.actor.name);
    this.#options = {
      store: options.store,
      backend: options.backend ?? nobleBackend,
      now: options.now ?? (() => new Date()),
      maxBatch: options.maxBatch ?? 1000,
      sync: options.sync ?? true,
    };
    this.#head = {
      size: 0,
      leafHash: undefined,
      rootHash: toHex(treeRoot(EMPTY_TREE, this.#options.backend)),
    };
  }

  /**
   * Opens the ledger of `options.actor`: loads its head, Merkle state and checkpoint, verifies the
   * tail against them, and rebuilds the indexes if they are behind or of an older version.
   */
  static async open(options: LedgerOptions): Promise<LedgerService> {
    const service = new LedgerService(options);
    await service.#load();
    return service;
  }

  /** The current end of the ledger (entries acknowledged so far). */
  head(): LedgerHead {
    return { ...this.#head };
  }

  /** Batch and entry counters. */
  stats(): LedgerStats {
    return { ...this.#stats };
  }

  /** The latest signed checkpoint, or undefined for an empty ledger. */
  checkpoint(): StoredCheckpoint | undefined {
    return this.#checkpoint === undefined ? undefined : { ...this.#checkpoint };
  }

  /**
   * Appends an entry built from `body` (signed with the ledger key, stamped with the clock). `by`,
   * when given, overrides `body.by`. Resolves once the entry is durable; rejects with an
   * `AppError` (`LEDGER_INVALID_ENTRY`, `LEDGER_RULE`, `LEDGER_WRITE_FAILED`, `LEDGER_CLOSED`).
   */
  append(body: EntryBody, by?: string): Promise<AppendResult> {
    if (this.#closed) return Promise.reject(new AppError('LEDGER_CLOSED'));
    return new Promise<AppendResult>((resolve, reject) => {
      this.#queue.push({ body, by, resolve, reject });
      this.#kick();
    });
  }

  /**
   * Calls `listener` after each durable batch with its entries in seq order (federation publishes
   * them). It runs on the writer's path, so it must return quickly and not throw; a throw is
   * swallowed so that it cannot fail appends that are already on disk. Returns the unsubscriber.
   */
  onAppended(listener: (results: readonly AppendResult[]) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /**
   * Writes entry 0 of an empty ledger. Rejects with `ACTOR_EXISTS` when the ledger already has
   * a genesis.
   */
  initialize(genesis: GenesisRequest): Promise<AppendResult> {
    if (this.#closed) return Promise.reject(new AppError('LEDGER_CLOSED'));
    return new Promise<AppendResult>((resolve, reject) => {
      this.#queue.push({ body: { genesis }, by: undefined, resolve, reject });
      this.#kick();
    });
  }

  /** The chain head the writer builds on (current key, host, currency), or undefined before the genesis. */
  chainHead(): ChainHead | undefined {
    return this.#chain === undefined ? undefined : structuredClone(this.#chain);
  }

  /** True once the genesis entry is written. */
  get initialized(): boolean {
    return this.#chain !== undefined;
  }

  /** The entry at `seq`, or undefined. */
  async get(seq: number): Promise<EntryRecord | undefined> {
    if (!Number.isSafeInteger(seq) || seq < 0) return undefined;
    const leaf = await this.#subs.entries.get(seqKey(seq));
    return leaf === undefined ? undefined : this.#record(seq, leaf);
  }

  /** The entry whose leaf hash is `leafHash` (hex, either case), or undefined. */
  async getByHash(leafHash: string): Promise<EntryRecord | undefined> {
    if (!/^[0-9a-fA-F]{64}$/.test(leafHash)) return undefined;
    const seq = await this.#subs.hashes.get(leafHash.toLowerCase());
    return seq === undefined ? undefined : this.get(parseSeqKey(fromUtf8(seq)));
  }

  /**
   * A page of entries, newest first by default. The cursor is the seq to continue from, so pages
   * stay stable while the ledger grows. Throws `INVALID_CURSOR` on a cursor it did not make.
   */
  async page(options: PageOptions = {}): Promise<Page> {
    const limit = pageLimit(options.limit);
    const newest = (options.order ?? 'newest') === 'newest';
    const from = options.cursor === undefined ? undefined : parseCursor(options.cursor);
    const size = this.#head.size;
    const range = newest
      ? { lt: seqKey(Math.min(from === undefined ? size : from + 1, size)), reverse: true, limit: limit + 1 }
      : { gte: seqKey(from ?? 0), lt: seqKey(size), limit: limit + 1 };
    const items: EntryRecord[] = [];
    let next: string | undefined;
    for await (const [key, leaf] of this.#subs.entries.entries(range)) {
      const seq = parseSeqKey(key);
      if (items.length === limit) {
        next = String(seq);
        break;
      }
      items.push(this.#record(seq, leaf));
    }
    return next === undefined ? { items } : { items, next };
  }

  /** The balance in minor units, and in wire form. */
  balance(): { currency: string; minor: bigint; amount: string } {
    const currency = this.#chain?.currency;
    if (currency === undefined) return { currency: '', minor: 0n, amount: '0' };
    return { currency, minor: this.#summary.balance, amount: formatAmount(this.#summary.balance, currency) };
  }

  /** Income and spending by kind and month (bigint minor units; `budgetToJson` for wire form). */
  budget(): BudgetSummary {
    const b = this.#summary.budget;
    const copy = (t: BudgetSummary['income']) => ({
      total: t.total,
      byKind: { ...t.byKind },
      byMonth: { ...t.byMonth },
    });
    return { currency: b.currency, balance: b.balance, income: copy(b.income), spending: copy(b.spending) };
  }

  /** The status of the expense whose `Expense` entry has leaf hash `hash`, or undefined. */
  async expense(hash: string): Promise<ExpenseStatus | undefined> {
    if (!/^[0-9a-fA-F]{64}$/.test(hash)) return undefined;
    const value = await this.#subs.expenses.get(hash.toLowerCase());
    return value === undefined ? undefined : parseJsonValue<ExpenseStatus>(value);
  }

  /**
   * Expenses in `state`, newest filed first (or oldest with `order: 'oldest'`); the cursor is the
   * seq of the `Expense` entry to continue from.
   */
  async expenses(state: ExpenseState, options: PageOptions = {}): Promise<Page<ExpenseStatus>> {
    if (!EXPENSE_STATES.includes(state))
      throw new AppError('VALIDATION_FAILED', `unknown expense state ${state}`);
    const limit = pageLimit(options.limit);
    const from = options.cursor === undefined ? undefined : parseCursor(options.cursor);
    const newest = (options.order ?? 'newest') === 'newest';
    const range = newest
      ? {
          gte: `${state}:`,
          ...(from === undefined ? { lt: `${state};` } : { lte: expenseStateKey(state, from) }),
          reverse: true,
        }
      : { gte: from === undefined ? `${state}:` : expenseStateKey(state, from), lt: `${state};` };
    const hashes: string[] = [];
    let next: string | undefined;
    for await (const [key, value] of this.#subs.expensesByState.entries({ ...range, limit: limit + 1 })) {
      if (hashes.length === limit) {
        next = String(parseSeqKey(key.slice(state.length + 1)));
        break;
      }
      hashes.push(parseJsonValue<string>(value));
    }
    const values = await this.#subs.expenses.getMany(hashes);
    const items = values.map((value) => parseJsonValue<ExpenseStatus>(value as Uint8Array));
    return next === undefined ? { items } : { items, next };
  }

  /** RFC 9162 inclusion proof of entry `seq` in the tree of `size` leaves (default: the head). */
  async inclusionProof(seq: number, size = this.#head.size): Promise<InclusionProof> {
    if (!Number.isSafeInteger(size) || size < 1 || size > this.#head.size) throw new AppError('PROOF_RANGE');
    if (!Number.isSafeInteger(seq) || seq < 0 || seq >= size) throw new AppError('PROOF_RANGE');
    const hashes = await buildInclusion(seq, size, this.#readNode, this.#options.backend);
    const leafHash = toHex(await this.#readNode(0, seq));
    return { seq, size, leafHash, hashes: hashes.map(toHex) };
  }

  /** RFC 9162 consistency proof from `size1` to `size2` (default: the head). */
  async consistencyProof(size1: number, size2 = this.#head.size): Promise<ConsistencyProof> {
    if (!Number.isSafeInteger(size2) || size2 < 0 || size2 > this.#head.size)
      throw new AppError('PROOF_RANGE');
    if (!Number.isSafeInteger(size1) || size1 < 0 || size1 > size2) throw new AppError('PROOF_RANGE');
    const hashes = await buildConsistency(size1, size2, this.#readNode, this.#options.backend);
    return { size1, size2, hashes: hashes.map(toHex) };
  }

  /** RFC 9162 root of the tree of `size` leaves (default: the head), hex. */
  async rootAt(size = this.#head.size): Promise<string> {
    if (size === this.#head.size) return this.#head.rootHash;
    if (!Number.isSafeInteger(size) || size < 0 || size > this.#head.size) throw new AppError('PROOF_RANGE');
    return toHex(treeRoot(await treeStateFromNodes(size, this.#readNode), this.#options.backend));
  }

  /**
   * Stops accepting appends, waits for the queued ones to be written, and returns. The store
   * stays open (it belongs to the node).
   */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#draining !== undefined) await this.#draining;
  }

  readonly #readNode = async (level: number, index: number): Promise<Uint8Array> => {
    const hash = await this.#subs.nodes.get(nodeKey(level, index));
    if (hash === undefined) throw new AppError('LEDGER_CORRUPT', `missing Merkle node ${level}/${index}`);
    return hash;
  };

  #record(seq: number, leaf: Uint8Array): EntryRecord {
    return {
      seq,
      leafHash: toHex(hashLeaf(leaf, this.#options.backend)),
      leaf,
      entry: JSON.parse(fromUtf8(leaf)) as SignedEntry,
    };
  }

  #kick(): void {
    if (this.#draining !== undefined) return;
    // setImmediate, not a microtask: callers that append in the same turn share the first batch.
    this.#draining = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.#drain());
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#options.maxBatch);
        await this.#commit(batch);
      }
    } finally {
      this.#draining = undefined;
    }
  }

  async #commit(batch: Pending[]): Promise<void> {
    const { backend, now, sync } = this.#options;
    const time = now();
    let chain = this.#chain;
    let tree = this.#tree;
    const state = new BatchState(this.#subs, this.#summary, chain?.currency ?? '');
    await state.prefetch(batch.flatMap((pending) => referencesOf(pending.body)));
    const ops: BatchOp[] = [];
    const accepted: [Pending, AppendResult][] = [];
    for (const pending of batch) {
      try {
        const built = this.#build(chain, pending, time);
        let extra: BatchOp[] = [];
        if (typeof pending.body === 'object' && pending.body !== null && 'genesis' in pending.body) {
          extra = pending.body.genesis.extraOps ?? [];
          state.summary = emptySummary(built.head.currency);
          state.currency = built.head.currency;
        } else {
          const failure = state.apply(built.entry, toHex(built.leafHash), chain?.host !== undefined);
          if (failure !== undefined) throw ruleViolation(failure, describeRule(failure));
        }
        const appended = appendLeaf(tree, built.leafHash, backend);
        const seq = built.entry.seq;
        const leafHash = toHex(built.leafHash);
        ops.push(...this.#entryOps(seq, built.leaf, leafHash, appended.nodes), ...extra);
        chain = built.head;
        tree = appended.state;
        accepted.push([pending, { seq, leafHash, leaf: built.leaf, entry: built.entry }]);
      } catch (error) {
        this.#stats.rejected++;
        pending.reject(toAppendError(error));
      }
    }
    if (accepted.length === 0 || chain === undefined) return;
    const head = this.#headOf(tree, chain);
    const checkpoint = this.#signCheckpoint(head);
    ops.push(...state.ops(), ...this.#metaOps(chain, tree, checkpoint));
    try {
      await this.#options.store.batch(ops, { sync });
    } catch (error) {
      // Nothing of this batch is on disk (the batch is atomic): the in-memory state stays as it
      // was, and every caller of the batch learns that its entry was not recorded.
      for (const [pending] of accepted) {
        pending.reject(new AppError('LEDGER_WRITE_FAILED', undefined, { cause: String(error) }));
      }
      return;
    }
    this.#chain = chain;
    this.#tree = tree;
    this.#head = head;
    this.#summary = state.summary;
    this.#checkpoint = checkpoint;
    this.#stats.batches++;
    this.#stats.entries += accepted.length;
    this.#stats.maxBatch = Math.max(this.#stats.maxBatch, accepted.length);
    for (const [pending, result] of accepted) pending.resolve(result);
    if (this.#listeners.size === 0) return;
    const results = accepted.map(([, result]) => result);
    for (const listener of this.#listeners) {
      try {
        listener(results);
      } catch {
        // See onAppended: the entries are durable whatever a listener does.
      }
    }
  }

  #build(chain: ChainHead | undefined, pending: Pending, time: Date): BuiltEntry {
    const secretKey = this.actor.ledgerSecretKey;
    const checkpointSecret = this.actor.checkpointSecretKey;
    if (secretKey === undefined || checkpointSecret === undefined) {
      throw new AppError('LEDGER_CLOSED', 'this ledger is read-only on this node: its keys are not here');
    }
    const sign = { time, secretKey, backend: this.#options.backend };
    const body = pending.body;
    if (typeof body !== 'object' || body === null)
      throw invalidEntry({ type: 'notAnObject' }, 'the body is not an object');
    if ('genesis' in body) {
      if (chain !== undefined) throw new AppError('ACTOR_EXISTS', 'the ledger already has its genesis entry');
      const { extraOps: _extra, ...fields } = body.genesis;
      const checkpointKey = encodeMultikey(this.#options.backend.publicKey(checkpointSecret));
      return buildGenesis({ actor: this.actor.id, name: this.actor.name, checkpointKey, ...fields }, sign);
    }
    if (chain === undefined)
      throw invalidEntry({ type: 'notGenesis' }, 'the ledger has no genesis entry yet');
    if (typeof body !== 'object' || body === null)
      throw invalidEntry({ type: 'notAnObject' }, 'the body is not an object');
    return buildEntry(chain, pending.by === undefined ? body : { ...body, by: pending.by }, sign);
  }

  #entryOps(seq: number, leaf: Uint8Array, leafHash: string, nodes: readonly TreeNode[]): BatchOp[] {
    const { entries, hashes, nodes: nodeSub } = this.#subs;
    const key = seqKey(seq);
    const ops: BatchOp[] = [
      { type: 'put', sublevel: entries, key, value: leaf },
      { type: 'put', sublevel: hashes, key: leafHash, value: textValue(key) },
    ];
    for (const node of nodes)
      ops.push({ type: 'put', sublevel: nodeSub, key: nodeKey(node.level, node.index), value: node.hash });
    return ops;
  }

  #metaOps(chain: ChainHead, tree: TreeState, checkpoint: StoredCheckpoint | undefined): BatchOp[] {
    const meta = this.#subs.meta;
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

  #headOf(tree: TreeState, chain: ChainHead | undefined): LedgerHead {
    return {
      size: tree.size,
      leafHash: chain?.prevHash,
      rootHash: toHex(treeRoot(tree, this.#options.backend)),
    };
  }

  #signCheckpoint(head: LedgerHead): StoredCheckpoint | undefined {
    if (this.actor.checkpointSecretKey === undefined) return undefined;
    const origin = checkpointOrigin(this.actor.id);
    const key = noteKeyFromSeed(
      origin,
      this.actor.checkpointSecretKey,
      SIG_TYPE_ED25519,
      this.#options.backend,
    );
    const checkpoint = { origin, size: head.size, rootHash: fromHex(head.rootHash), extensions: [] };
    const note = signCheckpoint(checkpoint, key, this.#options.backend);
    return { size: head.size, rootHash: head.rootHash, note };
  }

  async #load(): Promise<void> {
    const [chain, tree, checkpoint, fold, indexes] = await this.#subs.meta.getMany([
      META.head,
      META.tree,
      META.checkpoint,
      META.fold,
      META.indexes,
    ]);
    const last = await first(this.#subs.entries.entries({ reverse: true, limit: 1 }));
    const current =
      indexes === undefined ? undefined : parseJsonValue<{ version: number; size: number }>(indexes);
    if (last === undefined && chain === undefined) return; // a new ledger
    if (
      chain === undefined ||
      tree === undefined ||
      fold === undefined ||
      current?.version !== INDEX_VERSION
    ) {
      // Written by an older version, or its derived data was lost: rebuild it all from the entries.
      await this.#rebuild();
      return;
    }
    this.#chain = parseJsonValue<ChainHead>(chain);
    this.#tree = decodeTreeState(tree);
    this.#summary = parseSummary(fold);
    if (checkpoint !== undefined) this.#checkpoint = parseJsonValue<StoredCheckpoint>(checkpoint);
    this.#head = this.#headOf(this.#tree, this.#chain);
    await this.#verifyTail(last);
    if (current.size !== this.#tree.size) await this.#rebuild();
    if (this.#checkpoint?.size !== this.#head.size || this.#checkpoint.rootHash !== this.#head.rootHash) {
      this.#checkpoint = this.#signCheckpoint(this.#head);
      if (this.#checkpoint !== undefined) {
        await this.#subs.meta.put(META.checkpoint, jsonValue(this.#checkpoint), { sync: true });
      }
    }
  }

  /**
   * Checks the stored tail against the stored head and Merkle state: the last entry is entry
   * `size - 1`, its leaf hash is the head's and the tree's last leaf, its `prev` is the leaf hash
   * of the entry before, and its proof verifies with the key that signed it.
   */
  async #verifyTail(last: [string, Uint8Array] | undefined): Promise<void> {
    const chain = this.#chain as ChainHead;
    const corrupt = (problem: string): AppError =>
      new AppError('LEDGER_CORRUPT', undefined, { actor: this.actor.id, problem });
    if (last === undefined) throw corrupt('the head names entries that are not stored');
    const seq = parseSeqKey(last[0]);
    if (seq !== this.#tree.size - 1 || seq !== chain.nextSeq - 1) {
      throw corrupt(
        `the last entry is ${seq}, the head says ${chain.nextSeq - 1}, the tree ${this.#tree.size - 1}`,
      );
    }
    const record = this.#record(seq, last[1]);
    if (record.leafHash !== chain.prevHash) throw corrupt('the last entry is not the head');
    const node = await this.#subs.nodes.get(nodeKey(0, seq));
    if (node === undefined || toHex(node) !== record.leafHash)
      throw corrupt('the Merkle tree does not end with the last entry');
    if (seq > 0) {
      const before = await this.get(seq - 1);
      if (before === undefined || record.entry.prev !== before.leafHash)
        throw corrupt('the last entry does not link to the one before');
    }
    const key = await this.#keyOf(record.entry);
    const proof = verifyProof(record.entry as unknown as JsonObject, {
      publicKey: key,
      verificationMethod: verificationMethodFor(this.actor.id, keyIndexOf(record.entry)),
      backend: this.#options.backend,
    });
    if (!proof.ok) throw corrupt(`the last entry's proof does not verify (${proof.reason.type})`);
  }

  /** The public key that signed `entry`: the head's, or the one before it for a `KeyRotated`. */
  async #keyOf(entry: SignedEntry): Promise<Uint8Array> {
    let multikey = (this.#chain as ChainHead).ledgerKey;
    if (entry.kind === 'KeyRotated') {
      // Rare: walk back to the entry that introduced the key before it.
      for await (const [, leaf] of this.#subs.entries.entries({ lt: seqKey(entry.seq), reverse: true })) {
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
   * indexes, balance and budget, head) from the stored entries, verifying the whole chain with the
   * protocol's ChainVerifier on the way. The version mark is written last, so a crash during a
   * rebuild makes the next open rebuild again.
   */
  async #rebuild(): Promise<void> {
    const { backend } = this.#options;
    const subs = this.#subs;
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
    const verifier = new ChainVerifier({ actor: this.actor.id, backend });
    let tree: TreeState = EMPTY_TREE;
    let chain: ChainHead | undefined;
    let summary = emptySummary('');
    let chunk: [number, Uint8Array][] = [];
    const flush = async (): Promise<void> => {
      const state = new BatchState(subs, summary, chain?.currency ?? '');
      await state.prefetch(chunk.flatMap(([, leaf]) => referencesOf(JSON.parse(fromUtf8(leaf)))));
      const ops: BatchOp[] = [];
      for (const [seq, leaf] of chunk) {
        const entry = JSON.parse(fromUtf8(leaf)) as SignedEntry;
        const step = verifier.push(entry);
        if (!step.ok) {
          throw new AppError('LEDGER_CORRUPT', undefined, { actor: this.actor.id, seq, reason: step.reason });
        }
        const leafHash = toHex(step.leafHash);
        if (seq === 0) {
          state.currency = (entry as SignedEntry<'Genesis'>).currency;
          state.summary = emptySummary(state.currency);
        } else {
          const failure = state.apply(entry, leafHash, chain?.host !== undefined);
          if (failure !== undefined)
            throw new AppError('LEDGER_CORRUPT', undefined, { seq, reason: failure });
        }
        const appended = appendLeaf(tree, step.leafHash, backend);
        ops.push(...this.#entryOps(seq, leaf, leafHash, appended.nodes).slice(1));
        tree = appended.state;
        chain = verifier.head;
      }
      ops.push(...state.ops());
      summary = state.summary;
      await this.#options.store.batch(ops);
      chunk = [];
    };
    for await (const [key, leaf] of subs.entries.entries()) {
      chunk.push([parseSeqKey(key), leaf]);
      if (chunk.length >= 1000) await flush();
    }
    if (chunk.length > 0) await flush();
    if (chain === undefined) throw new AppError('LEDGER_CORRUPT', undefined, { problem: 'no genesis entry' });
    this.#chain = chain;
    this.#tree = tree;
    this.#summary = summary;
    this.#head = this.#headOf(tree, chain);
    // Keep a stored checkpoint of this very tree (an imported one, say); sign one otherwise.
    const stored = await subs.meta.get(META.checkpoint);
    const kept = stored === undefined ? undefined : parseJsonValue<StoredCheckpoint>(stored);
    this.#checkpoint =
      kept?.size === this.#head.size && kept.rootHash === this.#head.rootHash
        ? kept
        : this.#signCheckpoint(this.#head);
    await this.#options.store.batch([...this.#metaOps(chain, tree, this.#checkpoint)], { sync: true });
  }
}

/** The C2SP checkpoint origin line of an actor: its id without the scheme (SPEC.md §6). */
export function checkpointOrigin(actorId: string): string {
  return actorId.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
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

function pageLimit(limit: number | undefined): number {
  const n = Math.trunc(limit ?? DEFAULT_PAGE);
  return Number.isFinite(n) ? Math.min(Math.max(n, 1), MAX_PAGE) : DEFAULT_PAGE;
}

const EXPENSE_STATES: readonly string[] = ['pending', 'approved', 'rejected', 'countersigned', 'paid'];

function describeRule(failure: RuleFailure): string {
  switch (failure.type) {
    case 'balanceBelowZero':
      return `the balance (${failure.balance}) cannot pay ${failure.amount}`;
    case 'selfApproval':
      return 'the author of an expense cannot approve it';
    case 'amountMismatch':
      return `the amount must be ${failure.expected}, not ${failure.actual}`;
    case 'hostSignatureInvalid':
      return 'the host-signed object does not name this expense and amount';
    case 'alreadyRecorded':
      return `the ledger already records this (${failure.key}) in entry ${failure.first}`;
    case 'forbiddenTransition':
      return failure.rule === 'expenseState'
        ? `an expense that is ${failure.from} cannot be ${failure.to}`
        : `${failure.rule}${failure.reference === undefined ? '' : ` (${failure.reference})`}`;
  }
}

function parseCursor(cursor: string): number {
  if (!/^(0|[1-9]\d{0,15})$/.test(cursor) || !Number.isSafeInteger(Number(cursor))) {
    throw new AppError('INVALID_CURSOR');
  }
  return Number(cursor);
}

/** Registered error for anything an append can throw while building its entry. */
function toAppendError(error: unknown): unknown {
  if (error instanceof AppError) return error;
  if (error instanceof EntryError) {
    return invalidEntry({ type: error.code, path: error.path, detail: error.detail }, error.message);
  }
  return new AppError('INTERNAL', undefined, { cause: String(error) });
}
