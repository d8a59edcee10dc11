/**
 * The storage under leaf-maps.ts: records of fixed width in fixed-size chunks, and an index from
 * 32-byte keys (SHA-256 outputs, as eight 32-bit words) to record numbers.
 *
 * Chunks, not one array that doubles: growing never copies the records already held, waste is at
 * most one chunk, and a chunk can be a view of someone else's bytes (a saved state, another map)
 * that is copied only before it is first written. A map of 600,000 records held 48 MB of typed
 * arrays as doubling arrays (and 72 MB while its keys doubled), 29 MB in chunks.
 */

/** Words in a key (a SHA-256 output). */
export const WORDS = 8;
/** Records per chunk is 2^SHIFT: 512 KiB of keys, small enough to waste little, large enough to be few. */
const SHIFT = 14;
const CHUNK = 1 << SHIFT;
const LOW = CHUNK - 1;
/** Most records per index slot: linear probing stays short up to about 0.7. */
const MAX_LOAD = 0.7;
const MIN_SLOTS = 32;

type Words = Uint32Array | Float64Array;

/**
 * Records of `width` numbers each, chunk after chunk. A shared chunk (a view of bytes given to
 * {@link Chunks.view}, or one another map also holds since {@link Chunks.share}) is copied before
 * it is written, so that neither holder sees the other's writes.
 */
export class Chunks<A extends Words> {
  /** The chunks: record `r` is at `arrays[r >>> SHIFT]`, from `(r & LOW) * width`. */
  arrays: A[] = [];
  #shared: boolean[] = [];
  readonly #width: number;
  readonly #make: (length: number) => A;

  constructor(width: number, make: (length: number) => A) {
    this.#width = width;
    this.#make = make;
  }

  /** The chunk of `record`, which is an existing record or the next one. */
  chunk(record: number): A {
    return this.arrays[record >>> SHIFT] as A;
  }

  /** Where `record` starts in its chunk. */
  offset(record: number): number {
    return (record & LOW) * this.#width;
  }

  /** The chunk of `record` (an existing record or the next), ready to be written. */
  writable(record: number): A {
    const c = record >>> SHIFT;
    if (c === this.arrays.length) {
      this.arrays.push(this.#make(CHUNK * this.#width));
      this.#shared.push(false);
    } else if (this.#shared[c]) {
      const copy = this.#make(CHUNK * this.#width);
      copy.set(this.arrays[c] as A);
      this.arrays[c] = copy;
      this.#shared[c] = false;
    }
    return this.arrays[c] as A;
  }

  /** The same records, shared with this one: each copies a chunk before writing it. */
  share(): Chunks<A> {
    const other = new Chunks(this.#width, this.#make);
    other.arrays = this.arrays.slice();
    this.#shared = this.arrays.map(() => true);
    other.#shared = this.#shared.slice();
    return other;
  }

  /** The first `count` records as bytes in this machine's order, one view per chunk (no copy). */
  bytes(count: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let c = 0; c * CHUNK < count; c++) {
      const array = this.arrays[c] as A;
      const length = Math.min(CHUNK, count - c * CHUNK) * this.#width * array.BYTES_PER_ELEMENT;
      out.push(new Uint8Array(array.buffer, array.byteOffset, length));
    }
    return out;
  }

  /**
   * Takes `array` (records in this machine's order, `width` numbers each) as the records: views
   * of it, shared so that it is never written; the last, partial chunk is copied to be grown.
   */
  adopt(array: A): void {
    if (this.arrays.length !== 0) throw new RangeError('only empty chunks adopt records');
    const span = CHUNK * this.#width;
    for (let at = 0; at < array.length; at += span) {
      const view = array.subarray(at, at + span) as A;
      if (view.length === span) {
        this.arrays.push(view);
        this.#shared.push(true);
      } else {
        const last = this.#make(span);
        last.set(view);
        this.arrays.push(last);
        this.#shared.push(false);
      }
    }
  }
}

/** Digit value of each UTF-16 code unit, -1 for all but 0-9 and a-f (one lookup, no branch). */
const HEX_DIGIT = new Int8Array(65536).fill(-1);
for (let i = 0; i < 10; i++) HEX_DIGIT[48 + i] = i;
for (let i = 0; i < 6; i++) HEX_DIGIT[97 + i] = 10 + i;

/** Parses 64 lowercase hex digits into `out` (8 words); false for anything else. */
export function parseHash(hex: string, out: Uint32Array): boolean {
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

/** The 8 words from `at` as 64 lowercase hex digits. */
export function formatHash(words: Uint32Array, at: number): string {
  let out = '';
  for (let w = at; w < at + WORDS; w++) {
    const word = words[w] as number;
    out += `${BYTE_HEX[word >>> 24]}${BYTE_HEX[(word >>> 16) & 0xff]}${BYTE_HEX[(word >>> 8) & 0xff]}${BYTE_HEX[word & 0xff]}`;
  }
  return out;
}

/** The first `count` records of `chunks` (8 words each) as big-endian bytes: a key's bytes are the hash's. */
export function wordsToBytes(chunks: Chunks<Uint32Array>, count: number): Uint8Array {
  const out = new Uint8Array(count * WORDS * 4);
  for (let record = 0, o = 0; record < count; record++) {
    const words = chunks.chunk(record);
    for (let w = chunks.offset(record), end = w + WORDS; w < end; w++, o += 4) {
      const word = words[w] as number;
      out[o] = word >>> 24;
      out[o + 1] = (word >>> 16) & 0xff;
      out[o + 2] = (word >>> 8) & 0xff;
      out[o + 3] = word & 0xff;
    }
  }
  return out;
}

/** Big-endian bytes (32 a record) as the records of `chunks`, which must be empty. */
export function bytesToWords(bytes: Uint8Array, chunks: Chunks<Uint32Array>): void {
  const count = bytes.length / (WORDS * 4);
  for (let record = 0, i = 0; record < count; record += CHUNK) {
    const words = chunks.writable(record);
    const end = Math.min(CHUNK, count - record) * WORDS;
    for (let w = 0; w < end; w++, i += 4)
      words[w] =
        (((bytes[i] as number) << 24) |
          ((bytes[i + 1] as number) << 16) |
          ((bytes[i + 2] as number) << 8) |
          (bytes[i + 3] as number)) >>>
        0;
  }
}

/** Smallest index size (a power of two) that holds `count` records. */
function slotsFor(count: number): number {
  let size = MIN_SLOTS;
  while (count > size * MAX_LOAD) size *= 2;
  return size;
}

/**
 * Keys in insertion order (in chunks) and an open-addressing index of record numbers + 1, linear
 * probing, at most {@link MAX_LOAD} full. The bucket is the key's first word: keys are SHA-256
 * outputs, and a ledger that ground hashes to share buckets would only slow its own audit down.
 */
export class HashKeys {
  /** The keys, 8 words a record. */
  keys = new Chunks(WORDS, (n): Uint32Array => new Uint32Array(n));
  /** Number of records. */
  count = 0;
  #slots: Int32Array = new Int32Array(MIN_SLOTS);
  /**
   * Each slot's key's top byte: a probe compares a key only when its tag matches, so that a probe
   * for an absent key (every new contribution) reads the index and not the keys' chunks.
   */
  #tags: Uint8Array = new Uint8Array(MIN_SLOTS);
  #slotsShared = false;
  /** The key that {@link find} looks for and {@link add} adds. */
  readonly scratch = new Uint32Array(WORDS);

  /** Record number of the key in {@link scratch}, or -1. */
  find(): number {
    const key = this.scratch;
    const first = key[0] as number;
    const tag = first >>> 24;
    const slots = this.#slots;
    const tags = this.#tags;
    const mask = slots.length - 1;
    const chunks = this.keys.arrays;
    for (let slot = first & mask; ; slot = (slot + 1) & mask) {
      const record = (slots[slot] as number) - 1;
      if (record < 0) return -1;
      if (tags[slot] !== tag) continue;
      const words = chunks[record >>> SHIFT] as Uint32Array;
      const at = (record & LOW) * WORDS;
      if (words[at] !== first) continue;
      let w = 1;
      while (w < WORDS && words[at + w] === key[w]) w++;
      if (w === WORDS) return record;
    }
  }

  /** Adds the key in {@link scratch}, which must be absent; its record number. */
  add(): number {
    const record = this.count++;
    this.keys.writable(record).set(this.scratch, this.keys.offset(record));
    if (this.count > this.#slots.length * MAX_LOAD) this.#rehash(this.#slots.length * 2);
    else {
      if (this.#slotsShared) {
        // Copies made by constructors: a Buffer's slice() would be a view of the same bytes.
        this.#slots = new Int32Array(this.#slots);
        this.#tags = new Uint8Array(this.#tags);
        this.#slotsShared = false;
      }
      this.#place(record);
    }
    return record;
  }

  /** Makes this empty index hold the same keys as `other`, sharing its chunks until either writes. */
  copy(other: HashKeys): void {
    if (this.count !== 0) throw new RangeError('only an empty map copies another');
    this.keys = other.keys.share();
    this.count = other.count;
    this.#slots = other.#slots;
    this.#tags = other.#tags;
    this.#slotsShared = true;
    other.#slotsShared = true;
  }

  /** Replaces an empty index by the keys in `bytes` (32 big-endian bytes a record); a RangeError on a repeated key. */
  load(bytes: Uint8Array): void {
    if (this.count !== 0) throw new RangeError('only an empty map loads records');
    if (bytes.length % (WORDS * 4) !== 0) throw new RangeError('keys of 32 bytes each');
    const count = bytes.length / (WORDS * 4);
    bytesToWords(bytes, this.keys);
    this.count = count;
    const slots = new Int32Array(slotsFor(count));
    const tags = new Uint8Array(slots.length);
    const mask = slots.length - 1;
    // #place, with each key in the probe compared: a key twice is refused.
    for (let record = 0; record < count; record++) {
      const words = this.keys.chunk(record);
      const at = this.keys.offset(record);
      let slot = (words[at] as number) & mask;
      for (let other = (slots[slot] as number) - 1; other >= 0; other = (slots[slot] as number) - 1) {
        const theirs = this.keys.chunk(other);
        const from = this.keys.offset(other);
        let w = 0;
        while (w < WORDS && words[at + w] === theirs[from + w]) w++;
        if (w === WORDS) throw new RangeError('a key recorded twice');
        slot = (slot + 1) & mask;
      }
      slots[slot] = record + 1;
      tags[slot] = (words[at] as number) >>> 24;
    }
    this.#slots = slots;
    this.#tags = tags;
  }

  /** The keys and the index as they are held, in this machine's byte order, for {@link adopt}. */
  raw(): { keys: Uint8Array[]; index: Uint8Array; tags: Uint8Array } {
    const slots = this.#slots;
    return {
      keys: this.keys.bytes(this.count),
      index: new Uint8Array(slots.buffer, slots.byteOffset, slots.byteLength),
      tags: this.#tags,
    };
  }

  /**
   * Takes `keys` (8 words a record), `index` and `tags` as {@link raw} gave them, without copying:
   * they are only read, and copied before a write. The index is checked to be a power of two no
   * more than {@link MAX_LOAD} full holding each record once (a RangeError otherwise); that each
   * record sits where a probe finds it, under its tag, is the caller's to trust (a digest).
   */
  adopt(keys: Uint32Array, index: Int32Array, tags: Uint8Array): void {
    if (this.count !== 0) throw new RangeError('only an empty map adopts records');
    if (keys.length % WORDS !== 0) throw new RangeError('keys of 8 words each');
    const count = keys.length / WORDS;
    const size = index.length;
    if (size < MIN_SLOTS || (size & (size - 1)) !== 0 || count > size * MAX_LOAD)
      throw new RangeError(`an index of ${size} slots for ${count} records`);
    if (tags.length !== size) throw new RangeError('one tag per index slot');
    const seen = new Uint8Array(count);
    let placed = 0;
    for (let slot = 0; slot < size; slot++) {
      const record = (index[slot] as number) - 1;
      if (record < 0) {
        if (record !== -1) throw new RangeError(`index slot ${slot} is not a record`);
        continue;
      }
      if (record >= count || seen[record] === 1) throw new RangeError(`index slot ${slot} is not a record`);
      seen[record] = 1;
      placed++;
    }
    if (placed !== count) throw new RangeError('the index misses records');
    this.keys.adopt(keys);
    this.count = count;
    this.#slots = index;
    this.#tags = new Uint8Array(tags.buffer, tags.byteOffset, tags.length);
    this.#slotsShared = true;
  }

  #place(record: number): void {
    const slots = this.#slots;
    const mask = slots.length - 1;
    const first = this.keys.chunk(record)[this.keys.offset(record)] as number;
    let slot = first & mask;
    while (slots[slot] !== 0) slot = (slot + 1) & mask;
    slots[slot] = record + 1;
    this.#tags[slot] = first >>> 24;
  }

  #rehash(size: number): void {
    this.#slots = new Int32Array(size);
    this.#tags = new Uint8Array(size);
    this.#slotsShared = false;
    for (let record = 0; record < this.count; record++) this.#place(record);
  }
}
