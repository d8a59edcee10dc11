/**
 * The {@link Store} on LevelDB (the `level` package): one database per node, each sublevel a
 * level sublevel, batches across them written atomically by LevelDB itself.
 */
import type { AbstractSublevel } from 'abstract-level';
import { Level } from 'level';
import {
  type BatchOp,
  type Range,
  type Store,
  StoreClosedError,
  type Sublevel,
  SublevelRegistry,
  type WriteOptions,
} from './types.ts';

type Db = Level<string, Uint8Array>;
type LevelSub = AbstractSublevel<Db, string | Buffer | Uint8Array, string, Uint8Array>;

const ENCODINGS = { keyEncoding: 'utf8', valueEncoding: 'view' } as const;

function isNotOpen(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'LEVEL_DATABASE_NOT_OPEN';
}

async function guard<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (isNotOpen(error)) throw new StoreClosedError();
    throw error;
  }
}

/** A plain Uint8Array view of what LevelDB returns (a Buffer), as the memory store returns. */
function view(value: Uint8Array): Uint8Array;
function view(value: Uint8Array | undefined): Uint8Array | undefined;
function view(value: Uint8Array | undefined): Uint8Array | undefined {
  if (value === undefined || Object.getPrototypeOf(value) === Uint8Array.prototype) return value;
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

function levelRange(range: Range): Range {
  const out: Range = {};
  if (range.gt !== undefined) out.gt = range.gt;
  if (range.gte !== undefined) out.gte = range.gte;
  if (range.lt !== undefined) out.lt = range.lt;
  if (range.lte !== undefined) out.lte = range.lte;
  if (range.limit !== undefined) out.limit = range.limit;
  if (range.reverse) out.reverse = true;
  return out;
}

class LevelSublevel implements Sublevel {
  readonly path: readonly string[];
  readonly store: LevelStore;
  readonly inner: LevelSub;

  constructor(store: LevelStore, inner: LevelSub, path: readonly string[]) {
    this.store = store;
    this.inner = inner;
    this.path = Object.freeze([...path]);
  }

  get(key: string): Promise<Uint8Array | undefined> {
    return guard(async () => view((await this.inner.get(key)) as Uint8Array | undefined));
  }

  getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    return guard(async () =>
      ((await this.inner.getMany([...keys])) as (Uint8Array | undefined)[]).map((v) => view(v)),
    );
  }

  put(key: string, value: Uint8Array, options?: WriteOptions): Promise<void> {
    return this.store.batch([{ type: 'put', sublevel: this, key, value }], options);
  }

  del(key: string, options?: WriteOptions): Promise<void> {
    return this.store.batch([{ type: 'del', sublevel: this, key }], options);
  }

  async *entries(range: Range = {}): AsyncIterable<[string, Uint8Array]> {
    const iterator = this.inner.iterator(levelRange(range));
    try {
      while (true) {
        // nextv reads a page per native call; one-by-one next() would cross into C++ per entry.
        const page = await guard(() => iterator.nextv(256));
        if (page.length === 0) return;
        for (const [key, value] of page) yield [key, view(value)];
      }
    } finally {
      await iterator.close();
    }
  }

  async *keys(range: Range = {}): AsyncIterable<string> {
    const iterator = this.inner.keys(levelRange(range));
    try {
      while (true) {
        const page = await guard(() => iterator.nextv(512));
        if (page.length === 0) return;
        yield* page;
      }
    } finally {
      await iterator.close();
    }
  }

  clear(range: Omit<Range, 'reverse'> = {}): Promise<void> {
    return guard(() => this.inner.clear(levelRange(range)));
  }
}

/** A {@link Store} on a LevelDB directory; open it with {@link openLevelStore}. */
export class LevelStore implements Store {
  readonly db: Db;
  readonly #registry = new SublevelRegistry<LevelSublevel>();
  /** Number of batches written (every put and del is one); tests use it. */
  writes = 0;

  constructor(db: Db) {
    this.db = db;
  }

  get location(): string {
    return this.db.location;
  }

  sublevel(...path: string[]): Sublevel {
    if (this.db.status === 'closed' || this.db.status === 'closing') throw new StoreClosedError();
    return this.#registry.get(path, () => {
      const inner = this.db.sublevel<string, Uint8Array>(
        path.length === 1 ? (path[0] as string) : path,
        ENCODINGS,
      );
      return new LevelSublevel(this, inner, path);
    });
  }

  async batch(ops: readonly BatchOp[], options: WriteOptions = {}): Promise<void> {
    const levelOps = ops.map((op) => {
      const sublevel = op.sublevel;
      if (!(sublevel instanceof LevelSublevel) || sublevel.store !== this) {
        throw new TypeError('batch operation on a sublevel of another store');
      }
      if (typeof op.key !== 'string') throw new TypeError('keys are strings');
      if (op.type === 'put') {
        if (!(op.value instanceof Uint8Array)) throw new TypeError('values are Uint8Arrays');
        return { type: 'put' as const, sublevel: sublevel.inner, key: op.key, value: op.value };
      }
      if (op.type === 'del') return { type: 'del' as const, sublevel: sublevel.inner, key: op.key };
      throw new TypeError('unknown batch operation');
    });
    await guard(() => this.db.batch(levelOps as never, { sync: options.sync === true }));
    this.writes++;
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

/**
 * Opens (creating if needed) the LevelDB database at `location`. LevelDB locks the directory, so
 * a second process (or a second open in this one) fails: that lock is what keeps one writer per
 * ledger across processes.
 */
export async function openLevelStore(location: string): Promise<LevelStore> {
  const db: Db = new Level<string, Uint8Array>(location, ENCODINGS);
  await db.open();
  return new LevelStore(db);
}
