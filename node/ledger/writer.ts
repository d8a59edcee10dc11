/**
 * The single writer of one ledger: appends are queued and committed in batches. Each batch holds
 * the entries, the hash index, the expense indexes, the fold summary, the Merkle nodes and state,
 * the head and a fresh signed checkpoint, in ONE atomic store batch written with fsync. A call
 * resolves only once its batch is on disk; a body that cannot become a valid entry rejects that
 * call alone.
 */
import { toHex } from '../../protocol/encoding.ts';
import {
  type BuiltEntry,
  buildEntry,
  buildGenesis,
  type ChainHead,
  EntryError,
} from '../../protocol/entry/build.ts';
import type { EntryBody } from '../../protocol/entry/types.ts';
import { appendLeaf } from '../../protocol/merkle/tree.ts';
import { encodeMultikey } from '../../protocol/multikey.ts';
import { AppError } from '../errors.ts';
import type { BatchOp } from '../storage/types.ts';
import { entryOps, headOf, type LedgerCore, type LedgerState, metaOps, signHead } from './core.ts';
import { invalidEntry, ruleViolation } from './errors.ts';
import { BatchState, emptySummary, type RuleFailure, referencesOf } from './state.ts';
import type { AppendResult, LedgerStats } from './types.ts';

/** What {@link LedgerWriter.initialize} needs beyond the actor: the genesis fields. */
export interface GenesisRequest {
  actorType: 'Group' | 'Organization';
  currency: string;
  /** The checkpoint origin line (the actor id without its scheme). */
  origin: string;
  by?: string;
  /** Extra writes committed atomically with the genesis (the actor record). */
  extraOps?: BatchOp[];
}

interface Pending {
  /** A body to append, or the genesis of an empty ledger. */
  body: EntryBody | { genesis: GenesisRequest };
  by: string | undefined;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

/** A batch built and signed, ready to write, with what its callers will hear. */
interface Prepared {
  pendings: Pending[];
  accepted: [Pending, AppendResult][];
  /** Refused by the builder or the rules: answered once the batch before is durable. */
  refused: [Pending, unknown][];
  /** Empty when nothing was accepted. */
  ops: BatchOp[];
  /** The committed state once written. */
  state: LedgerState;
  /** The rules' view after this batch, for the batch built while this one is written. */
  rules: BatchState;
}

/** A queue shorter than twice this is written as one batch (see `#firstTake`). */
const SPLIT_AT_LEAST = 128;

/** The queue and batch committer of one ledger. */
export class LedgerWriter {
  readonly #core: LedgerCore;
  #queue: Pending[] = [];
  #draining: Promise<void> | undefined;
  #closed = false;
  /** Size of the last batch answered: how many callers may soon come back. */
  #lastBatch = 0;
  readonly #listeners = new Set<(results: readonly AppendResult[]) => void>();
  readonly stats: LedgerStats = { batches: 0, entries: 0, rejected: 0, maxBatch: 0 };

  constructor(core: LedgerCore) {
    this.#core = core;
  }

  /** Queues `body`; see `LedgerService.append`. */
  append(body: EntryBody, by?: string): Promise<AppendResult> {
    return this.#enqueue(body, by);
  }

  /** Queues the genesis; see `LedgerService.initialize`. */
  initialize(genesis: GenesisRequest): Promise<AppendResult> {
    return this.#enqueue({ genesis }, undefined);
  }

  /** Adds a listener of durable batches; see `LedgerService.onAppended`. */
  onAppended(listener: (results: readonly AppendResult[]) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Stops accepting appends and waits for the queued ones to be written. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#draining !== undefined) await this.#draining;
  }

  #enqueue(body: Pending['body'], by: string | undefined): Promise<AppendResult> {
    if (this.#closed) return Promise.reject(new AppError('LEDGER_CLOSED'));
    return new Promise<AppendResult>((resolve, reject) => {
      this.#queue.push({ body, by, resolve, reject });
      this.#kick();
    });
  }

  #kick(): void {
    if (this.#draining !== undefined) return;
    // setImmediate, not a microtask: callers that append in the same turn share the first batch.
    this.#draining = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.#drain());
  }

  /**
   * Builds and signs each batch while the one before it is being written (one batch in flight at
   * most): signing is CPU on this thread, writing is I/O on another. A batch built on one still
   * in flight is only speculative: its callers hear nothing until the one before is durable, and
   * if that write fails the whole batch goes back to the queue to be built again.
   */
  async #drain(): Promise<void> {
    let inflight: { batch: Prepared; write: Promise<unknown> } | undefined;
    try {
      for (;;) {
        let next: Prepared | undefined;
        if (inflight === undefined && this.#queue.length * 2 < this.#lastBatch) {
          // Group commit: the callers the last batch answered (HTTP clients, say) come back
          // together; an fsync started for the first few would make the rest wait for another.
          await new Promise<void>((resolve) => setTimeout(resolve, 1));
        }
        if (this.#queue.length > 0) {
          const take = Math.min(this.#core.maxBatch, this.#firstTake(inflight !== undefined));
          const pendings = this.#queue.splice(0, take);
          try {
            next = await this.#prepare(pendings, inflight?.batch);
          } catch (error) {
            // The store could not be read: nothing of these was recorded, and nothing will be.
            for (const pending of pendings) {
              pending.reject(new AppError('LEDGER_WRITE_FAILED', undefined, { cause: String(error) }));
            }
          }
        }
        if (inflight !== undefined) {
          const failed = await this.#finish(inflight.batch, inflight.write);
          if (failed && next !== undefined) {
            this.#queue.unshift(...next.pendings);
            next = undefined;
          }
        }
        if (next === undefined) {
          inflight = undefined;
          if (this.#queue.length === 0) return;
          continue;
        }
        const ops = next.ops;
        inflight = {
          batch: next,
          write:
            ops.length === 0 ? Promise.resolve() : this.#core.store.batch(ops, { sync: this.#core.sync }),
        };
        // Settled in #finish; this keeps an early failure from reading as unhandled meanwhile.
        inflight.write.catch(() => {});
      }
    } finally {
      this.#draining = undefined;
    }
  }

  /**
   * How many queued appends the next batch takes: all of them, except that a long queue with
   * nothing in flight is cut in two so that signing the second half overlaps writing the first.
   */
  #firstTake(writing: boolean): number {
    const queued = this.#queue.length;
    return writing || queued < 2 * SPLIT_AT_LEAST ? queued : Math.ceil(queued / 2);
  }

  /** Builds, checks and signs `pendings` on top of `after` (or of the committed state). */
  async #prepare(pendings: Pending[], after: Prepared | undefined): Promise<Prepared> {
    const core = this.#core;
    const base = after?.state ?? core.state;
    const time = core.now();
    let chain = base.chain;
    let tree = base.tree;
    const state = new BatchState(core.subs, base.summary, chain?.currency ?? '', after?.rules);
    await state.prefetch(pendings.flatMap((pending) => referencesOf(pending.body)));
    const ops: BatchOp[] = [];
    const accepted: [Pending, AppendResult][] = [];
    const refused: [Pending, unknown][] = [];
    for (const pending of pendings) {
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
        const appended = appendLeaf(tree, built.leafHash, core.backend);
        const seq = built.entry.seq;
        const leafHash = toHex(built.leafHash);
        ops.push(...entryOps(core, seq, built.leaf, leafHash, appended.nodes), ...extra);
        chain = built.head;
        tree = appended.state;
        accepted.push([pending, { seq, leafHash, leaf: built.leaf, entry: built.entry }]);
      } catch (error) {
        refused.push([pending, toAppendError(error)]);
      }
    }
    if (accepted.length === 0 || chain === undefined) {
      return { pendings, accepted, refused, ops: [], state: base, rules: state };
    }
    const head = headOf(core, tree, chain);
    const checkpoint = signHead(core, head);
    ops.push(...state.ops(), ...metaOps(core, chain, tree, checkpoint));
    return {
      pendings,
      accepted,
      refused,
      ops,
      state: { chain, tree, head, summary: state.summary, checkpoint },
      rules: state,
    };
  }

  /** Waits for `batch`'s write and answers its callers; true when the write failed. */
  async #finish(batch: Prepared, write: Promise<unknown>): Promise<boolean> {
    for (const [pending, error] of batch.refused) {
      this.stats.rejected++;
      pending.reject(error);
    }
    try {
      await write;
    } catch (error) {
      // Nothing of this batch is on disk (the batch is atomic): the committed state stays as it
      // was, and every caller of the batch learns that its entry was not recorded.
      for (const [pending] of batch.accepted) {
        pending.reject(new AppError('LEDGER_WRITE_FAILED', undefined, { cause: String(error) }));
      }
      return true;
    }
    const { accepted } = batch;
    this.#lastBatch = batch.pendings.length;
    if (accepted.length === 0) return false;
    this.#core.state = batch.state;
    this.stats.batches++;
    this.stats.entries += accepted.length;
    this.stats.maxBatch = Math.max(this.stats.maxBatch, accepted.length);
    for (const [pending, result] of accepted) pending.resolve(result);
    if (this.#listeners.size === 0) return false;
    const results = accepted.map(([, result]) => result);
    for (const listener of this.#listeners) {
      try {
        listener(results);
      } catch {
        // See onAppended: the entries are durable whatever a listener does.
      }
    }
    return false;
  }

  #build(chain: ChainHead | undefined, pending: Pending, time: Date): BuiltEntry {
    const { actor, backend } = this.#core;
    const secretKey = actor.ledgerSecretKey;
    const checkpointSecret = actor.checkpointSecretKey;
    if (secretKey === undefined || checkpointSecret === undefined) {
      throw new AppError('LEDGER_CLOSED', 'this ledger is read-only on this node: its keys are not here');
    }
    const sign = { time, secretKey, backend };
    const body = pending.body;
    if (typeof body !== 'object' || body === null)
      throw invalidEntry({ type: 'notAnObject' }, 'the body is not an object');
    if ('genesis' in body) {
      if (chain !== undefined) throw new AppError('ACTOR_EXISTS', 'the ledger already has its genesis entry');
      const { extraOps: _extra, ...fields } = body.genesis;
      const checkpointKey = encodeMultikey(backend.publicKey(checkpointSecret));
      return buildGenesis({ actor: actor.id, name: actor.name, checkpointKey, ...fields }, sign);
    }
    if (chain === undefined)
      throw invalidEntry({ type: 'notGenesis' }, 'the ledger has no genesis entry yet');
    return buildEntry(chain, pending.by === undefined ? body : { ...body, by: pending.by }, sign);
  }
}

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

/** Registered error for anything an append can throw while building its entry. */
function toAppendError(error: unknown): unknown {
  if (error instanceof AppError) return error;
  if (error instanceof EntryError) {
    return invalidEntry({ type: error.code, path: error.path, detail: error.detail }, error.message);
  }
  return new AppError('INTERNAL', undefined, { cause: String(error) });
}
