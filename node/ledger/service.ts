/**
 * One `LedgerService` per actor: the single writer of its ledger and the reader of everything
 * derived from it. Appends are queued and committed in batches (writer.ts): each batch holds the
 * entries and everything derived from them, with a fresh signed checkpoint, in ONE atomic store
 * batch written with fsync. A call resolves only once its batch is on disk; a body that cannot
 * become a valid entry rejects that call alone. Reads are in reads.ts, proofs in proofs.ts, and
 * opening (tail check, index rebuild) in recovery.ts.
 *
 * Cross-process exclusion comes from LevelDB's directory lock; within a process, open one service
 * per actor and share it (the app should keep one per actor name).
 */

import { nobleBackend } from '../../protocol/crypto.ts';
import { toHex } from '../../protocol/encoding.ts';
import type { ChainHead } from '../../protocol/entry/build.ts';
import type { EntryBody } from '../../protocol/entry/types.ts';
import type { BudgetSummary, ExpenseState } from '../../protocol/fold.ts';
import { EMPTY_TREE, treeRoot } from '../../protocol/merkle/tree.ts';
import { formatAmount } from '../../protocol/money.ts';
import type { LedgerCore } from './core.ts';
import { ledgerSublevels } from './layout.ts';
import { consistencyProofOf, inclusionProofOf, rootOf } from './proofs.ts';
import { readByHash, readEntry, readExpense, readExpenses, readPage } from './reads.ts';
import { loadLedger } from './recovery.ts';
import { type ExpenseStatus, emptySummary } from './state.ts';
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
import { type GenesisRequest, LedgerWriter } from './writer.ts';

export { checkpointOrigin } from './core.ts';
export type { GenesisRequest } from './writer.ts';

/** The single writer and reader of one actor's ledger. */
export class LedgerService {
  readonly actor: LedgerActor;
  readonly #core: LedgerCore;
  readonly #writer: LedgerWriter;

  private constructor(options: LedgerOptions) {
    this.actor = options.actor;
    const backend = options.backend ?? nobleBackend;
    this.#core = {
      actor: options.actor,
      subs: ledgerSublevels(options.store, options.actor.name),
      store: options.store,
      backend,
      now: options.now ?? (() => new Date()),
      maxBatch: options.maxBatch ?? 1000,
      sync: options.sync ?? true,
      state: {
        chain: undefined,
        tree: EMPTY_TREE,
        summary: emptySummary(''),
        head: { size: 0, leafHash: undefined, rootHash: toHex(treeRoot(EMPTY_TREE, backend)) },
        checkpoint: undefined,
      },
    };
    this.#writer = new LedgerWriter(this.#core);
  }

  /**
   * Opens the ledger of `options.actor`: loads its head, Merkle state and checkpoint, verifies the
   * tail against them, and rebuilds the indexes if they are behind or of an older version.
   */
  static async open(options: LedgerOptions): Promise<LedgerService> {
    const service = new LedgerService(options);
    await loadLedger(service.#core);
    return service;
  }

  /** The current end of the ledger (entries acknowledged so far). */
  head(): LedgerHead {
    return { ...this.#core.state.head };
  }

  /** Batch and entry counters. */
  stats(): LedgerStats {
    return { ...this.#writer.stats };
  }

  /** The latest signed checkpoint, or undefined for an empty ledger. */
  checkpoint(): StoredCheckpoint | undefined {
    const checkpoint = this.#core.state.checkpoint;
    return checkpoint === undefined ? undefined : { ...checkpoint };
  }

  /**
   * Appends an entry built from `body` (signed with the ledger key, stamped with the clock). `by`,
   * when given, overrides `body.by`. Resolves once the entry is durable; rejects with an
   * `AppError` (`LEDGER_INVALID_ENTRY`, `LEDGER_RULE`, `LEDGER_WRITE_FAILED`, `LEDGER_CLOSED`).
   */
  append(body: EntryBody, by?: string): Promise<AppendResult> {
    return this.#writer.append(body, by);
  }

  /**
   * Calls `listener` after each durable batch with its entries in seq order (federation publishes
   * them). It runs on the writer's path, so it must return quickly and not throw; a throw is
   * swallowed so that it cannot fail appends that are already on disk. Returns the unsubscriber.
   */
  onAppended(listener: (results: readonly AppendResult[]) => void): () => void {
    return this.#writer.onAppended(listener);
  }

  /**
   * Writes entry 0 of an empty ledger. Rejects with `ACTOR_EXISTS` when the ledger already has
   * a genesis.
   */
  initialize(genesis: GenesisRequest): Promise<AppendResult> {
    return this.#writer.initialize(genesis);
  }

  /** The chain head the writer builds on (current key, host, currency), or undefined before the genesis. */
  chainHead(): ChainHead | undefined {
    const chain = this.#core.state.chain;
    return chain === undefined ? undefined : structuredClone(chain);
  }

  /** True once the genesis entry is written. */
  get initialized(): boolean {
    return this.#core.state.chain !== undefined;
  }

  /** The entry at `seq`, or undefined. */
  get(seq: number): Promise<EntryRecord | undefined> {
    return readEntry(this.#core, seq);
  }

  /** The entry whose leaf hash is `leafHash` (hex, either case), or undefined. */
  getByHash(leafHash: string): Promise<EntryRecord | undefined> {
    return readByHash(this.#core, leafHash);
  }

  /**
   * A page of entries, newest first by default. The cursor is the seq to continue from, so pages
   * stay stable while the ledger grows. Throws `INVALID_CURSOR` on a cursor it did not make.
   */
  page(options: PageOptions = {}): Promise<Page> {
    return readPage(this.#core, options);
  }

  /** The balance in minor units, and in wire form. */
  balance(): { currency: string; minor: bigint; amount: string } {
    const { chain, summary } = this.#core.state;
    const currency = chain?.currency;
    if (currency === undefined) return { currency: '', minor: 0n, amount: '0' };
    return { currency, minor: summary.balance, amount: formatAmount(summary.balance, currency) };
  }

  /** Income and spending by kind and month (bigint minor units; `budgetToJson` for wire form). */
  budget(): BudgetSummary {
    const b = this.#core.state.summary.budget;
    const copy = (t: BudgetSummary['income']) => ({
      total: t.total,
      byKind: { ...t.byKind },
      byMonth: { ...t.byMonth },
    });
    return { currency: b.currency, balance: b.balance, income: copy(b.income), spending: copy(b.spending) };
  }

  /** The status of the expense whose `Expense` entry has leaf hash `hash`, or undefined. */
  expense(hash: string): Promise<ExpenseStatus | undefined> {
    return readExpense(this.#core, hash);
  }

  /**
   * Expenses in `state`, newest filed first (or oldest with `order: 'oldest'`); the cursor is the
   * seq of the `Expense` entry to continue from.
   */
  expenses(state: ExpenseState, options: PageOptions = {}): Promise<Page<ExpenseStatus>> {
    return readExpenses(this.#core, state, options);
  }

  /** RFC 9162 inclusion proof of entry `seq` in the tree of `size` leaves (default: the head). */
  inclusionProof(seq: number, size = this.#core.state.head.size): Promise<InclusionProof> {
    return inclusionProofOf(this.#core, seq, size);
  }

  /** RFC 9162 consistency proof from `size1` to `size2` (default: the head). */
  consistencyProof(size1: number, size2 = this.#core.state.head.size): Promise<ConsistencyProof> {
    return consistencyProofOf(this.#core, size1, size2);
  }

  /** RFC 9162 root of the tree of `size` leaves (default: the head), hex. */
  rootAt(size = this.#core.state.head.size): Promise<string> {
    return rootOf(this.#core, size);
  }

  /**
   * Stops accepting appends, waits for the queued ones to be written, and returns. The store
   * stays open (it belongs to the node).
   */
  close(): Promise<void> {
    return this.#writer.close();
  }
}
