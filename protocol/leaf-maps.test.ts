import t from 'tap';
import { nobleBackend } from './crypto.ts';
import { toHex, utf8 } from './encoding.ts';
import { LeafAmounts, OnceRecords } from './leaf-maps.ts';
import { MAX_MINOR_UNITS } from './money.ts';

const leaf = (i: number): string => toHex(nobleBackend.sha256(utf8(`entry ${i}`)));

t.test('LeafAmounts answers as a Map of hex hashes to amounts, across many growths', async (t) => {
  const compact = new LeafAmounts();
  const model = new Map<string, bigint>();
  for (let i = 0; i < 5000; i++) {
    const amount = BigInt(i * 137) % (MAX_MINOR_UNITS + 1n);
    compact.set(leaf(i), amount);
    model.set(leaf(i), amount);
    // What a refund does: take part of an earlier contribution back.
    if (i % 7 === 0) {
      const earlier = leaf(i >> 1);
      const left = (model.get(earlier) as bigint) / 2n;
      compact.set(earlier, left);
      model.set(earlier, left);
    }
  }
  t.equal(compact.size, model.size);
  let same = 0;
  for (const [hash, amount] of model) if (compact.get(hash) === amount) same++;
  t.equal(same, model.size, 'every amount is the last one set');
  t.same([...compact], [...model], 'iterates the same records in the same order');
  t.equal(compact.get(leaf(5000)), undefined, 'a hash never set');
});

t.test('LeafAmounts keeps the largest amount exactly and refuses what it cannot hold', async (t) => {
  const map = new LeafAmounts();
  map.set(leaf(1), MAX_MINOR_UNITS);
  t.equal(map.get(leaf(1)), MAX_MINOR_UNITS);
  map.set(leaf(2), BigInt(Number.MAX_SAFE_INTEGER));
  t.equal(map.get(leaf(2)), BigInt(Number.MAX_SAFE_INTEGER));
  t.throws(() => map.set(leaf(3), BigInt(Number.MAX_SAFE_INTEGER) + 1n), RangeError);
  t.throws(() => map.set(leaf(3), -1n), RangeError);
  t.throws(() => map.set(leaf(3).toUpperCase(), 1n), RangeError);
  t.equal(map.size, 2);
});

t.test('only the exact lowercase hash finds a record, as with a Map of strings', async (t) => {
  const map = new LeafAmounts();
  const hash = leaf(9);
  map.set(hash, 500n);
  t.equal(map.get(hash.toUpperCase()), undefined, 'upper case');
  t.equal(map.get(`${hash}0`), undefined, 'too long');
  t.equal(map.get(hash.slice(1)), undefined, 'too short');
  t.equal(map.get(`${hash.slice(0, 63)}g`), undefined, 'not hex');
  t.equal(map.get(`${hash.slice(0, 63)}\u0660`), undefined, 'a non-ASCII digit');
  t.equal(map.get(hash), 500n);
});

t.test('keys that share a bucket are told apart by their other words', async (t) => {
  const map = new LeafAmounts();
  // Same first word, so the same bucket at every table size: they probe past each other.
  const keys = Array.from({ length: 300 }, (_, i) => `00000000${leaf(i).slice(8)}`);
  keys.forEach((key, i) => {
    map.set(key, BigInt(i));
  });
  t.equal(map.size, 300);
  t.ok(
    keys.every((key, i) => map.get(key) === BigInt(i)),
    'each finds its own record',
  );
  t.equal(map.get(`00000000${leaf(300).slice(8)}`), undefined, 'an absent key in the crowded bucket');
  t.equal(map.get('f'.repeat(64)), undefined, 'the highest key');
  map.set('f'.repeat(64), 1n);
  t.equal(map.get('f'.repeat(64)), 1n, 'words above 2^31 are unsigned');
});

t.test('OnceRecords answers as a Map of claim keys to leaf hashes', async (t) => {
  const compact = new OnceRecords();
  const model = new Map<string, string>();
  const record = (key: string, hash: string) => {
    compact.set(key, hash);
    model.set(key, hash);
  };
  for (let i = 0; i < 3000; i++) record(`hostEntry ${leaf(-i)}`, leaf(i));
  // The host ledger's keys, and host entry keys not in the hash form, stay as text.
  record('received bank-transfer 2026-01-10 #7', leaf(1));
  record(`paid https://example.org/actors/a ${leaf(2)}`, leaf(3));
  record(`hostEntry ${leaf(4).toUpperCase()}`, leaf(5));
  record('hostEntry ', leaf(6));
  t.equal(compact.size, model.size);
  let same = 0;
  for (const [key, hash] of model) if (compact.get(key) === hash) same++;
  t.equal(same, model.size, 'every fact answers its leaf hash');
  t.same(new Map(compact), model, 'iterates the same facts');
  t.equal(compact.get(`hostEntry ${leaf(-3000)}`), undefined, 'a host entry never recorded');
  t.equal(compact.get(`hostEntry ${leaf(-1).toUpperCase()}`), undefined, 'another spelling is another fact');
  t.equal(compact.get('received nothing'), undefined);
  t.throws(() => compact.set(`hostEntry ${leaf(7)}`, 'not a hash'), RangeError);
});

t.test('LeafAmounts as bytes: hashes as written, amounts little-endian, back to the same map', async (t) => {
  const map = new LeafAmounts();
  const amounts = [0n, 1n, 0xffffffffn, 0x100000000n, MAX_MINOR_UNITS, BigInt(Number.MAX_SAFE_INTEGER)];
  for (let i = 0; i < 2000; i++) map.set(leaf(i), amounts[i % amounts.length] as bigint);
  const { keys, amounts: packed } = map.toBytes();
  t.equal(keys.length, 2000 * 32);
  t.equal(toHex(keys.subarray(32, 64)), leaf(1), 'a key is the hash bytes');
  t.equal(toHex(packed.subarray(24, 32)), '0000000001000000', '2^32, little-endian');
  const back = LeafAmounts.fromBytes(keys, packed);
  t.same([...back], [...map], 'the same records in the same order');
  t.equal(back.get(leaf(1999)), map.get(leaf(1999)), 'found through the rebuilt index');
  back.set(leaf(2000), 5n);
  t.equal(back.get(leaf(2000)), 5n, 'and still grows');
  t.same([...LeafAmounts.fromBytes(new Uint8Array(0), new Uint8Array(0))], [], 'empty');

  t.throws(() => LeafAmounts.fromBytes(keys, packed, Number(MAX_MINOR_UNITS)), /more than/, 'over the limit');
  t.throws(() => LeafAmounts.fromBytes(keys.subarray(0, 64), packed.subarray(0, 8)), RangeError, 'lengths');
  t.throws(
    () => LeafAmounts.fromBytes(keys.subarray(0, 40), packed.subarray(0, 10)),
    RangeError,
    'partial key',
  );
  const twice = new Uint8Array(64);
  twice.set(keys.subarray(0, 32));
  twice.set(keys.subarray(0, 32), 32);
  t.throws(() => LeafAmounts.fromBytes(twice, packed.subarray(0, 16)), /twice/, 'a key twice');
  const over = packed.slice(0, 8);
  over[6] = 0x20; // 2^53
  t.throws(() => LeafAmounts.fromBytes(keys.subarray(0, 32), over), /more than/, 'over 2^53 - 1');
});

t.test('OnceRecords as bytes and other facts, back to the same facts', async (t) => {
  const facts = new OnceRecords();
  for (let i = 0; i < 1500; i++) facts.set(`hostEntry ${leaf(-i)}`, leaf(i));
  facts.set('received bank-transfer 2026-01-10 #7', leaf(1));
  const { keys, values, other } = facts.toBytes();
  t.equal(toHex(values.subarray(0, 32)), leaf(0), 'a value is the hash bytes');
  t.same([...other], [['received bank-transfer 2026-01-10 #7', leaf(1)]], 'only the text facts');
  const back = OnceRecords.fromBytes(keys, values, other);
  t.same([...back], [...facts], 'the same facts in the same order');
  t.equal(back.get(`hostEntry ${leaf(-1499)}`), leaf(1499));
  // A host entry among the text facts is not lost: it joins the hashed ones.
  const moved = OnceRecords.fromBytes(keys.subarray(0, 32), values.subarray(0, 32), [
    [`hostEntry ${leaf(-1)}`, leaf(1)],
  ]);
  t.equal(moved.get(`hostEntry ${leaf(-1)}`), leaf(1));
  t.equal(moved.size, 2);
  t.throws(() => OnceRecords.fromBytes(keys, values.subarray(32), []), RangeError, 'lengths');
});

// Records live in chunks of 2^14: these maps span several, with the last one partly filled.
const ACROSS = 3 * 16384 + 123;
const many = Array.from({ length: ACROSS + 1000 }, (_, i) => leaf(100_000 + i));
const concat = (parts: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
};
const aligned = <T>(bytes: Uint8Array, make: (b: ArrayBuffer) => T): T => make(bytes.slice().buffer);

t.test('records across several chunks: each found, absent keys not, order kept', async (t) => {
  const map = new LeafAmounts();
  for (let i = 0; i < ACROSS; i++) map.set(many[i] as string, BigInt(i));
  t.equal(map.size, ACROSS);
  let found = 0;
  for (let i = 0; i < ACROSS; i++) if (map.get(many[i] as string) === BigInt(i)) found++;
  t.equal(found, ACROSS, 'every record, in every chunk');
  let absent = 0;
  for (let i = ACROSS; i < many.length; i++) if (map.get(many[i] as string) === undefined) absent++;
  t.equal(absent, 1000, 'no key never set is found');
  // The records at each chunk's edges, updated in place.
  for (const i of [16383, 16384, 32767, 32768, 49151, 49152, ACROSS - 1]) map.set(many[i] as string, 7n);
  t.equal(map.get(many[16384] as string), 7n);
  t.equal(map.size, ACROSS, 'updates add no record');
  const order = [...map].map(([hash]) => hash);
  t.equal(String(order), String(many.slice(0, ACROSS)), 'iterated in the order first set');
});

t.test('toBytes and fromBytes across chunks give back the same map, which still grows', async (t) => {
  const map = new LeafAmounts();
  for (let i = 0; i < ACROSS; i++) map.set(many[i] as string, BigInt(i * 1_000_003));
  const { keys, amounts } = map.toBytes();
  t.equal(toHex(keys.subarray(32 * 16384, 32 * 16385)), many[16384], 'a key past the first chunk');
  const back = LeafAmounts.fromBytes(keys, amounts);
  t.equal(String([...back]), String([...map]), 'the same records in the same order');
  back.set(many[ACROSS] as string, 1n);
  t.equal(back.get(many[ACROSS] as string), 1n);
  t.equal(back.get(many[ACROSS - 1] as string), BigInt((ACROSS - 1) * 1_000_003));

  const facts = new OnceRecords();
  for (let i = 0; i < ACROSS; i++) facts.set(`hostEntry ${many[i]}`, many[ACROSS - 1 - i] as string);
  const bytes = facts.toBytes();
  const again = OnceRecords.fromBytes(bytes.keys, bytes.values, bytes.other);
  t.equal(String([...again]), String([...facts]), 'the same records in the same order');
  t.equal(again.get(`hostEntry ${many[40000]}`), many[ACROSS - 1 - 40000]);
  t.equal(again.get(`hostEntry ${many[ACROSS]}`), undefined);
});

t.test('setAll copies: neither map sees what the other sets afterwards', async (t) => {
  const map = new LeafAmounts();
  for (let i = 0; i < ACROSS; i++) map.set(many[i] as string, BigInt(i));
  const copy = new LeafAmounts().setAll(map);
  t.equal(String([...copy]), String([...map]), 'the same records in the same order');
  copy.set(many[5] as string, 99n); // a shared chunk, written by the copy
  copy.set(many[ACROSS] as string, 1n); // a new record in the shared last chunk
  map.set(many[20000] as string, 98n); // a shared chunk, written by the original
  map.set(many[ACROSS + 1] as string, 2n);
  t.equal(map.get(many[5] as string), 5n, 'the original keeps its amount');
  t.equal(copy.get(many[20000] as string), 20000n, 'the copy keeps its amount');
  t.equal(map.get(many[ACROSS] as string), undefined, "the copy's new record is not the original's");
  t.equal(copy.get(many[ACROSS + 1] as string), undefined, "and the original's not the copy's");
  t.equal(map.size, ACROSS + 1);
  t.equal(copy.size, ACROSS + 1);
  // Enough new records in each to grow the index: each its own.
  for (let i = ACROSS + 2; i < many.length; i++) copy.set(many[i] as string, 3n);
  t.equal(map.get(many[many.length - 1] as string), undefined);
  t.equal(copy.get(many[many.length - 1] as string), 3n);

  const facts = new OnceRecords();
  for (let i = 0; i < 20000; i++) facts.set(`hostEntry ${many[i]}`, many[i + 1] as string);
  facts.set('received x', many[0] as string);
  const factsCopy = new OnceRecords().setAll(facts);
  factsCopy.set(`hostEntry ${many[3]}`, many[9] as string);
  factsCopy.set(`hostEntry ${many[20001]}`, many[9] as string);
  t.equal(facts.get(`hostEntry ${many[3]}`), many[4], 'the original fact stays');
  t.equal(facts.get(`hostEntry ${many[20001]}`), undefined);
  t.equal(factsCopy.get(`hostEntry ${many[3]}`), many[9]);
  t.equal(factsCopy.get('received x'), many[0]);
  t.equal(factsCopy.size, facts.size + 1);
});

t.test('raw records and index are taken as views, never written, and give the same map', async (t) => {
  const map = new LeafAmounts();
  for (let i = 0; i < ACROSS; i++) map.set(many[i] as string, BigInt(i));
  const raw = map.raw();
  const keys = concat(raw.keys);
  const amounts = concat(raw.amounts);
  const index = raw.index.slice();
  const tags = raw.tags.slice();
  const saved = concat([keys, amounts, index, tags]);
  const back = LeafAmounts.fromRaw(
    aligned(keys, (b) => new Uint32Array(b)),
    aligned(amounts, (b) => new Float64Array(b)),
    aligned(index, (b) => new Int32Array(b)),
    tags,
  );
  t.equal(String([...back]), String([...map]), 'the same records in the same order');
  t.equal(back.get(many[ACROSS] as string), undefined, 'an absent key');
  // Views of one buffer, as a saved state gives them: writes go to copies.
  const k = new Uint32Array(keys.length / 4);
  k.set(new Uint32Array(keys.slice().buffer));
  const a = new Float64Array(amounts.slice().buffer);
  const i = new Int32Array(index.slice().buffer);
  const live = LeafAmounts.fromRaw(k, a, i, tags);
  for (let n = 0; n < ACROSS; n += 1000) live.set(many[n] as string, 1n);
  for (let n = ACROSS; n < many.length; n++) live.set(many[n] as string, 2n);
  t.equal(live.get(many[many.length - 1] as string), 2n);
  t.equal(live.get(many[0] as string), 1n);
  t.same(
    concat([new Uint8Array(k.buffer), new Uint8Array(a.buffer), new Uint8Array(i.buffer), tags]),
    saved,
    'the bytes given are unchanged',
  );

  t.throws(() => LeafAmounts.fromRaw(k, a.subarray(1), i, tags), RangeError, 'lengths');
  t.throws(
    () => LeafAmounts.fromRaw(k, a, i.subarray(0, i.length / 2), tags.subarray(0, i.length / 2)),
    /index/,
    'an index too small',
  );
  t.throws(() => LeafAmounts.fromRaw(k, a, i, tags.subarray(1)), /tag/, 'tags');
  const twice = i.slice();
  const first = twice.findIndex((r) => r !== 0);
  const second = twice.findIndex((r, n) => n > first && r !== 0);
  twice[second] = twice[first] as number;
  t.throws(() => LeafAmounts.fromRaw(k, a, twice, tags), /not a record/, 'a record twice in the index');
  const out = i.slice();
  out[first] = ACROSS + 1;
  t.throws(() => LeafAmounts.fromRaw(k, a, out, tags), /not a record/, 'a record out of range');
  for (const bad of [-1, 0.5, Number.NaN, 2 ** 53]) {
    const wrong = a.slice();
    wrong[7] = bad;
    t.throws(() => LeafAmounts.fromRaw(k, wrong, i, tags), /amount 7/, `amount ${bad}`);
  }
  t.throws(() => LeafAmounts.fromRaw(k, a, i, tags, 100), /amount 101/, 'over the maximum');

  const facts = new OnceRecords();
  for (let n = 0; n < ACROSS; n++) facts.set(`hostEntry ${many[n]}`, many[ACROSS - n] as string);
  facts.set('received x', many[1] as string);
  const f = facts.raw();
  const factsBack = OnceRecords.fromRaw(
    aligned(concat(f.keys), (b) => new Uint32Array(b)),
    aligned(concat(f.values), (b) => new Uint32Array(b)),
    aligned(f.index, (b) => new Int32Array(b)),
    f.tags.slice(),
    f.other,
  );
  t.equal(String([...factsBack]), String([...facts]), 'the same records in the same order');
  t.equal(factsBack.get(`hostEntry ${many[ACROSS]}`), undefined);
});
