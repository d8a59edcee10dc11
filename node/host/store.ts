/**
 * The host's records beside its ledger, in the node's store under `host/<name>/…`: applications,
 * members, pledges, countersigning requests, its books per collective, the witness state per
 * collective and the evidence it keeps, and how far it has verified each member's ledger
 * (progress.ts). The ledger is the public, signed record; these are the working state that lets
 * every request be answered again with the same signed answer.
 */
import { jsonValue, parseJsonValue } from '../storage/codec.ts';
import type { BatchOp, Store, Sublevel } from '../storage/types.ts';

export const KINDS = [
  'applications',
  'members',
  'pledges',
  'countersign',
  'books',
  'witness',
  'evidence',
  'meta',
  'progress',
] as const;
export type Kind = (typeof KINDS)[number];

/** JSON records by key in one sublevel per kind; writes go through atomic batches. */
export class HostStore {
  readonly #store: Store;
  readonly #subs: Record<Kind, Sublevel>;
  #lock: Promise<unknown> = Promise.resolve();

  constructor(store: Store, hostName: string) {
    this.#store = store;
    this.#subs = Object.fromEntries(
      KINDS.map((kind) => [kind, store.sublevel('host', hostName, kind)]),
    ) as Record<Kind, Sublevel>;
  }

  /** The record at `key` of `kind`, or undefined. */
  async get<T>(kind: Kind, key: string): Promise<T | undefined> {
    const value = await this.#subs[kind].get(key);
    return value === undefined ? undefined : parseJsonValue<T>(value);
  }

  /** Every record of `kind` (key order), optionally under a key prefix. */
  async list<T>(kind: Kind, prefix?: string): Promise<T[]> {
    const out: T[] = [];
    const range = prefix === undefined ? {} : { gte: prefix, lt: `${prefix}\uffff` };
    for await (const [, value] of this.#subs[kind].entries(range)) out.push(parseJsonValue<T>(value));
    return out;
  }

  /**
   * Writes records atomically, fsynced unless `sync` is false: a record that only saves work
   * (progress.ts) may be lost in a crash, and the work is then done again.
   */
  async put(writes: readonly [Kind, string, unknown][], options: { sync?: boolean } = {}): Promise<void> {
    const ops: BatchOp[] = writes.map(([kind, key, value]) => ({
      type: 'put',
      sublevel: this.#subs[kind],
      key,
      value: jsonValue(value),
    }));
    await this.#store.batch(ops, { sync: options.sync ?? true });
  }

  /**
   * Runs `task` after every task queued before it: the host's decisions read, sign, append and
   * write as one step, so two requests for the same thing can never both act on it.
   */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(task, task);
    this.#lock = run.catch(() => undefined);
    return run;
  }
}
