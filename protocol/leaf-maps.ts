/**
 * Maps keyed by leaf hashes, held in typed arrays: the chain verifier keeps one record per
 * contribution (a refund or host fee may name any of them, however old) and one per fact
 * recorded once, so a ledger of a million entries holds hundreds of thousands. As a `Map` of hex
 * strings to bigints or strings a record costs about 130 to 250 bytes of heap; here a key is 8
 * 32-bit words, an amount a float64 (every amount is at most MAX_MINOR_UNITS < 2^53, so it is
 * exact) and a hash value 8 more words, in chunks (hash-keys.ts), with 6 to 12 bytes of index:
 * about 50 and 80 bytes.
 *
 * Keys are exactly 64 lowercase hex digits, as leaf hashes are written; any other string is a key
 * no record can have (a `Map` of hex strings answered the same), or, for once-only facts, goes
 * to a plain `Map`. Records are never removed, which the rules never need.
 */

import { bytesToWords, Chunks, formatHash, HashKeys, parseHash, WORDS, wordsToBytes } from './hash-keys.ts';

const float64s = (n: number): Float64Array => new Float64Array(n);
const words = (n: number): Uint32Array => new Uint32Array(n);

/** Amounts in minor units by leaf hash (hex): what each contribution still holds. */
export class LeafAmounts implements Iterable<[string, bigint]> {
  readonly #keys = new HashKeys();
  #amounts = new Chunks(1, float64s);

  /** Number of records. */
  get size(): number {
    return this.#keys.count;
  }

  /** The amount recorded for `hash`, or undefined. */
  get(hash: string): bigint | undefined {
    if (!parseHash(hash, this.#keys.scratch)) return undefined;
    const record = this.#keys.find();
    return record < 0
      ? undefined
      : BigInt(this.#amounts.chunk(record)[this.#amounts.offset(record)] as number);
  }

  /**
   * Records `amount` (0 to 2^53 − 1) for `hash`, 64 lowercase hex digits; throws a RangeError
   * otherwise, which verified entries never cause.
   */
  set(hash: string, amount: bigint): this {
    if (amount < 0n || amount > BigInt(Number.MAX_SAFE_INTEGER))
      throw new RangeError('an amount in minor units from 0 to 2^53 - 1');
    if (!parseHash(hash, this.#keys.scratch)) throw new RangeError('a leaf hash in lowercase hex');
    let record = this.#keys.find();
    if (record < 0) record = this.#keys.add();
    this.#amounts.writable(record)[this.#amounts.offset(record)] = Number(amount);
    return this;
  }

  /**
   * Sets every record of `records` in order. Another LeafAmounts given to an empty one shares its
   * chunks, each copied by whichever map first writes it: a resumed audit state holds hundreds of
   * thousands of records, and formatting then parsing each hash again cost about 6 µs a record.
   */
  setAll(records: Iterable<readonly [string, bigint]>): this {
    if (records instanceof LeafAmounts && this.size === 0) {
      this.#keys.copy(records.#keys);
      this.#amounts = records.#amounts.share();
    } else for (const [hash, amount] of records) this.set(hash, amount);
    return this;
  }

  /** Every record, in the order first set. */
  *[Symbol.iterator](): IterableIterator<[string, bigint]> {
    const keys = this.#keys.keys;
    const amounts = this.#amounts;
    for (let record = 0; record < this.#keys.count; record++)
      yield [
        formatHash(keys.chunk(record), keys.offset(record)),
        BigInt(amounts.chunk(record)[amounts.offset(record)] as number),
      ];
  }

  /**
   * Every record as bytes, in the order first set: the leaf hashes (32 bytes each) and the amounts
   * (8 bytes each, an unsigned little-endian integer), for a compact saved state.
   */
  toBytes(): { keys: Uint8Array; amounts: Uint8Array } {
    const count = this.#keys.count;
    const amounts = new Uint8Array(count * 8);
    const view = new DataView(amounts.buffer);
    for (let record = 0; record < count; record++) {
      const amount = this.#amounts.chunk(record)[this.#amounts.offset(record)] as number;
      const high = Math.floor(amount / 2 ** 32);
      view.setUint32(record * 8, amount - high * 2 ** 32, true);
      view.setUint32(record * 8 + 4, high, true);
    }
    return { keys: wordsToBytes(this.#keys.keys, count), amounts };
  }

  /**
   * The records {@link toBytes} gave; a RangeError for lengths that do not match, a key twice, or
   * an amount over `max` (at most 2^53 − 1).
   */
  static fromBytes(keys: Uint8Array, amounts: Uint8Array, max = Number.MAX_SAFE_INTEGER): LeafAmounts {
    if (amounts.length * 4 !== keys.length) throw new RangeError('one 8-byte amount per 32-byte key');
    const map = new LeafAmounts();
    const count = amounts.length / 8;
    const chunks = map.#amounts;
    const view = new DataView(amounts.buffer, amounts.byteOffset, amounts.byteLength);
    for (let record = 0; record < count; record++) {
      const amount = view.getUint32(record * 8 + 4, true) * 2 ** 32 + view.getUint32(record * 8, true);
      if (amount > max || amount > Number.MAX_SAFE_INTEGER)
        throw new RangeError(`amount ${record} is more than ${max}`);
      chunks.writable(record)[chunks.offset(record)] = amount;
    }
    map.#keys.load(keys);
    return map;
  }

  /**
   * The records as held, in this machine's byte order and without copies: the keys (8 words a
   * record, chunk by chunk), the amounts (a float64 each) and the hash index, for
   * {@link fromRaw}. Views of live arrays: to be written out before the map changes.
   */
  raw(): { keys: Uint8Array[]; amounts: Uint8Array[]; index: Uint8Array; tags: Uint8Array } {
    const { keys, index, tags } = this.#keys.raw();
    return { keys, amounts: this.#amounts.bytes(this.#keys.count), index, tags };
  }

  /**
   * The records {@link raw} gave, as views of the arrays given (never written: a chunk is copied
   * before its first write). A RangeError for lengths that do not match, an index that is not
   * one, or an amount that is not a whole number from 0 to `max` (at most 2^53 − 1).
   */
  static fromRaw(
    keys: Uint32Array,
    amounts: Float64Array,
    index: Int32Array,
    tags: Uint8Array,
    max = Number.MAX_SAFE_INTEGER,
  ): LeafAmounts {
    if (amounts.length * WORDS !== keys.length) throw new RangeError('one amount per 8-word key');
    const limit = Math.min(max, Number.MAX_SAFE_INTEGER);
    for (let record = 0; record < amounts.length; record++) {
      const amount = amounts[record] as number;
      // NaN fails the first comparison.
      if (!(amount >= 0 && amount <= limit && Math.floor(amount) === amount))
        throw new RangeError(`amount ${record} is not a whole number from 0 to ${limit}`);
    }
    const map = new LeafAmounts();
    map.#keys.adopt(keys, index, tags);
    map.#amounts.adopt(amounts);
    return map;
  }
}

const HOST_ENTRY = 'hostEntry ';

/**
 * Once-only facts (entry/claims.ts keys) with the leaf hash (hex) of the entry that recorded
 * each. `hostEntry <hash>`, the one a collective records with every receipt and payout, is kept
 * as words; the others (host ledgers' references and paid expenses, free text) in a `Map`.
 */
export class OnceRecords implements Iterable<[string, string]> {
  readonly #keys = new HashKeys();
  #values = new Chunks(WORDS, words);
  readonly #value = new Uint32Array(WORDS);
  readonly #other = new Map<string, string>();

  /** Number of facts. */
  get size(): number {
    return this.#keys.count + this.#other.size;
  }

  /** The leaf hash that recorded `key`, or undefined. */
  get(key: string): string | undefined {
    if (!this.#hashKey(key)) return this.#other.get(key);
    const record = this.#keys.find();
    return record < 0 ? undefined : formatHash(this.#values.chunk(record), this.#values.offset(record));
  }

  /** Records that `leafHash` (64 lowercase hex digits, else a RangeError) recorded `key`. */
  set(key: string, leafHash: string): this {
    if (!this.#hashKey(key)) {
      this.#other.set(key, leafHash);
      return this;
    }
    if (!parseHash(leafHash, this.#value)) throw new RangeError('a leaf hash in lowercase hex');
    let record = this.#keys.find();
    if (record < 0) record = this.#keys.add();
    this.#values.writable(record).set(this.#value, this.#values.offset(record));
    return this;
  }

  /**
   * The `hostEntry` facts as bytes, in the order first set: the hashes they name and the leaf
   * hashes that recorded them, 32 bytes each; the other facts as they are.
   */
  toBytes(): { keys: Uint8Array; values: Uint8Array; other: ReadonlyMap<string, string> } {
    const count = this.#keys.count;
    return {
      keys: wordsToBytes(this.#keys.keys, count),
      values: wordsToBytes(this.#values, count),
      other: this.#other,
    };
  }

  /**
   * The facts {@link toBytes} gave; a RangeError for lengths that do not match or a key twice.
   * The other facts are set one by one, so a `hostEntry` among them lands with the hashed ones.
   */
  static fromBytes(
    keys: Uint8Array,
    values: Uint8Array,
    other: Iterable<readonly [string, string]>,
  ): OnceRecords {
    if (values.length !== keys.length) throw new RangeError('one 32-byte value per 32-byte key');
    const records = new OnceRecords();
    records.#keys.load(keys);
    bytesToWords(values, records.#values);
    for (const [key, leafHash] of other) records.set(key, leafHash);
    return records;
  }

  /**
   * The `hostEntry` facts as held, in this machine's byte order and without copies (keys and
   * values 8 words a record, chunk by chunk, and the hash index), and the other facts, for
   * {@link fromRaw}. Views of live arrays: to be written out before the facts change.
   */
  raw(): {
    keys: Uint8Array[];
    values: Uint8Array[];
    index: Uint8Array;
    tags: Uint8Array;
    other: ReadonlyMap<string, string>;
  } {
    const { keys, index, tags } = this.#keys.raw();
    return { keys, values: this.#values.bytes(this.#keys.count), index, tags, other: this.#other };
  }

  /**
   * The facts {@link raw} gave, as views of the arrays given (never written: a chunk is copied
   * before its first write); a RangeError for lengths that do not match or an index that is not
   * one. The other facts are set one by one, as in {@link fromBytes}.
   */
  static fromRaw(
    keys: Uint32Array,
    values: Uint32Array,
    index: Int32Array,
    tags: Uint8Array,
    other: Iterable<readonly [string, string]>,
  ): OnceRecords {
    if (values.length !== keys.length) throw new RangeError('one 8-word value per 8-word key');
    const records = new OnceRecords();
    records.#keys.adopt(keys, index, tags);
    records.#values.adopt(values);
    for (const [key, leafHash] of other) records.set(key, leafHash);
    return records;
  }

  /** Sets every fact of `records` in order; another OnceRecords given to an empty one is shared, as in LeafAmounts. */
  setAll(records: Iterable<readonly [string, string]>): this {
    if (records instanceof OnceRecords && this.size === 0) {
      this.#keys.copy(records.#keys);
      this.#values = records.#values.share();
      for (const [key, leafHash] of records.#other) this.#other.set(key, leafHash);
    } else for (const [key, leafHash] of records) this.set(key, leafHash);
    return this;
  }

  /** Every fact, the hashed ones first. */
  *[Symbol.iterator](): IterableIterator<[string, string]> {
    const keys = this.#keys.keys;
    const values = this.#values;
    for (let record = 0; record < this.#keys.count; record++) {
      yield [
        `${HOST_ENTRY}${formatHash(keys.chunk(record), keys.offset(record))}`,
        formatHash(values.chunk(record), values.offset(record)),
      ];
    }
    yield* this.#other;
  }

  /** Whether `key` is `hostEntry <hash>`; its hash is then in the scratch words. */
  #hashKey(key: string): boolean {
    return key.startsWith(HOST_ENTRY) && parseHash(key.slice(HOST_ENTRY.length), this.#keys.scratch);
  }
}
