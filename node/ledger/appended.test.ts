import t from 'tap';
import { contribution, tempNode, update } from './fixtures.test-helper.ts';
import type { AppendResult } from './types.ts';

t.test('onAppended sees every durable entry once, in seq order, batch by batch', async (t) => {
  const node = await tempNode();
  t.teardown(node.cleanup);
  const { ledger } = node.actor;
  const seen: number[] = [];
  const batches: number[] = [];
  const stop = ledger.onAppended((results: readonly AppendResult[]) => {
    batches.push(results.length);
    for (const result of results) seen.push(result.seq);
  });
  // A listener that throws must not fail appends that are already on disk.
  ledger.onAppended(() => {
    throw new Error('a broken listener');
  });
  const results = await Promise.all(Array.from({ length: 250 }, (_, i) => ledger.append(update(i))));
  t.same(
    results.map((r) => r.seq),
    Array.from({ length: 250 }, (_, i) => i + 1),
    'every append is acknowledged',
  );
  t.same(
    seen,
    Array.from({ length: 250 }, (_, i) => i + 1),
    'each entry seen once, in order',
  );
  t.equal(
    batches.reduce((a, b) => a + b, 0),
    250,
  );
  t.ok(batches.length < 250, 'entries appended in one turn arrive together, as their batch');

  await t.rejects(ledger.append(contribution('1.000')), { code: 'LEDGER_INVALID_ENTRY' });
  t.equal(seen.length, 250, 'a refused entry is not announced');

  stop();
  await ledger.append(update(999));
  t.equal(seen.length, 250, 'an unsubscribed listener hears nothing more');
  t.equal(ledger.head().size, 252);
});
