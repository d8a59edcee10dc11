import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { fromUtf8, utf8 } from '../../protocol/encoding.ts';
import { jsonValue, parseJsonValue, parseSeqKey, seqKey } from './codec.ts';
import { openLevelStore } from './level.ts';
import { compareUtf8, MemoryStore } from './memory.ts';
import { type Store, StoreClosedError, type Sublevel } from './types.ts';

interface Impl {
  name: string;
  open(): Promise<{ store: Store; reopen?: () => Promise<Store>; cleanup(): Promise<void> }>;
}

const impls: Impl[] = [
  {
    name: 'memory',
    async open() {
      return { store: new MemoryStore(), cleanup: async () => {} };
    },
  },
  {
    name: 'level',
    async open() {
      const dir = await mkdtemp(join(tmpdir(), 'cagnotte-store-'));
      const store = await openLevelStore(join(dir, 'db'));
      return {
        store,
        reopen: () => openLevelStore(join(dir, 'db')),
        cleanup: () => rm(dir, { recursive: true, force: true }),
      };
    },
  },
];

async function collect(
  sub: Sublevel,
  range?: Parameters<Sublevel['entries']>[0],
): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for await (const [key, value] of sub.entries(range)) out.push([key, fromUtf8(value)]);
  return out;
}

async function collectKeys(sub: Sublevel, range?: Parameters<Sublevel['keys']>[0]): Promise<string[]> {
  const out: string[] = [];
  for await (const key of sub.keys(range)) out.push(key);
  return out;
}

for (const impl of impls) {
  t.test(`${impl.name} store contract`, async (t) => {
    const { store, reopen, cleanup } = await impl.open();
    t.teardown(cleanup);

    t.test('get, put, del, getMany', async (t) => {
      const sub = store.sublevel('basic');
      t.equal(await sub.get('missing'), undefined, 'absent key is undefined');
      await sub.put('a', utf8('one'));
      t.equal(fromUtf8((await sub.get('a')) as Uint8Array), 'one');
      await sub.put('a', utf8('two'));
      t.equal(fromUtf8((await sub.get('a')) as Uint8Array), 'two', 'put overwrites');
      const many = await sub.getMany(['a', 'nope']);
      t.equal(many.length, 2);
      t.equal(fromUtf8(many[0] as Uint8Array), 'two');
      t.equal(many[1], undefined);
      await sub.del('a');
      t.equal(await sub.get('a'), undefined, 'deleted');
      await sub.del('never-there');
      t.pass('deleting an absent key is fine');
    });

    t.test('values are copies, binary-safe', async (t) => {
      const sub = store.sublevel('bytes');
      const value = Uint8Array.of(0, 255, 0xed, 1, 0);
      await sub.put('k', value);
      value[0] = 9;
      const read = (await sub.get('k')) as Uint8Array;
      t.equal(Object.getPrototypeOf(read), Uint8Array.prototype, 'a plain Uint8Array, not a Buffer');
      const [many] = await sub.getMany(['k']);
      t.equal(Object.getPrototypeOf(many), Uint8Array.prototype);
      for await (const [, v] of sub.entries()) t.equal(Object.getPrototypeOf(v), Uint8Array.prototype);
      t.same([...read], [0, 255, 0xed, 1, 0], 'mutating the written array does not change the store');
      read[1] = 7;
      t.same([...((await sub.get('k')) as Uint8Array)], [0, 255, 0xed, 1, 0], 'nor does mutating a read');
    });

    t.test('sublevels are separate keyspaces', async (t) => {
      const a = store.sublevel('ledger', 'x', 'entries');
      const b = store.sublevel('ledger', 'y', 'entries');
      await a.put('k', utf8('a'));
      await b.put('k', utf8('b'));
      t.equal(fromUtf8((await a.get('k')) as Uint8Array), 'a');
      t.equal(fromUtf8((await b.get('k')) as Uint8Array), 'b');
      t.same(await collect(a), [['k', 'a']], 'iteration stays inside the sublevel');
      t.equal(
        store.sublevel('ledger', 'x', 'entries').path.join('/'),
        'ledger/x/entries',
        'same path, same sublevel',
      );
      t.throws(() => store.sublevel('ledger', 'x'), TypeError, 'a path nesting another is refused');
      t.throws(() => store.sublevel('ledger', 'x', 'entries', 'more'), TypeError);
      t.throws(() => store.sublevel('bad name'), TypeError, 'names are restricted');
      t.throws(() => store.sublevel(), TypeError);
    });

    t.test('keys sort by UTF-8 bytes; ranges, limit, reverse', async (t) => {
      const sub = store.sublevel('order');
      const keys = ['b', 'a', 'ab', 'B', '\u00e9', '\uffff', '\u{1f600}', 'a\u0000', '0', '10', '9'];
      await store.batch(keys.map((key) => ({ type: 'put' as const, sublevel: sub, key, value: utf8(key) })));
      const sorted = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
      t.same(await collectKeys(sub), sorted, 'ascending in byte order, astral after U+FFFF');
      t.same(await collectKeys(sub, { reverse: true }), [...sorted].reverse(), 'descending');
      t.same(await collectKeys(sub, { gt: 'a', lt: 'b' }), ['a\u0000', 'ab'], 'exclusive bounds');
      t.same(await collectKeys(sub, { gte: 'a', lte: 'b' }), ['a', 'a\u0000', 'ab', 'b'], 'inclusive bounds');
      t.same(await collectKeys(sub, { gte: 'a', limit: 2 }), ['a', 'a\u0000'], 'limit');
      t.same(
        await collectKeys(sub, { lt: 'b', limit: 2, reverse: true }),
        ['ab', 'a\u0000'],
        'limit from the end',
      );
      t.same(await collectKeys(sub, { gt: 'z', lt: 'a' }), [], 'empty range');
      t.same(await collectKeys(sub, { limit: 0 }), [], 'limit 0');
      const entries = await collect(sub, { gte: '0', lt: 'A' });
      t.same(
        entries,
        [
          ['0', '0'],
          ['10', '10'],
          ['9', '9'],
        ],
        'values come with keys',
      );
    });

    t.test('seq keys sort numerically', async (t) => {
      const sub = store.sublevel('seqs');
      const seqs = [0, 1, 9, 10, 99, 100, 12345, 2 ** 40, Number.MAX_SAFE_INTEGER];
      await store.batch(
        [...seqs]
          .reverse()
          .map((s) => ({ type: 'put' as const, sublevel: sub, key: seqKey(s), value: utf8('') })),
      );
      t.same((await collectKeys(sub)).map(parseSeqKey), seqs);
      t.same(
        (await collectKeys(sub, { lt: seqKey(100), reverse: true, limit: 2 })).map(parseSeqKey),
        [99, 10],
      );
      t.throws(() => seqKey(-1), RangeError);
      t.throws(() => seqKey(1.5), RangeError);
      t.throws(() => parseSeqKey('12'), RangeError);
    });

    t.test('iterators read a snapshot', async (t) => {
      const sub = store.sublevel('snap');
      await store.batch(
        ['1', '2', '3'].map((key) => ({ type: 'put' as const, sublevel: sub, key, value: utf8('old') })),
      );
      const seen: [string, string][] = [];
      for await (const [key, value] of sub.entries()) {
        if (key === '1') {
          await sub.put('2', utf8('new'));
          await sub.put('4', utf8('new'));
          await sub.del('3');
        }
        seen.push([key, fromUtf8(value)]);
      }
      t.same(
        seen,
        [
          ['1', 'old'],
          ['2', 'old'],
          ['3', 'old'],
        ],
        'writes during iteration are not seen',
      );
      t.same(
        await collect(sub),
        [
          ['1', 'old'],
          ['2', 'new'],
          ['4', 'new'],
        ],
        'but are there afterwards',
      );
    });

    t.test('batches across sublevels are all or nothing', async (t) => {
      const x = store.sublevel('batch-x');
      const y = store.sublevel('batch-y');
      await x.put('gone', utf8('1'));
      await store.batch(
        [
          { type: 'put', sublevel: x, key: 'k', value: utf8('x') },
          { type: 'put', sublevel: y, key: 'k', value: utf8('y') },
          { type: 'del', sublevel: x, key: 'gone' },
        ],
        { sync: true },
      );
      t.same(await collect(x), [['k', 'x']]);
      t.same(await collect(y), [['k', 'y']]);
      const other = new MemoryStore();
      const foreign = other.sublevel('foreign');
      await t.rejects(
        store.batch([
          { type: 'put', sublevel: x, key: 'half', value: utf8('no') },
          { type: 'put', sublevel: foreign, key: 'k', value: utf8('no') },
        ]),
        TypeError,
      );
      await t.rejects(
        store.batch([
          { type: 'put', sublevel: x, key: 'half', value: utf8('no') },
          { type: 'put', sublevel: y, key: 'bad', value: 'not bytes' as unknown as Uint8Array },
        ]),
      );
      t.equal(await x.get('half'), undefined, 'a rejected batch writes nothing');
    });

    t.test('clear a range', async (t) => {
      const sub = store.sublevel('clear');
      await store.batch(
        ['a', 'b', 'c', 'd'].map((key) => ({ type: 'put' as const, sublevel: sub, key, value: utf8(key) })),
      );
      await sub.clear({ gte: 'b', lt: 'd' });
      t.same(await collectKeys(sub), ['a', 'd']);
      await sub.clear();
      t.same(await collectKeys(sub), []);
    });

    t.test('json codec', async (t) => {
      const sub = store.sublevel('json');
      await sub.put('doc', jsonValue({ a: [1, 'two', null], b: { c: true } }));
      t.same(parseJsonValue((await sub.get('doc')) as Uint8Array), { a: [1, 'two', null], b: { c: true } });
    });

    t.test('close, then reopen keeps the data (level)', async (t) => {
      const sub = store.sublevel('durable');
      await sub.put('k', utf8('v'), { sync: true });
      await store.close();
      await t.rejects(sub.get('k'), StoreClosedError, 'reads after close fail');
      await t.rejects(sub.put('k', utf8('w')), StoreClosedError, 'writes after close fail');
      t.throws(() => store.sublevel('late'), StoreClosedError);
      if (reopen) {
        const again = await reopen();
        t.equal(fromUtf8((await again.sublevel('durable').get('k')) as Uint8Array), 'v');
        await again.close();
      }
    });
  });
}

t.test('a LevelDB directory is locked by its opener', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cagnotte-store-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const store = await openLevelStore(join(dir, 'db'));
  await t.rejects(openLevelStore(join(dir, 'db')), 'a second open fails while the first holds it');
  await store.close();
});

t.test('compareUtf8 agrees with byte order', async (t) => {
  const samples = [
    '',
    'a',
    'ab',
    '\u007f',
    '\u0080',
    '\u07ff',
    '\u0800',
    '\ud7ff',
    '\ue000',
    '\uffff',
    '\u{10000}',
    '\u{10ffff}',
    'a\u{1f600}',
    'a\uffff',
  ];
  for (const a of samples) {
    for (const b of samples) {
      const expected = Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)));
      if (Math.sign(compareUtf8(a, b)) !== expected)
        t.fail(`compare ${JSON.stringify(a)} ${JSON.stringify(b)}`);
    }
  }
  t.pass(`${samples.length ** 2} pairs compared`);
});
