/**
 * Maps keyed by leaf hashes, held in typed arrays: the chain verifier keeps one record per
 * contribution (a refund or host fee may name any of them, however old) and one per fact
 * recorded once, so a ledger of a million entries holds hundreds of thousands. As a `Map` of hex
 * strings to bigints or strings a record costs about 130 to 250 bytes of heap; here a key is 8
 * 32-bit words in one shared array, an amount a float64 (every amount is at most
 * MAX_MINOR_UNITS < 2^53, so it is exact) and a hash value 8 more words: about 60 and 90 bytes.
 *
 * Keys are exactly 64 lowercase hex digits, as leaf hashes are written; any other string is a key
 * no record can have (a `Map` of hex strings answered the same), or, for once-only facts, goes
 * to a plain `Map`. Records are never removed, which the rules never need.
 */

const WORDS = 8;
/** Digit value of each UTF-16 code unit, -1 for all but 0-9 and a-f (one lookup, no branch). */
const HEX_DIGIT = new Int8Array(65536).fill(-1);
for (let i = 0; i < 10; i++) HEX_DIGIT[48 + i] = i;
for (let i = 0; i < 6; i++) HEX_DIGIT[97 + i] = 10 + i;

/** Parses 64 lowercase hex digits into `out` (8 words); false for anything else. */
function parseHash(hex: string, out: Uint32Array): boolean {
  if (hex.length !== 64) return false;
  let bad = 0;
  for (let w = 0, i = 0; w < WORDS; w++) {
    let word = 0;
    for (const end = i + 8; i < end; i++) {
      const digit = HEX_DIGIT[hex.charCodeAt(i)] as number;
      bad |= digit;
      word = (word << 4) | digit;
    }
    out[w] = word;
  }
  return bad >= 0;
}

const BYTE_HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function formatHash(words: Uint32Array, at: number): string {
  let out = '';
  for (let w = at; w < at + WORDS; w++) {
    const word = words[w] as number;
    out += `${BYTE_HEX[word >>> 24]}${BYTE_HEX[(word >>> 16) & 0xff]}${BYTE_HEX[(word >>> 8) & 0xff]}${BYTE_HEX[word & 0xff]}`;
  }
  return out;
}

function grown<T extends Uint32Array | Float64Array>(array: T, length: number): T {
  const next = new (array.constructor as new (n: number) => T)(length);
  next.set(array);
  return next;
}

function sameWords(words: Uint32Array, a: number, b: number): boolean {
  for (let w = 0; w < WORDS; w++) if (words[a + w] !== words[b + w]) return false;
  return true;
}

/** The first `count` words as big-endian bytes: a key's bytes are the hash's. */
function wordsToBytes(words: Uint32Array, count: number): Uint8Array {
  const out = new Uint8Array(count * 4);
  for (let w = 0, o = 0; w < count; w++, o += 4) {
    const word = words[w] as number;
    out[o] = word >>> 24;
    out[o + 1] = (word >>> 16) & 0xff;
    out[o + 2] = (word >>> 8) & 0xff;
    out[o + 3] = word & 0xff;
  }
  return out;
}

/** Big-endian bytes as words, in an array of at least `length` words. */
function bytesToWords(bytes: Uint8Array, length: number): Uint32Array<ArrayBuffer> {
  const out = new Uint32Array(Math.max(length, bytes.length / 4));
  for (let w = 0, i = 0; i < bytes.length; w++, i += 4)
    out[w] =
      (((bytes[i] as number) << 24) |
        ((bytes[i + 1] as number) << 16) |
        ((bytes[i + 2] as number) << 8) |
        (bytes[i + 3] as number)) >>>
      0;
  return out;
}

/**
 * Records in insertion order (keys packed in one array) and an open-addressing index of record
 * numbers. The bucket is the key's first word: keys are SHA-256 outputs, and a ledger that ground
 * hashes to share buckets would only slow its own audit down, linearly.
 */
class HashKeys {
  keys = new Uint32Array(WORDS * 16);
  count = 0;
  #slots = new Int32Array(32);
  readonly scratch = new Uint32Array(WORDS);

  /** Record number of the key in {@link scratch}, or -1. */
  find(): number {
    const key = this.scratch;
    const mask = this.#slots.length - 1;
    for (let slot = (key[0] as number) & mask; ; slot = (slot + 1) & mask) {
      const record = (this.#slots[slot] as number) - 1;
      if (record < 0) return -1;
      if (this.#equal(record)) return record;
    }
  }

  /** Adds the key in {@link scratch}, which must be absent; its record number. */
  add(): number {
    const record = this.count++;
    if (this.keys.length < this.count * WORDS) this.keys = grown(this.keys, this.keys.length * 2);
    this.keys.set(this.scratch, record * WORDS);
    // At most half full, so that a probe for an absent key stops soon.
    if (this.count * 2 > this.#slots.length) this.#rehash(this.#slots.length * 2);
    else this.#place(record);
    return record;
  }

  /** The keys as hash bytes, 32 a record in order. */
  toBytes(): Uint8Array {
    return wordsToBytes(this.keys, this.count * WORDS);
  }

  /** Makes this empty index a copy of `other`. */
  copy(other: HashKeys): void {
    if (this.count !== 0) throw new RangeError('only an empty map copies another');
    this.keys = other.keys.slice();
    this.count = other.count;
    this.#slots = other.#slots.slice();
  }

  /** Replaces an empty index by the keys in `bytes` (32 a record); a RangeError on a repeated key. */
  load(bytes: Uint8Array): void {
    if (this.count !== 0) throw new RangeError('only an empty map loads records');
    if (bytes.length % (WORDS * 4) !== 0) throw new RangeError('keys of 32 bytes each');
    const count = bytes.length / (WORDS * 4);
    this.keys = bytesToWords(bytes, Math.max(16, count) * WORDS);
    this.count = count;
    let size = this.#slots.length;
    while (count * 2 > size) size *= 2;
    const slots = new Int32Array(size);
    const keys = this.keys;
    const mask = size - 1;
    // #place, with each key in the probe compared: words in place, no scratch copy per record.
    for (let record = 0, at = 0; record < count; record++, at += WORDS) {
      let slot = (keys[at] as number) & mask;
      for (let other = (slots[slot] as number) - 1; other >= 0; other = (slots[slot] as number) - 1) {
        if (sameWords(keys, at, other * WORDS)) throw new RangeError('a key recorded twice');
        slot = (slot + 1) & mask;
      }
      slots[slot] = record + 1;
    }
    this.#slots = slots;
  }

  #equal(record: number): boolean {
    const keys = this.keys;
    const key = this.scratch;
    const at = record * WORDS;
    for (let w = 0; w < WORDS; w++) if (keys[at + w] !== key[w]) return false;
    return true;
  }

  #place(record: number): void {
    const mask = this.#slots.length - 1;
    let slot = (this.keys[record * WORDS] as number) & mask;
    while (this.#slots[slot] !== 0) slot = (slot + 1) & mask;
    this.#slots[slot] = record + 1;
  }

  #rehash(size: number): void {
    this.#slots = new Int32Array(size);
    for (let record = 0; record < this.count; record++) this.#place(record);
  }
}

/** Amounts in minor units by leaf hash (hex): what each contribution still holds. */
export class LeafAmounts implements Iterable<[string, bigint]> {
  readonly #keys = new HashKeys();
  #amounts = new Float64Array(16);

  /** Number of records. */
  get size(): number {
    return this.#keys.count;
  }

  /** The amount recorded for `hash`, or undefined. */
  get(hash: string): bigint | undefined {
    if (!parseHash(hash, this.#keys.scratch)) return undefined;
    const record = this.#keys.find();
    return record < 0 ? undefined : BigInt(this.#amounts[record] as number);
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
    if (record < 0) {
      record = this.#keys.add();
      if (this.#amounts.length <= record) this.#amounts = grown(this.#amounts, this.#amounts.length * 2);
    }
    this.#amounts[record] = Number(amount);
    return this;
  }

  /**
   * Sets every record of `records` in order. Another LeafAmounts given to an empty one is copied
   * array by array: a resumed audit state holds hundreds of thousands of records, and formatting
   * then parsing each hash again cost about 6 µs a record.
   */
  setAll(records: Iterable<readonly [string, bigint]>): this {
    if (records instanceof LeafAmounts && this.size === 0) {
      this.#keys.copy(records.#keys);
      this.#amounts = records.#amounts.slice();
    } else for (const [hash, amount] of records) this.set(hash, amount);
    return this;
  }

  /** Every record, in the order first set. */
  *[Symbol.iterator](): IterableIterator<[string, bigint]> {
    for (let record = 0; record < this.#keys.count; record++)
      yield [formatHash(this.#keys.keys, record * WORDS), BigInt(this.#amounts[record] as number)];
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
      const amount = this.#amounts[record] as number;
      const high = Math.floor(amount / 2 ** 32);
      view.setUint32(record * 8, amount - high * 2 ** 32, true);
      view.setUint32(record * 8 + 4, high, true);
    }
    return { keys: this.#keys.toBytes(), amounts };
  }

  /**
   * The records {@link toBytes} gave; a RangeError for lengths that do not match, a key twice, or
   * an amount over `max` (at most 2^53 − 1).
   */
  static fromBytes(keys: Uint8Array, amounts: Uint8Array, max = Number.MAX_SAFE_INTEGER): LeafAmounts {
    if (amounts.length * 4 !== keys.length) throw new RangeError('one 8-byte amount per 32-byte key');
    const map = new LeafAmounts();
    const count = amounts.length / 8;
    const values = new Float64Array(Math.max(16, count));
    const view = new DataView(amounts.buffer, amounts.byteOffset, amounts.byteLength);
    for (let record = 0; record < count; record++) {
      const amount = view.getUint32(record * 8 + 4, true) * 2 ** 32 + view.getUint32(record * 8, true);
      if (amount > max || amount > Number.MAX_SAFE_INTEGER)
        throw new RangeError(`amount ${record} is more than ${max}`);
      values[record] = amount;
    }
    map.#keys.load(keys);
    map.#amounts = values;
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
  #values = new Uint32Array(WORDS * 16);
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
    return record < 0 ? undefined : formatHash(this.#values, record * WORDS);
  }

  /** Records that `leafHash` (64 lowercase hex digits, else a RangeError) recorded `key`. */
  set(key: string, leafHash: string): this {
    if (!this.#hashKey(key)) {
      this.#other.set(key, leafHash);
      return this;
    }
    if (!parseHash(leafHash, this.#value)) throw new RangeError('a leaf hash in lowercase hex');
    let record = this.#keys.find();
    if (record < 0) {
      record = this.#keys.add();
      if (this.#values.length < (record + 1) * WORDS)
        this.#values = grown(this.#values, this.#values.length * 2);
    }
    this.#values.set(this.#value, record * WORDS);
    return this;
  }

  /**
   * The `hostEntry` facts as bytes, in the order first set: the hashes they name and the leaf
   * hashes that recorded them, 32 bytes each; the other facts as they are.
   */
  toBytes(): { keys: Uint8Array; values: Uint8Array; other: ReadonlyMap<string, string> } {
    const count = this.#keys.count;
    return {
      keys: this.#keys.toBytes(),
      values: wordsToBytes(this.#values, count * WORDS),
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
    records.#values = bytesToWords(values, Math.max(16, values.length / 32) * WORDS);
    for (const [key, leafHash] of other) records.set(key, leafHash);
    return records;
  }

  /** Sets every fact of `records` in order; another OnceRecords given to an empty one is copied whole. */
  setAll(records: Iterable<readonly [string, string]>): this {
    if (records instanceof OnceRecords && this.size === 0) {
      this.#keys.copy(records.#keys);
      this.#values = records.#values.slice();
      for (const [key, leafHash] of records.#other) this.#other.set(key, leafHash);
    } else for (const [key, leafHash] of records) this.set(key, leafHash);
    return this;
  }

  /** Every fact, the hashed ones first. */
  *[Symbol.iterator](): IterableIterator<[string, string]> {
    for (let record = 0; record < this.#keys.count; record++) {
      const at = record * WORDS;
      yield [`${HOST_ENTRY}${formatHash(this.#keys.keys, at)}`, formatHash(this.#values, at)];
    }
    yield* this.#other;
  }

  /** Whether `key` is `hostEntry <hash>`; its hash is then in the scratch words. */
  #hashKey(key: string): boolean {
    return key.startsWith(HOST_ENTRY) && parseHash(key.slice(HOST_ENTRY.length), this.#keys.scratch);
  }
}
