/**
 * Fedify's {@link MessageQueue} on the node's {@link Store}, durable across restarts: a message is
 * written to LevelDB before `enqueue` resolves and deleted only after its handler has returned, so
 * a crash (or a stop) while it is being handled delivers it again on the next start (at least
 * once; Fedify's inbox idempotence and the receivers' dedupe by activity id absorb the repeat).
 *
 * Keys are `due time (ms, 16 digits) : counter : random`, so one ordered scan yields the messages
 * that are due, oldest first. Retries are Fedify's (`nativeRetrial` is false): a failed delivery
 * comes back as a new message with a delay, which is what makes its backoff survive a restart.
 *
 * That retry is enqueued by the handler of the failed message, with the same `id`; it replaces the
 * failed message in one batch. Deleted only after the handler returned, a process killed in
 * between kept both, and each went on retrying: every later attempt made twice, and counted
 * twice by the circuit breaker that holds a failing host's deliveries for 30 minutes.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type {
  MessageQueue,
  MessageQueueDepth,
  MessageQueueEnqueueOptions,
  MessageQueueListenOptions,
} from '@fedify/fedify';
import { jsonValue, parseJsonValue, seqKey } from '../storage/codec.ts';
import type { BatchOp, Store, Sublevel } from '../storage/types.ts';
import { durationMs } from './kv.ts';

/** What is stored per message: the message and its ordering key. */
interface Stored {
  m: unknown;
  k?: string;
}

/** Options of {@link LevelMessageQueue}. */
export interface LevelMessageQueueOptions {
  /** The sublevel path (default `['fedify', 'queue']`). */
  path?: readonly string[];
  /** Milliseconds since the epoch; injectable so that delay tests need no waiting. */
  now?: () => number;
  /**
   * Longest sleep of an idle worker, in ms (default 5000). Enqueues and finished handlers wake it
   * at once; the poll only matters for a clock that jumps (tests, suspended machines).
   */
  pollIntervalMs?: number;
  /** Messages handled at the same time (default 32): deliveries are I/O-bound. */
  concurrency?: number;
  /** Called when a handler throws (Fedify's own handlers do not); the message is dropped. */
  onHandlerError?: (error: unknown, message: unknown) => void;
}

/** The message a handler runs for, as its own enqueues see it. */
interface Handling {
  key: string;
  id: unknown;
}

/**
 * The `id` of a Fedify message (every kind has one, kept by its retries and its holds). Fedify
 * calls its messages opaque: should the field go, nothing is replaced and a crash in the window
 * duplicates again, as any at-least-once queue may.
 */
function idOf(message: unknown): unknown {
  return typeof message === 'object' && message !== null ? (message as { id?: unknown }).id : undefined;
}

/** The key prefix of messages due at `ms` (every message due by then sorts before `dueBound(ms + 1)`). */
function dueBound(ms: number): string {
  return `${seqKey(Math.max(0, Math.floor(ms)))}:`;
}

/** The due time encoded in a message key. */
function dueOf(key: string): number {
  return Number(key.slice(0, 16));
}

/** A durable message queue for Fedify on a sublevel of the node's store. */
export class LevelMessageQueue implements MessageQueue {
  readonly nativeRetrial = false;
  readonly #sub: Sublevel;
  readonly #store: Store;
  readonly #now: () => number;
  readonly #pollMs: number;
  readonly #concurrency: number;
  readonly #onHandlerError: (error: unknown, message: unknown) => void;
  /** Keys being handled, and the ordering keys they hold. */
  readonly #inFlight = new Map<string, string | undefined>();
  readonly #handling = new AsyncLocalStorage<Handling>();
  #counter = 0;
  /** Scans of the queue running now, and the keys whose handlers finished during them. */
  #scans = 0;
  readonly #doneWhileScanning = new Set<string>();
  readonly #sleepers = new Set<() => void>();
  #woken = false;

  constructor(store: Store, options: LevelMessageQueueOptions = {}) {
    this.#store = store;
    this.#sub = store.sublevel(...(options.path ?? ['fedify', 'queue']));
    this.#now = options.now ?? Date.now;
    this.#pollMs = options.pollIntervalMs ?? 5000;
    this.#concurrency = options.concurrency ?? 32;
    this.#onHandlerError =
      options.onHandlerError ??
      ((error) => {
        console.error('federation queue: a handler failed; message dropped', error);
      });
  }

  enqueue(message: unknown, options?: MessageQueueEnqueueOptions): Promise<void> {
    return this.enqueueMany([message], options);
  }

  async enqueueMany(messages: readonly unknown[], options?: MessageQueueEnqueueOptions): Promise<void> {
    if (messages.length === 0) return;
    const delay = options?.delay === undefined ? 0 : durationMs(options.delay);
    const prefix = dueBound(this.#now() + delay);
    const ops: BatchOp[] = messages.map((message) => {
      const stored: Stored = { m: message };
      if (options?.orderingKey !== undefined) stored.k = options.orderingKey;
      const key = `${prefix}${seqKey(this.#counter++)}:${randomUUID()}`;
      return { type: 'put', sublevel: this.#sub, key, value: jsonValue(stored) };
    });
    const handling = this.#handling.getStore();
    if (handling?.id !== undefined && messages.some((m) => idOf(m) === handling.id)) {
      // The handled message's successor (a retry, a hold): written together, the work is in the
      // queue exactly once whenever the process dies. #run's own deletion then finds nothing.
      ops.push({ type: 'del', sublevel: this.#sub, key: handling.key });
    }
    // Durable before the caller moves on: an accepted Follow or a new entry's fan-out must not be
    // lost to a power cut between the ack and the delivery.
    await this.#store.batch(ops, { sync: true });
    this.wake();
  }

  /** Re-examines the queue now (after an enqueue, a finished handler, or a clock moved by a test). */
  wake(): void {
    this.#woken = true;
    for (const wake of [...this.#sleepers]) wake();
  }

  async listen(
    handler: (message: unknown) => Promise<void> | void,
    options: MessageQueueListenOptions = {},
  ): Promise<void> {
    const signal = options.signal;
    while (!signal?.aborted) {
      this.#woken = false;
      await this.#startDue(handler, signal);
      if (this.#woken || signal?.aborted) continue;
      await this.#sleep(await this.#nextWait(), signal);
    }
  }

  async getDepth(): Promise<MessageQueueDepth> {
    const bound = dueBound(this.#now() + 1);
    // Which messages are in flight is read before the iterator takes its snapshot: read while
    // iterating, a handler that finished in between (deleted from the set, its key still in the
    // snapshot) would be counted as waiting.
    const inFlight = new Set(this.#inFlight.keys());
    let ready = 0;
    let delayed = 0;
    for await (const key of this.#sub.keys()) {
      if (inFlight.has(key)) continue;
      if (key < bound) ready++;
      else delayed++;
    }
    return { queued: ready + delayed, ready, delayed };
  }

  /** Starts handlers for due messages until `concurrency` are running. */
  async #startDue(
    handler: (message: unknown) => Promise<void> | void,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    if (this.#inFlight.size >= this.#concurrency) return;
    const busy = new Set([...this.#inFlight.values()].filter((k) => k !== undefined));
    this.#scans++;
    try {
      // Keys only: a pass runs after every finished handler and mostly skips messages in flight;
      // reading their values (a delivery carries its activity and key, kilobytes) made a fan-out
      // to 200 inboxes read hundreds of megabytes. The value is read for a message about to start.
      for await (const key of this.#sub.keys({ lt: dueBound(this.#now() + 1) })) {
        if (signal?.aborted || this.#inFlight.size >= this.#concurrency) return;
        // A message handled and deleted after this scan's snapshot was taken is still in it: not
        // in flight any more, it would run a second time (a double delivery) without this set.
        if (this.#inFlight.has(key) || this.#doneWhileScanning.has(key)) continue;
        const bytes = await this.#sub.get(key);
        if (bytes === undefined || this.#inFlight.has(key) || this.#doneWhileScanning.has(key)) continue;
        if (signal?.aborted || this.#inFlight.size >= this.#concurrency) return;
        const stored = parseJsonValue<Stored>(bytes);
        // Same ordering key: one at a time, oldest first; later ones wait for the next pass.
        if (stored.k !== undefined && busy.has(stored.k)) continue;
        if (stored.k !== undefined) busy.add(stored.k);
        this.#inFlight.set(key, stored.k);
        void this.#run(key, stored, handler);
      }
    } finally {
      if (--this.#scans === 0) this.#doneWhileScanning.clear();
    }
  }

  async #run(
    key: string,
    stored: Stored,
    handler: (message: unknown) => Promise<void> | void,
  ): Promise<void> {
    try {
      await this.#handling.run({ key, id: idOf(stored.m) }, () => handler(stored.m));
    } catch (error) {
      this.#onHandlerError(error, stored.m);
    }
    try {
      await this.#sub.del(key);
    } catch {
      // The store was closed while the handler ran: the message stays and runs again next start.
    }
    if (this.#scans > 0) this.#doneWhileScanning.add(key);
    this.#inFlight.delete(key);
    this.wake();
  }

  /** Milliseconds until the earliest waiting message is due, capped by the poll interval. */
  async #nextWait(): Promise<number> {
    if (this.#inFlight.size >= this.#concurrency) return this.#pollMs;
    for await (const key of this.#sub.keys({ gte: dueBound(this.#now() + 1), limit: 1 })) {
      return Math.min(this.#pollMs, Math.max(0, dueOf(key) - this.#now()));
    }
    return this.#pollMs;
  }

  #sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      // A wake during the scan or #nextWait must not be lost to a sleep that starts after it.
      if (this.#woken || signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.#sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.#sleepers.add(done);
    });
  }
}
