import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Temporal } from '@js-temporal/polyfill';
import t from 'tap';
import { openLevelStore } from '../storage/level.ts';
import { decodeKvKey, encodeKvKey, LevelKvStore } from './kv.ts';

async function tempDb(t: { teardown(fn: () => unknown): void }) {
  const dir = await mkdtemp(join(tmpdir(), 'cagnotte-kv-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return join(dir, 'db');
}

t.test('key encoding keeps parts apart and prefixes as prefixes', async (t) => {
  const keys = [['a'], ['a', 'b'], ['a/b'], ['a', ''], ['é', '%2F', 'x y']] as const;
  for (const key of keys) t.same(decodeKvKey(encodeKvKey(key)), key);
  t.not(encodeKvKey(['a/b']), encodeKvKey(['a', 'b']));
  t.throws(() => encodeKvKey([] as unknown as ['x']));
});

t.test('get, set, delete and values survive a reopen of the database', async (t) => {
  const location = await tempDb(t);
  let store = await openLevelStore(location);
  let kv = new LevelKvStore(store);
  t.equal(await kv.get(['missing']), undefined);
  await kv.set(['doc', 'https://example.com/a'], { id: 'https://example.com/a', n: 1, list: [1, 'two'] });
  await kv.set(['flag'], true);
  await kv.set(['gone'], 'x');
  await kv.delete(['gone']);
  await store.close();

  store = await openLevelStore(location);
  t.teardown(() => store.close());
  kv = new LevelKvStore(store);
  t.same(await kv.get(['doc', 'https://example.com/a']), {
    id: 'https://example.com/a',
    n: 1,
    list: [1, 'two'],
  });
  t.equal(await kv.get(['flag']), true);
  t.equal(await kv.get(['gone']), undefined);
});

t.test('a value set with a TTL expires, across a reopen too', async (t) => {
  const location = await tempDb(t);
  let clock = 1_700_000_000_000;
  const now = () => clock;
  let store = await openLevelStore(location);
  let kv = new LevelKvStore(store, { now });
  await kv.set(['short'], 'a', { ttl: Temporal.Duration.from({ seconds: 30 }) });
  await kv.set(['long'], 'b', { ttl: Temporal.Duration.from({ days: 1 }) });
  await kv.set(['forever'], 'c');
  clock += 29_999;
  t.equal(await kv.get(['short']), 'a', 'still there 1 ms before expiry');
  clock += 1;
  t.equal(await kv.get(['short']), undefined, 'gone at expiry');
  await store.close();

  store = await openLevelStore(location);
  t.teardown(() => store.close());
  kv = new LevelKvStore(store, { now });
  t.equal(await kv.get(['long']), 'b');
  clock += 24 * 3600_000;
  t.equal(await kv.get(['long']), undefined);
  t.equal(await kv.get(['forever']), 'c');
  const listed = [];
  for await (const entry of kv.list()) listed.push(entry);
  t.same(listed, [{ key: ['forever'], value: 'c' }], 'list skips expired values');
});

t.test('sweep deletes expired records only', async (t) => {
  const location = await tempDb(t);
  const store = await openLevelStore(location);
  t.teardown(() => store.close());
  let clock = 0;
  const kv = new LevelKvStore(store, { now: () => clock });
  await kv.set(['a'], 1, { ttl: Temporal.Duration.from({ seconds: 1 }) });
  await kv.set(['b'], 2, { ttl: Temporal.Duration.from({ seconds: 1 }) });
  await kv.set(['c'], 3);
  clock = 1000;
  t.equal(await kv.sweep(), 2);
  t.equal(await kv.get(['c']), 3);
});

t.test('list by prefix returns the prefix and its descendants, not its siblings', async (t) => {
  const location = await tempDb(t);
  const store = await openLevelStore(location);
  t.teardown(() => store.close());
  const kv = new LevelKvStore(store);
  await kv.set(['_fedify', 'remoteDocument', 'https://a.example/1'], 1);
  await kv.set(['_fedify', 'remoteDocument', 'https://a.example/2'], 2);
  await kv.set(['_fedify', 'remoteDocument'], 0);
  await kv.set(['_fedify', 'remoteDocumentX'], 'sibling');
  await kv.set(['_fedify', 'remote'], 'shorter');
  await kv.set(['_fedify/remoteDocument'], 'slash in a part');
  const listed = [];
  for await (const entry of kv.list(['_fedify', 'remoteDocument'])) listed.push(entry);
  t.same(listed, [
    { key: ['_fedify', 'remoteDocument'], value: 0 },
    { key: ['_fedify', 'remoteDocument', 'https://a.example/1'], value: 1 },
    { key: ['_fedify', 'remoteDocument', 'https://a.example/2'], value: 2 },
  ]);
  const all = [];
  for await (const entry of kv.list()) all.push(entry.key);
  t.equal(all.length, 6);
});

t.test('cas swaps only on the expected value, and one of two racing swaps wins', async (t) => {
  const location = await tempDb(t);
  const store = await openLevelStore(location);
  t.teardown(() => store.close());
  const kv = new LevelKvStore(store);
  t.equal(await kv.cas(['k'], 'nope', 1), false, 'absent is not "nope"');
  t.equal(await kv.get(['k']), undefined);
  t.equal(await kv.cas(['k'], undefined, { a: 1, b: [2] }), true, 'absent matches undefined');
  t.equal(await kv.cas(['k'], { b: [2], a: 1 }, 2), true, 'JSON equality, key order aside');
  t.equal(await kv.cas(['k'], { a: 1, b: [2] }, 3), false);
  t.equal(await kv.get(['k']), 2);
  const results = await Promise.all([kv.cas(['k'], 2, 'x'), kv.cas(['k'], 2, 'y')]);
  t.same(results.filter(Boolean).length, 1, 'exactly one racing cas succeeds');
  t.ok(['x', 'y'].includes((await kv.get(['k'])) as string));
});

t.test('cas on an expired value sees it absent', async (t) => {
  const location = await tempDb(t);
  const store = await openLevelStore(location);
  t.teardown(() => store.close());
  let clock = 0;
  const kv = new LevelKvStore(store, { now: () => clock });
  await kv.set(['k'], 'old', { ttl: Temporal.Duration.from({ seconds: 1 }) });
  clock = 5000;
  t.equal(await kv.cas(['k'], 'old', 'new'), false);
  t.equal(await kv.cas(['k'], undefined, 'new'), true);
  t.equal(await kv.get(['k']), 'new');
});
