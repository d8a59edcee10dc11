/**
 * In-memory {@link Store} with LevelDB's semantics (UTF-8 byte order of keys, snapshot
 * iterators, all-or-nothing batches, copies in and out), for unit tests and tools that need no
 * disk. `store.test.ts` runs the same contract against it and against LevelDB.
 */
import {
  type BatchOp,
  type Range,
  type Store,
  StoreClosedError,
  type Sublevel,
  SublevelRegistry,
  type WriteOptions,
} from './types.ts';

/**
 * Compares strings by their UTF-8 bytes, which is code point order. UTF-16 code-unit order
 * differs only between surrogates and U+E000..U+FFFF, so those are shifted before comparing.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

class MemorySublevel implements Sublevel {
  readonly path: readonly string[];
  readonly store: MemoryStore;
  /** Sorted by {@link compareUtf8}. */
  keyList: string[] = [];
  values = new Map<string, Uint8Array>();

  constructor(store: MemoryStore, path: readonly string[]) {
    this.store = store;
    this.path = Object.freeze([...path]);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    this.store.assertOpen();
    return this.values.get(key)?.slice();
  }

  async getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    this.store.assertOpen();
    return keys.map((key) => this.values.get(key)?.slice());
  }

  put(key: string, value: Uint8Array, options?: WriteOptions): Promise<void> {
    return this.store.batch([{ type: 'put', sublevel: this, key, value }], options);
  }

  del(key: string, options?: WriteOptions): Promise<void> {
    return this.store.batch([{ type: 'del', sublevel: this, key }], options);
  }

  async *entries(range: Range = {}): AsyncIterable<[string, Uint8Array]> {
    this.store.assertOpen();
    // The snapshot: keys and (immutable) values as they are now.
    const snapshot = this.select(range).map((key) => [key, this.values.get(key) as Uint8Array] as const);
    for (const [key, value] of snapshot) {
      this.store.assertOpen();
      yield [key, value.slice()];
    }
  }

  async *keys(range: Range = {}): AsyncIterable<string> {
    for await (const [key] of this.entries(range)) yield key;
  }

  async clear(range: Omit<Range, 'reverse'> = {}): Promise<void> {
    this.store.assertOpen();
    for (const key of this.select(range)) this.remove(key);
  }

  select(range: Range): string[] {
    const start =
      range.gt !== undefined
        ? this.bound(range.gt, true)
        : range.gte !== undefined
          ? this.bound(range.gte, false)
          : 0;
    const end =
      range.lt !== undefined
        ? this.bound(range.lt, false)
        : range.lte !== undefined
          ? this.bound(range.lte, true)
          : this.keyList.length;
    if (end <= start) return [];
    const limit = range.limit === undefined || range.limit < 0 ? Number.POSITIVE_INFINITY : range.limit;
    if (range.reverse) return this.keyList.slice(Math.max(start, end - limit), end).reverse();
    return this.keyList.slice(start, Math.min(end, start + limit));
  }

  /** Index of the first key > `key` (after) or >= `key`. */
  bound(key: string, after: boolean): number {
    let lo = 0;
    let hi = this.keyList.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareUtf8(this.keyList[mid] as string, key);
      if (c < 0 || (after && c === 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  set(key: string, value: Uint8Array): void {
    if (!this.values.has(key)) this.keyList.splice(this.bound(key, false), 0, key);
    this.values.set(key, value);
  }

  remove(key: string): void {
    if (!this.values.delete(key)) return;
    this.keyList.splice(this.bound(key, false), 1);
  }
}

/** A {@link Store} held in memory. */
export class MemoryStore implements Store {
  readonly #registry = new SublevelRegistry<MemorySublevel>();
  #closed = false;
  /** Number of batches written (every put and del is one); tests use it. */
  writes = 0;

  sublevel(...path: string[]): Sublevel {
    this.assertOpen();
    return this.#registry.get(path, () => new MemorySublevel(this, path));
  }

  async batch(ops: readonly BatchOp[], _options?: WriteOptions): Promise<void> {
    this.assertOpen();
    // Validate everything first so that a bad operation leaves nothing written.
    const staged: [MemorySublevel, string, Uint8Array | undefined][] = [];
    for (const op of ops) {
      const sublevel = op.sublevel;
      if (!(sublevel instanceof MemorySublevel) || sublevel.store !== this) {
        throw new TypeError('batch operation on a sublevel of another store');
      }
      if (typeof op.key !== 'string') throw new TypeError('keys are strings');
      if (op.type === 'put') {
        if (!(op.value instanceof Uint8Array)) throw new TypeError('values are Uint8Arrays');
        staged.push([sublevel, op.key, op.value.slice()]);
      } else if (op.type === 'del') {
        staged.push([sublevel, op.key, undefined]);
      } else {
        throw new TypeError('unknown batch operation');
      }
    }
    for (const [sublevel, key, value] of staged) {
      if (value === undefined) sublevel.remove(key);
      else sublevel.set(key, value);
    }
    this.writes++;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  assertOpen(): void {
    if (this.#closed) throw new StoreClosedError();
  }
}
