/**
 * Signature batches answered on other threads while this thread walks the chain. When every
 * helper already has `maxQueued` batches waiting, the walking thread answers the batch itself
 * instead of waiting: the cores stay busy whichever side is the slower one, and memory stays
 * bounded. A helper is a worker thread started here, or a thread that was there already and
 * listens on a port: `cagnotte verify` walks the chain on a worker thread and lends its main
 * thread (command.ts), so that two cores need two threads, not three.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { firstInvalidSignature, type SignatureBatch } from '../../protocol/audit/signatures.ts';
import type { CryptoBackend } from '../../protocol/crypto.ts';

/** A request to a helper: the batch's bytes (protocol/audit/signatures.ts), transferred. */
export interface SignatureRequest {
  type: 'signatures';
  bytes: Uint8Array;
}

/** A helper's answer: the seq of the first invalid signature in the batch, or null. */
export interface SignatureAnswer {
  type: 'answer';
  invalid: number | null;
}

/** A thread that answers {@link SignatureRequest}s, in order: a Worker or a MessagePort. */
export interface SignaturePort {
  postMessage(message: SignatureRequest, transfer: ArrayBuffer[]): void;
  on(event: 'message', listener: (message: SignatureAnswer) => void): unknown;
  off(event: 'message', listener: (message: SignatureAnswer) => void): unknown;
}

/** Options of {@link SignaturePool}. */
export interface SignaturePoolOptions {
  /**
   * Helper threads, `ports` first (default: one per core but the walking thread's, at least
   * one). 0 answers everything on the walking thread.
   */
  workers?: number;
  /** Threads already there that answer requests (they are not stopped by {@link close}). */
  ports?: readonly SignaturePort[];
  /**
   * Batches waiting per helper before the walking thread answers one itself (default 6). The
   * walking thread hears of answers only between reads, so it sees a helper's queue as fuller
   * than it is: with 2, it answered batches itself while the helper ran dry (the main thread of
   * `cagnotte verify` was busy 82-90% of a 100,000-entry audit, 93-94% with 6). A batch is a few
   * tens of kilobytes.
   */
  maxQueued?: number;
  /** The walking thread's backend, for the batches it answers. */
  backend: CryptoBackend;
}

interface Slot {
  port: SignaturePort;
  listener: (message: SignatureAnswer) => void;
  started?: Worker;
  queued: number;
}

/** A pool of signature helpers; the earliest invalid signature seen so far is {@link firstInvalid}. */
export class SignaturePool {
  readonly #slots: Slot[] = [];
  readonly #backend: CryptoBackend;
  readonly #maxQueued: number;
  #outstanding = 0;
  #settled: (() => void)[] = [];
  #firstInvalid: number | undefined;
  #error: Error | undefined;
  /** Batches answered on the walking thread. */
  inline = 0;
  /** Batches answered by helpers. */
  offloaded = 0;

  constructor(options: SignaturePoolOptions) {
    this.#backend = options.backend;
    this.#maxQueued = options.maxQueued ?? 6;
    const ports = options.ports ?? [];
    const count = options.workers ?? Math.max(1, availableParallelism() - 1);
    for (let i = 0; i < count; i++) {
      const given = ports[i];
      if (given !== undefined) {
        this.#add(given);
        continue;
      }
      // No heap limit: loaders (tap's, for one) run in workers too, and a worker that runs out
      // of heap would end the audit; a worker only ever holds a few batches anyway.
      const worker = new Worker(new URL('./worker.ts', import.meta.url));
      worker.on('error', (error) => {
        this.#error = error;
        this.#settle();
      });
      this.#add(worker, worker);
    }
  }

  /** Helper threads in the pool. */
  get workers(): number {
    return this.#slots.length;
  }

  /** The smallest seq whose signature is known to be invalid, so far. */
  get firstInvalid(): number | undefined {
    return this.#firstInvalid;
  }

  /** Hands a batch over; answered at once on this thread when every helper is busy. */
  submit(batch: SignatureBatch): void {
    if (batch.count === 0) return;
    if (this.#error !== undefined) throw this.#error;
    let slot: Slot | undefined;
    for (const candidate of this.#slots)
      if (slot === undefined || candidate.queued < slot.queued) slot = candidate;
    if (slot === undefined || slot.queued >= this.#maxQueued) {
      this.inline += 1;
      const invalid = firstInvalidSignature(batch.bytes, this.#backend);
      if (invalid !== undefined) this.#noteInvalid(invalid);
      return;
    }
    slot.queued += 1;
    this.#outstanding += 1;
    slot.port.postMessage({ type: 'signatures', bytes: batch.bytes }, [batch.bytes.buffer as ArrayBuffer]);
  }

  /** Waits for every batch handed over; resolves with {@link firstInvalid}. */
  async drain(): Promise<number | undefined> {
    if (this.#outstanding > 0 && this.#error === undefined) {
      await new Promise<void>((resolve) => this.#settled.push(resolve));
    }
    if (this.#error !== undefined) throw this.#error;
    return this.#firstInvalid;
  }

  /** Stops the workers it started and stops listening to the ports it was given. */
  async close(): Promise<void> {
    const slots = this.#slots.splice(0);
    for (const slot of slots) slot.port.off('message', slot.listener);
    await Promise.all(slots.map((slot) => slot.started?.terminate()));
  }

  #add(port: SignaturePort, started?: Worker): void {
    const slot: Slot = { port, queued: 0, listener: () => {} };
    slot.listener = (message) => {
      if (message?.type !== 'answer') return;
      slot.queued -= 1;
      this.#outstanding -= 1;
      this.offloaded += 1;
      if (message.invalid !== null) this.#noteInvalid(message.invalid);
      if (this.#outstanding === 0) this.#settle();
    };
    port.on('message', slot.listener);
    if (started !== undefined) slot.started = started;
    this.#slots.push(slot);
  }

  #settle(): void {
    const waiting = this.#settled;
    this.#settled = [];
    for (const resolve of waiting) resolve();
  }

  #noteInvalid(seq: number): void {
    if (this.#firstInvalid === undefined || seq < this.#firstInvalid) this.#firstInvalid = seq;
  }
}

/** Answers one request with `backend`: what a helper thread does with each message. */
export function answerSignatures(request: SignatureRequest, backend: CryptoBackend): SignatureAnswer {
  const invalid = firstInvalidSignature(request.bytes, backend);
  return { type: 'answer', invalid: invalid ?? null };
}
