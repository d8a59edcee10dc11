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

t.test('a case compared with other cases too shows each ratio, judged on its baseline only', async (t) => {
  const results = await runCases(
    [
      { id: 'slow', label: 'slow', op: () => new Uint8Array(4096).fill(1) },
      { id: 'fast', label: 'fast', op: () => 0 },
      {
        id: 'measured',
        label: 'measured',
        op: () => new Uint8Array(64).fill(1),
        baseline: 'slow',
        target: 1e-9,
        alsoAgainst: ['fast'],
      },
    ],
    quick,
  );
  const [slow, fast, measured] = results;
  t.equal(measured?.ratio, (measured?.opsPerSec as number) / (slow?.opsPerSec as number));
  t.same(measured?.also, [
    { baseline: 'fast', ratio: (measured?.opsPerSec as number) / (fast?.opsPerSec as number) },
  ]);
  t.equal(measured?.met, true, 'the target is judged against the baseline');
  t.match(formatTable(results), /measured .*× slow; [0-9.]+× fast .* met/);
  await t.rejects(
    runCases([{ id: 'a', label: 'a', op: () => 0, alsoAgainst: ['missing'] }], quick),
    /unknown baseline missing/,
  );
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
