/**
 * The node's small storage interface: named sublevels of an ordered key-value store, with atomic
 * batches across sublevels. `level.ts` implements it on LevelDB (one database per node), and
 * `memory.ts` in memory with the same semantics for unit tests; `store.test.ts` holds both to
 * one contract. Nothing outside `node/` touches level.
 *
 * Keys are strings ordered by their UTF-8 bytes (LevelDB's order); values are bytes, with
 * codecs in `codec.ts`. A number in a key must be fixed-width (see `seqKey`) to sort right.
 */

/** Options for a write. */
export interface WriteOptions {
  /**
   * Wait until the write is on disk (fsync) before resolving. Ledger batches use it: an entry
   * is acknowledged only once it survives a power loss, not just a process crash.
   */
  sync?: boolean;
}

/** A key range; bounds are exclusive (`gt`, `lt`) or inclusive (`gte`, `lte`). */
export interface Range {
  gt?: string;
  gte?: string;
  lt?: string;
  lte?: string;
  /** At most this many results (default: all). */
  limit?: number;
  /** Largest key first. */
  reverse?: boolean;
}

/**
 * One section of the store. Iterators read from a snapshot taken when they are created: writes
 * made while iterating are not seen.
 */
export interface Sublevel {
  /** The names it was opened with, e.g. `['ledger', 'my-collective', 'entries']`. */
  readonly path: readonly string[];
  /** The value, or `undefined` when the key is absent. */
  get(key: string): Promise<Uint8Array | undefined>;
  getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]>;
  put(key: string, value: Uint8Array, options?: WriteOptions): Promise<void>;
  del(key: string, options?: WriteOptions): Promise<void>;
  /** Entries in key order (or reverse), within `range`. */
  entries(range?: Range): AsyncIterable<[string, Uint8Array]>;
  keys(range?: Range): AsyncIterable<string>;
  /** Deletes every key of this sublevel within `range` (not atomic with other writes). */
  clear(range?: Omit<Range, 'reverse'>): Promise<void>;
}

/** One operation of an atomic batch; `sublevel` must come from the same store. */
export type BatchOp =
  | { type: 'put'; sublevel: Sublevel; key: string; value: Uint8Array }
  | { type: 'del'; sublevel: Sublevel; key: string };

/** A database: sublevels by name, atomic batches across them. */
export interface Store {
  /**
   * The sublevel at `path` (names of ASCII letters, digits, `.`, `_`, `-`). The same path gives
   * the same sublevel. A path may not be a prefix of another (`['a']` and `['a', 'b']`): LevelDB
   * would show the nested keys to the outer one, and the memory store would not.
   */
  sublevel(...path: string[]): Sublevel;
  /** Applies every operation or none. */
  batch(ops: readonly BatchOp[], options?: WriteOptions): Promise<void>;
  close(): Promise<void>;
}

const NAME = /^[A-Za-z0-9._-]+$/;

/** Validates a sublevel path and returns its canonical string form (`a/b/c`). */
export function sublevelId(path: readonly string[]): string {
  if (path.length === 0) throw new TypeError('a sublevel path needs at least one name');
  for (const name of path) {
    if (!NAME.test(name)) throw new TypeError(`invalid sublevel name ${JSON.stringify(name)}`);
  }
  return path.join('/');
}

/**
 * Remembers the paths opened on a store and refuses one that nests inside another (see
 * {@link Store.sublevel}).
 */
export class SublevelRegistry<S extends Sublevel> {
  readonly #byId = new Map<string, S>();
  get(path: readonly string[], create: (id: string) => S): S {
    const id = sublevelId(path);
    const existing = this.#byId.get(id);
    if (existing) return existing;
    for (const other of this.#byId.keys()) {
      if (other.startsWith(`${id}/`) || id.startsWith(`${other}/`)) {
        throw new TypeError(`sublevel ${id} would nest with ${other}`);
      }
    }
    const created = create(id);
    this.#byId.set(id, created);
    return created;
  }
}

/** Thrown by a store that is closed. */
export class StoreClosedError extends Error {
  override name = 'StoreClosedError';
  readonly code = 'STORE_CLOSED';
  constructor() {
    super('the store is closed');
  }
}
