/**
 * Signature batches answered on worker threads while the main thread walks the chain. When every
 * worker already has `maxQueued` batches waiting, the main thread answers the batch itself instead
 * of waiting: the cores stay busy whichever side is the slower one, and memory stays bounded.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { firstInvalidSignature, type SignatureBatch } from '../../protocol/audit/signatures.ts';
import type { CryptoBackend } from '../../protocol/crypto.ts';

/** Options of {@link SignaturePool}. */
export interface SignaturePoolOptions {
  /** Worker threads (default: available cores, at least 1). 0 answers everything on the main thread. */
  workers?: number;
  /** Batches waiting per worker before the main thread answers one itself. */
  maxQueued?: number;
  /** The main thread's backend, for the batches it answers. */
  backend: CryptoBackend;
}

interface Slot {
  worker: Worker;
  queued: number;
}

/** A pool of signature workers; the earliest invalid signature seen so far is {@link firstInvalid}. */
export class SignaturePool {
  readonly #slots: Slot[] = [];
  readonly #backend: CryptoBackend;
  readonly #maxQueued: number;
  #outstanding = 0;
  #settled: (() => void)[] = [];
  #firstInvalid: number | undefined;
  #error: Error | undefined;
  /** Batches answered on the main thread. */
  inline = 0;
  /** Batches answered by workers. */
  offloaded = 0;

  constructor(options: SignaturePoolOptions) {
    this.#backend = options.backend;
    this.#maxQueued = options.maxQueued ?? 2;
    const count = options.workers ?? Math.max(1, availableParallelism());
    for (let i = 0; i < count; i++) {
      // No heap limit: loaders (tap's, for one) run in workers too, and a worker that runs out
      // of heap would end the audit; a worker only ever holds a few batches anyway.
      const worker = new Worker(new URL('./worker.ts', import.meta.url));
      const slot: Slot = { worker, queued: 0 };
      worker.on('message', (message: { invalid: number | null }) => {
        slot.queued -= 1;
        this.#outstanding -= 1;
        this.offloaded += 1;
        if (message.invalid !== null) this.#noteInvalid(message.invalid);
        if (this.#outstanding === 0) this.#settle();
      });
      worker.on('error', (error) => {
        this.#error = error;
        this.#settle();
      });
      this.#slots.push(slot);
    }
  }

  /** Worker threads in the pool. */
  get workers(): number {
    return this.#slots.length;
  }

  /** The smallest seq whose signature is known to be invalid, so far. */
  get firstInvalid(): number | undefined {
    return this.#firstInvalid;
  }

  /** Hands a batch over; answered at once on this thread when every worker is busy. */
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
    slot.worker.postMessage({ bytes: batch.bytes }, [batch.bytes.buffer as ArrayBuffer]);
  }

  /** Waits for every batch handed over; resolves with {@link firstInvalid}. */
  async drain(): Promise<number | undefined> {
    if (this.#outstanding > 0 && this.#error === undefined) {
      await new Promise<void>((resolve) => this.#settled.push(resolve));
    }
    if (this.#error !== undefined) throw this.#error;
    return this.#firstInvalid;
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    await Promise.all(this.#slots.map((slot) => slot.worker.terminate()));
    this.#slots.length = 0;
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
