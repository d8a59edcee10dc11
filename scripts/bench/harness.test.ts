import t from 'tap';
import { formatTable, runCases } from './harness.ts';

const quick = { duration: 0.01, warmup: 0.005, rounds: 3 };

t.test('ratios are computed from the medians, targets judged on them', async (t) => {
  let calls = 0;
  const results = await runCases(
    [
      { id: 'base', label: 'base', op: () => calls++ },
      { id: 'same', label: 'same', op: () => calls++, baseline: 'base', target: 1e-9 },
      { id: 'never', label: 'never', op: () => calls++, baseline: 'base', target: 1e9 },
    ],
    quick,
  );
  t.ok(calls > 0, 'the operations ran');
  const [base, same, never] = results;
  t.equal(base?.rounds.length, 3, 'one rate per round');
  t.equal(same?.ratio, (same?.opsPerSec as number) / (base?.opsPerSec as number));
  t.equal(same?.met, true);
  t.equal(never?.met, false);
  t.equal(base?.ratio, undefined, 'no baseline, no ratio');
  const table = formatTable(results);
  t.match(table, /never .* MISSED/);
  t.match(table, /same .* met/);
});

t.test('asynchronous operations are awaited', async (t) => {
  let inFlight = 0;
  let maxInFlight = 0;
  await runCases(
    [
      {
        id: 'async',
        label: 'async',
        op: async () => {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await new Promise((resolve) => setImmediate(resolve));
          inFlight--;
        },
      },
    ],
    quick,
  );
  t.equal(maxInFlight, 1, 'one at a time');
});

t.test('an unknown baseline is an error, not a silent blank', async (t) => {
  await t.rejects(
    runCases([{ id: 'a', label: 'a', op: () => 0, baseline: 'missing' }], quick),
    /unknown baseline/,
  );
});
