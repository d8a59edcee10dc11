/**
 * The benchmark harness: a suite lists cases, the harness runs each for a fixed time after a
 * warm-up, several rounds interleaved (so that a neighbour's burst of CPU hurts every case alike),
 * and reports the median rate with its ratio to the case's baseline. Not a test: figures depend
 * on the machine; only ratios measured in the same run are comparable.
 */

/** One thing to measure: `op` is called repeatedly; it may return a promise (awaited). */
export interface BenchCase {
  /** Stable identifier, used in `--json` output and as a baseline reference. */
  id: string;
  label: string;
  op: () => unknown;
  /** The `id` of the case this one is compared with (ratio = this rate / baseline rate). */
  baseline?: string;
  /** The smallest acceptable ratio to the baseline. */
  target?: number;
  /**
   * Other cases this one is also compared with, without a target: when the thing measured uses
   * a faster primitive than the baseline does (libsodium against the node:crypto reference), the
   * ratio to that primitive's own raw rate is shown beside the target's.
   */
  alsoAgainst?: string[];
  /** What one operation is, for the table (`entry`, `signature`, `request`…); default `op`. */
  unit?: string;
  /**
   * How many `unit`s one call of `op` performs (a batch of requests, a whole export): rates and
   * times are reported per unit, and ratios compare units per second. Default 1.
   */
  perOp?: number;
}

/** A suite: `scripts/bench/<name>.ts` exports one as `suite`. */
export interface BenchSuite {
  description: string;
  /** Builds the cases (fixtures, keys, prebuilt ledgers); not timed. */
  setup(): BenchCase[] | Promise<BenchCase[]>;
  /** Releases what setup opened (servers, databases). */
  teardown?(): void | Promise<void>;
}

/** Measurement settings, from the command line. */
export interface BenchSettings {
  /** Seconds per measurement. */
  duration: number;
  /** Seconds of warm-up before the first round of each case. */
  warmup: number;
  rounds: number;
}

/** The result of one case. */
export interface BenchResult {
  id: string;
  label: string;
  unit: string;
  /** Median over the rounds. */
  opsPerSec: number;
  /** Every round's rate, in order. */
  rounds: number[];
  baseline?: string;
  ratio?: number;
  target?: number;
  /** Whether the ratio reaches the target; absent when there is no target. */
  met?: boolean;
  /** The ratios to the `alsoAgainst` cases. */
  also?: { baseline: string; ratio: number }[];
}

/** Runs `op` for `seconds` and returns operations per second. */
async function rate(op: () => unknown, seconds: number): Promise<number> {
  const first = op();
  const isAsync = typeof (first as { then?: unknown } | null)?.then === 'function';
  if (isAsync) await first;
  const budget = seconds * 1000;
  let count = 0;
  let batch = 1;
  const start = performance.now();
  let elapsed = 0;
  // Batches grow so that reading the clock costs nothing next to the work, and stay short enough
  // (about 1/50 of the budget) that the measured time overshoots the budget by little.
  while (elapsed < budget) {
    const batchStart = performance.now();
    if (isAsync) for (let i = 0; i < batch; i++) await op();
    else for (let i = 0; i < batch; i++) op();
    count += batch;
    const now = performance.now();
    elapsed = now - start;
    if (now - batchStart < budget / 50) batch *= 2;
  }
  return count / (elapsed / 1000);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Runs every case of a suite, interleaved over the rounds, and computes the ratios. */
export async function runCases(
  cases: BenchCase[],
  settings: BenchSettings,
  onProgress: (message: string) => void = () => {},
): Promise<BenchResult[]> {
  const rates = new Map<string, number[]>(cases.map((c) => [c.id, []]));
  for (const c of cases) {
    onProgress(`warm-up: ${c.label}`);
    await rate(c.op, settings.warmup);
  }
  for (let round = 0; round < settings.rounds; round++) {
    for (const c of cases) {
      onProgress(`round ${round + 1}/${settings.rounds}: ${c.label}`);
      rates.get(c.id)?.push(await rate(c.op, settings.duration));
    }
  }
  // Per unit, not per call of `op`, so that ratios compare like with like.
  const medians = new Map(cases.map((c) => [c.id, median(rates.get(c.id) ?? []) * (c.perOp ?? 1)]));
  return cases.map((c) => {
    const opsPerSec = medians.get(c.id) as number;
    const result: BenchResult = {
      id: c.id,
      label: c.label,
      unit: c.unit ?? 'op',
      opsPerSec,
      rounds: (rates.get(c.id) ?? []).map((r) => r * (c.perOp ?? 1)),
    };
    const baseRate = (id: string): number => {
      const base = medians.get(id);
      if (base === undefined) throw new Error(`${c.id}: unknown baseline ${id}`);
      return base;
    };
    if (c.alsoAgainst !== undefined) {
      result.also = c.alsoAgainst.map((id) => ({ baseline: id, ratio: opsPerSec / baseRate(id) }));
    }
    if (c.baseline !== undefined) {
      const base = baseRate(c.baseline);
      result.baseline = c.baseline;
      result.ratio = opsPerSec / base;
      if (c.target !== undefined) {
        result.target = c.target;
        result.met = result.ratio >= c.target;
      }
    }
    return result;
  });
}

function group(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** The plain-text table of a suite's results. */
export function formatTable(results: BenchResult[]): string {
  const rows = results.map((r) => [
    r.label,
    `${group(r.opsPerSec)} ${r.unit}/s`,
    `${(1e6 / r.opsPerSec).toFixed(1)} µs`,
    [
      ...(r.ratio === undefined ? [] : [`${r.ratio.toFixed(2)}× ${r.baseline}`]),
      ...(r.also ?? []).map((a) => `${a.ratio.toFixed(2)}× ${a.baseline}`),
    ].join('; '),
    r.target === undefined ? '' : `≥ ${r.target.toFixed(2)} ${r.met ? 'met' : 'MISSED'}`,
  ]);
  const header = ['measurement', 'rate', 'per op', 'ratio', 'target'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) =>
        i === 1 || i === 2 ? cell.padStart(widths[i] as number) : cell.padEnd(widths[i] as number),
      )
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
