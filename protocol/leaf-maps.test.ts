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
