/**
 * Fedify's {@link KvStore} on the node's {@link Store}: one sublevel holds Fedify's caches (remote
 * documents and keys), its idempotence records for inbox activities and its circuit-breaker state,
 * so that they survive a restart with everything else the node keeps.
 *
 * Values are JSON (everything Fedify stores is: documents, JWKs, flags, counters). A value with a
 * TTL carries its expiry time; an expired value reads as absent and is deleted when seen, so the
 * store needs no sweeper to stay correct (expired entries nobody reads again stay on disk until
 * {@link LevelKvStore.sweep} is called).
 */
import type { KvKey, KvStore, KvStoreListEntry, KvStoreSetOptions } from '@fedify/fedify';
import { jsonValue, parseJsonValue } from '../storage/codec.ts';
import type { Store, Sublevel } from '../storage/types.ts';

/** A stored record: the value and, for a value set with a TTL, its expiry (ms since the epoch). */
interface Record {
  v: unknown;
  e?: number;
}

/** Options of {@link LevelKvStore}. */
export interface LevelKvStoreOptions {
  /** The sublevel path (default `['fedify', 'kv']`). */
  path?: readonly string[];
  /** Milliseconds since the epoch; injectable so that TTL tests need no waiting. */
  now?: () => number;
}

/** The part of a Temporal.Duration this store reads (Fedify passes polyfill instances). */
interface DurationLike {
  total(options: { unit: 'millisecond' }): number;
}

/** Milliseconds of a TTL or delay; days count as 24 hours, as Fedify's own stores do. */
export function durationMs(duration: DurationLike): number {
  const ms = duration.total({ unit: 'millisecond' });
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`invalid duration: ${String(duration)}`);
  return ms;
}

/**
 * A key part becomes its URI-component encoding, so `/` (encoded as `%2F` inside a part) can
 * join the parts unambiguously and a prefix of parts is a prefix of the joined string.
 */
export function encodeKvKey(key: KvKey): string {
  if (key.length === 0) throw new TypeError('a KvKey has at least one part');
  return key.map((part) => encodeURIComponent(part)).join('/');
}

/** Inverse of {@link encodeKvKey}. */
export function decodeKvKey(encoded: string): KvKey {
  return encoded.split('/').map((part) => decodeURIComponent(part)) as unknown as KvKey;
}

/** Deep equality of JSON values, for {@link LevelKvStore.cas}. */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: { [k: string]: unknown } = {};
    for (const key of Object.keys(value).sort())
      out[key] = sortKeys((value as { [k: string]: unknown })[key]);
    return out;
  }
  return value;
}

/** Fedify's key–value store on a sublevel of the node's store. */
export class LevelKvStore implements KvStore {
  readonly #sub: Sublevel;
  readonly #now: () => number;
  /** cas is a read then a write: serialise them per key so two cas calls cannot both succeed. */
  readonly #locks = new Map<string, Promise<unknown>>();

  constructor(store: Store, options: LevelKvStoreOptions = {}) {
    this.#sub = store.sublevel(...(options.path ?? ['fedify', 'kv']));
    this.#now = options.now ?? Date.now;
  }

  async get<T = unknown>(key: KvKey): Promise<T | undefined> {
    const encoded = encodeKvKey(key);
    const record = await this.#read(encoded);
    return record?.v as T | undefined;
  }

  set(key: KvKey, value: unknown, options?: KvStoreSetOptions): Promise<void> {
    const encoded = encodeKvKey(key);
    return this.#locked(encoded, () => this.#write(encoded, value, options));
  }

  delete(key: KvKey): Promise<void> {
    const encoded = encodeKvKey(key);
    return this.#locked(encoded, () => this.#sub.del(encoded));
  }

  cas(key: KvKey, expectedValue: unknown, newValue: unknown, options?: KvStoreSetOptions): Promise<boolean> {
    const encoded = encodeKvKey(key);
    return this.#locked(encoded, async () => {
      const current = await this.#read(encoded);
      if (!jsonEqual(current?.v, expectedValue)) return false;
      await this.#write(encoded, newValue, options);
      return true;
    });
  }

  async *list(prefix?: KvKey): AsyncIterable<KvStoreListEntry> {
    const now = this.#now();
    const ranges =
      prefix === undefined
        ? [{}]
        : [
            // The prefix itself, then its descendants: `p/` up to `p0` (`0` follows `/`).
            { gte: encodeKvKey(prefix), lte: encodeKvKey(prefix) },
            { gt: `${encodeKvKey(prefix)}/`, lt: `${encodeKvKey(prefix)}0` },
          ];
    for (const range of ranges) {
      for await (const [encoded, bytes] of this.#sub.entries(range)) {
        const record = parseJsonValue<Record>(bytes);
        if (record.e !== undefined && record.e <= now) continue;
        yield { key: decodeKvKey(encoded), value: record.v };
      }
    }
  }

  /** Deletes every expired record; returns how many. */
  async sweep(): Promise<number> {
    const now = this.#now();
    let removed = 0;
    for await (const [encoded, bytes] of this.#sub.entries()) {
      const record = parseJsonValue<Record>(bytes);
      if (record.e !== undefined && record.e <= now) {
        await this.#sub.del(encoded);
        removed++;
      }
    }
    return removed;
  }

  async #read(encoded: string): Promise<Record | undefined> {
    const bytes = await this.#sub.get(encoded);
    if (bytes === undefined) return undefined;
    const record = parseJsonValue<Record>(bytes);
    if (record.e !== undefined && record.e <= this.#now()) {
      await this.#sub.del(encoded);
      return undefined;
    }
    return record;
  }

  #write(encoded: string, value: unknown, options?: KvStoreSetOptions): Promise<void> {
    if (value === undefined) throw new TypeError('undefined is not a storable value');
    const record: Record = { v: value };
    if (options?.ttl !== undefined) record.e = this.#now() + durationMs(options.ttl);
    return this.#sub.put(encoded, jsonValue(record));
  }

  #locked<T>(encoded: string, operation: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(encoded) ?? Promise.resolve();
    const next = previous.then(operation, operation);
    const settled = next.catch(() => undefined);
    this.#locks.set(encoded, settled);
    void settled.then(() => {
      if (this.#locks.get(encoded) === settled) this.#locks.delete(encoded);
    });
    return next;
  }
}
