/**
 * Benchmarks: `npm run bench -- <suite>... [--json] [--duration=1.5] [--warmup=0.5] [--rounds=3]
 * [--check]`. Each suite is a file `scripts/bench/<suite>.ts` exporting `suite` (see
 * scripts/bench/harness.ts); adding one is adding a file. `--check` exits 1 when a target is missed.
 */
import { readdirSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import {
  type BenchResult,
  type BenchSettings,
  type BenchSuite,
  formatTable,
  runCases,
} from './bench/harness.ts';

const NOT_SUITES = new Set(['harness']);

function availableSuites(): string[] {
  return readdirSync(new URL('./bench/', import.meta.url))
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'))
    .map((name) => name.slice(0, -3))
    .filter((name) => !NOT_SUITES.has(name))
    .sort();
}

function positiveNumber(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      check: { type: 'boolean', default: false },
      duration: { type: 'string', default: '1.5' },
      warmup: { type: 'string', default: '0.5' },
      rounds: { type: 'string', default: '3' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const suites = availableSuites();
  if (values.help || positionals.length === 0) {
    console.log(
      `usage: npm run bench -- <suite>... [--json] [--duration=s] [--warmup=s] [--rounds=n] [--check]\nsuites: ${suites.join(', ')}`,
    );
    return values.help ? 0 : 2;
  }
  const unknown = positionals.filter((name) => !suites.includes(name));
  if (unknown.length > 0) {
    console.error(`unknown suite ${unknown.join(', ')}; available: ${suites.join(', ')}`);
    return 2;
  }
  const settings: BenchSettings = {
    duration: positiveNumber('duration', values.duration),
    warmup: positiveNumber('warmup', values.warmup),
    rounds: Math.round(positiveNumber('rounds', values.rounds)),
  };
  const environment = {
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    threads: 1,
    ...settings,
  };
  const report: { environment: typeof environment; suites: Record<string, BenchResult[]> } = {
    environment,
    suites: {},
  };
  let missed = false;
  for (const name of positionals) {
    const module = (await import(`./bench/${name}.ts`)) as { suite: BenchSuite };
    const suite = module.suite;
    const progress = (message: string) => {
      if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${name}: ${message}`);
    };
    const cases = await suite.setup();
    let results: BenchResult[];
    try {
      results = await runCases(cases, settings, progress);
    } finally {
      await suite.teardown?.();
      if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    }
    report.suites[name] = results;
    if (results.some((r) => r.met === false)) missed = true;
    if (!values.json) {
      console.log(`${name}: ${suite.description}`);
      console.log(
        `node ${environment.node}, ${environment.cpu} (${environment.cores} cores), one thread; ` +
          `median of ${settings.rounds} × ${settings.duration} s after ${settings.warmup} s warm-up\n`,
      );
      console.log(formatTable(results));
      console.log('');
    }
  }
  if (values.json) console.log(JSON.stringify(report, null, 2));
  return values.check && missed ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
