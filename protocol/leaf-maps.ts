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

  /** Every record, in the order first set. */
  *[Symbol.iterator](): IterableIterator<[string, bigint]> {
    for (let record = 0; record < this.#keys.count; record++)
      yield [formatHash(this.#keys.keys, record * WORDS), BigInt(this.#amounts[record] as number)];
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
