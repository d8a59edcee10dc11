/**
 * The audit suite (`npm run bench -- audit`, or `npx node scripts/bench/audit.ts [entries]` for
 * one pass of each measurement): a full `cagnotte verify` of a 100,000-entry export, run as the
 * user runs it (a child process, worker threads for signatures), next to raw single-thread
 * Ed25519 verification with node:crypto measured in the same run. Target: ≥ 1.5× raw (both cores
 * busy). The audit checks signatures with libsodium where it loads (about twice OpenSSL's speed,
 * node/crypto/sodium.ts), so its ratio to raw single-thread libsodium is shown beside: that one
 * says how much of two cores the rest of the audit leaves to signatures. Also: the same audit on one thread, and an incremental audit (`--since`) of the last
 * 1,000 entries, resumed from the audit state saved at the earlier checkpoint (it reads only
 * those; its entries/s counts only them). One operation is a whole pass over the entries; the raw baseline is as many
 * signature checks, so the ratio is entries/s over signatures/s.
 *
 * The export is built once with the node's own ledger (LevelDB in a temp dir) and kept in the
 * system's temp directory for later runs, with the checkpoint note at size − 1,000 beside it.
 * `--mix=contributions` builds and measures the contribution-heavy ledger instead (see Mix; a
 * million entries take about 20 minutes to build on two busy cores), `--fixture` only builds.
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { opensslBackend, sodiumBackend } from '../../node/crypto/native.ts';
import { exportLedger, splitLines } from '../../node/export/bulk.ts';
import {
  approve,
  contribution,
  expense,
  pay,
  tempNode,
  update,
} from '../../node/ledger/fixtures.test-helper.ts';
import { auditStateOfBytes } from '../../protocol/audit/state-bytes.ts';
import { type CryptoBackend, keyPairFromSeed } from '../../protocol/crypto.ts';
import { auditStatePath } from '../verify.ts';
import type { BenchCase, BenchSuite } from './harness.ts';

// The published entry point, as `npx cagnotte verify` runs it (with Node's compile cache).
const CLI = fileURLToPath(new URL('../../bin/cagnotte.js', import.meta.url));
const DEFAULT_ENTRIES = 100_000;
const INCREMENT = 1_000;

/**
 * The ledger's make-up. `updates`: mostly Updates, a contribution in 50 and an expense flow every
 * few batches (the first fixture; signatures dominate). `contributions`: what a collective's
 * ledger mostly is, donations (60%), expenses filed, approved and paid (9%) and updates (31%),
 * so that the verifier's per-contribution state and the saved audit state are at their largest.
 */
export type Mix = 'updates' | 'contributions';

/** The export file and the checkpoint note INCREMENT entries before its end, built if missing. */
export async function fixture(
  entries: number,
  mix: Mix = 'updates',
): Promise<{ file: string; since: string }> {
  const name = mix === 'updates' ? `${entries}` : `${mix}-${entries}`;
  const file = join(tmpdir(), `cagnotte-bench-audit-${name}.jsonl`);
  const since = `${file}.since`;
  if (existsSync(file) && existsSync(since)) {
    await resumeState(file, since);
    return { file, since };
  }
  const node = await tempNode('bench-audit');
  try {
    const { ledger } = node.actor;
    const fill = mix === 'updates' ? fillUpdates : fillContributions;
    for (let round = 0; ledger.head().size < entries; round++) {
      const size = ledger.head().size;
      if (size === entries - INCREMENT) await writeFile(since, ledger.checkpoint()?.note ?? '');
      await fill(ledger, round, size, size < entries - INCREMENT ? entries - INCREMENT : entries);
    }
    // Streamed: a million-entry export is over a gigabyte.
    const out = createWriteStream(`${file}.tmp`);
    for await (const line of exportLedger(ledger)) {
      if (!out.write(line)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
    await new Promise<void>((resolve, reject) =>
      out.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
    await rename(`${file}.tmp`, file);
  } finally {
    await node.cleanup();
  }
  await resumeState(file, since);
  return { file, since };
}

type BenchLedger = Awaited<ReturnType<typeof tempNode>>['actor']['ledger'];

/** One round of the `updates` mix, up to `target` entries. */
async function fillUpdates(ledger: BenchLedger, round: number, size: number, target: number): Promise<void> {
  if (round % 5 === 1 && size + 3 <= target) {
    const filed = await ledger.append(expense('20.00', 'account:bob'));
    await ledger.append(approve(filed.leafHash, 'account:alice'));
    await ledger.append(pay(filed.leafHash, '20.00'));
    return;
  }
  const batch = Math.min(500, target - size);
  await Promise.all(
    Array.from({ length: batch }, (_, k) =>
      ledger.append(k % 50 === 0 ? contribution('500.00') : update(size + k)),
    ),
  );
}

/** Expense flows per round of the `contributions` mix: 3 entries each, 45 of 500. */
const FLOWS = 15;

/**
 * One round of the `contributions` mix: 500 entries, 300 contributions from many donors and of
 * varied amounts, 15 expenses filed then approved then paid, 155 updates (fewer at the end).
 */
async function fillContributions(
  ledger: BenchLedger,
  _round: number,
  size: number,
  target: number,
): Promise<void> {
  const room = target - size;
  const flows = room >= 500 ? FLOWS : 0;
  const singles = Math.min(500 - 3 * flows, room);
  const filed = await Promise.all([
    ...Array.from({ length: flows }, (_, k) =>
      ledger.append(expense(`${20 + k}.00`, `account:member-${k % 7}`)),
    ),
    ...Array.from({ length: singles }, (_, k) => {
      const i = size + k;
      return ledger.append(
        k % 455 < 300
          ? contribution(`${5 + (i % 95)}.${String(i % 100).padStart(2, '0')}`, `Donor ${i % 4099}`)
          : update(i),
      );
    }),
  ]);
  const expenses = filed.slice(0, flows);
  await Promise.all(expenses.map((e) => ledger.append(approve(e.leafHash, 'account:alice'))));
  await Promise.all(expenses.map((e, k) => ledger.append(pay(e.leafHash, `${20 + k}.00`))));
}

/**
 * The audit state at the `since` note, as `--save-checkpoint` leaves it: a verify of the export
 * cut at that note's size, so that `--since` resumes there and reads only the last entries.
 */
async function resumeState(file: string, since: string): Promise<void> {
  // A state saved before the entry lines' length was kept would make --since read them all,
  // and one saved as JSON (no bytes beside the note) resumes far slower: both are made again.
  if (
    existsSync(auditStatePath(since)) &&
    auditStateOfBytes(await readFile(auditStatePath(since)))?.entryBytes !== undefined
  )
    return;
  const note = await readFile(since, 'utf8');
  const size = Number(note.split('\n')[1]);
  const cut = `${file}.cut`;
  const out = createWriteStream(cut);
  let index = 0;
  for await (const line of splitLines(createReadStream(file))) {
    if (index++ > size) break;
    out.write(line);
    out.write('\n');
  }
  out.end(`${JSON.stringify({ note, type: 'Checkpoint' })}\n`);
  await new Promise<void>((resolve) => out.on('close', () => resolve()));
  await verifyChild([cut, '--save-checkpoint', since]);
  await rm(cut);
}

interface ChildReport {
  exitCode: number;
  stats: { entriesPerSecond: number; peakRssMb: number; elapsedMs: number; workers: number };
}

/** The highest peak RSS each case's verify child reported, in MiB (the table has no column for it). */
const peaks = new Map<string, number>();

function notePeak(id: string, report: ChildReport): ChildReport {
  peaks.set(id, Math.max(peaks.get(id) ?? 0, report.stats.peakRssMb));
  return report;
}

/** Runs `cagnotte verify` as a user would, and returns its JSON report. */
function verifyChild(args: string[]): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'verify', ...args, '--json', '--no-state'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const report = JSON.parse(out) as ChildReport;
      if (code !== 0 || report.exitCode !== 0) reject(new Error(`verify failed: ${out.slice(0, 500)}`));
      else resolve(report);
    });
  });
}

/** `count` raw Ed25519 checks of a 64-byte message (what eddsa-jcs-2022 signs), one thread. */
function rawVerifier(count: number, backend: CryptoBackend = opensslBackend): () => void {
  const keys = keyPairFromSeed(new Uint8Array(32).fill(3), backend);
  const message = new Uint8Array(64).map((_, i) => (i * 7) & 0xff);
  const signature = backend.sign(message, keys.secretKey);
  return () => {
    for (let i = 0; i < count; i++) {
      if (!backend.verify(signature, message, keys.publicKey)) throw new Error('raw verify failed');
    }
  };
}

function cases(entries: number, file: string, since: string): BenchCase[] {
  const unit = 'entry';
  const also = sodiumBackend === undefined ? {} : { alsoAgainst: ['raw-verify-libsodium'] };
  return [
    {
      id: 'raw-verify',
      label: `raw Ed25519 verify ×${entries}, node:crypto (1 thread)`,
      op: rawVerifier(entries),
      unit,
      perOp: entries,
    },
    ...(sodiumBackend === undefined
      ? []
      : [
          {
            id: 'raw-verify-libsodium',
            label: `raw Ed25519 verify ×${entries}, libsodium (1 thread)`,
            op: rawVerifier(entries, sodiumBackend),
            unit,
            perOp: entries,
          },
        ]),
    {
      id: 'audit-full',
      label: 'cagnotte verify FILE (worker threads)',
      op: async () => notePeak('audit-full', await verifyChild([file])),
      baseline: 'raw-verify',
      target: 1.5,
      ...also,
      unit,
      perOp: entries,
    },
    {
      id: 'audit-one-thread',
      label: 'cagnotte verify FILE --workers 0',
      op: async () => notePeak('audit-one-thread', await verifyChild([file, '--workers', '0'])),
      baseline: 'raw-verify',
      ...also,
      unit,
      perOp: entries,
    },
    {
      id: 'audit-since',
      label: `--since, resumed (last ${INCREMENT} new)`,
      op: async () => notePeak('audit-since', await verifyChild([file, '--since', since])),
      baseline: 'raw-verify',
      unit,
      perOp: INCREMENT,
    },
  ];
}

/** The harness suite. */
export const suite: BenchSuite = {
  description: `full audit of a ${DEFAULT_ENTRIES.toLocaleString('en-US')}-entry export against raw single-thread Ed25519 verify (target ≥ 1.5×)`,
  async setup() {
    const { file, since } = await fixture(DEFAULT_ENTRIES);
    return cases(DEFAULT_ENTRIES, file, since);
  },
  teardown() {
    for (const [id, mb] of peaks) console.error(`${id}: peak RSS of the verify process ${mb} MiB`);
  },
};

/** One pass of each measurement, printed: entries/s, ratio to raw verify, peak RSS. */
export async function run(entries = DEFAULT_ENTRIES, mix: Mix = 'updates'): Promise<void> {
  const { file, since } = await fixture(entries, mix);
  const rateOf = (verifyAll: () => void) => {
    const started = performance.now();
    verifyAll();
    return entries / ((performance.now() - started) / 1000);
  };
  const rawRate = rateOf(rawVerifier(entries));
  console.log(
    `raw Ed25519 verify, node:crypto:  ${Math.round(rawRate).toLocaleString('en-US')} /s (1 thread)`,
  );
  const sodiumRate = sodiumBackend === undefined ? undefined : rateOf(rawVerifier(entries, sodiumBackend));
  if (sodiumRate !== undefined)
    console.log(
      `raw Ed25519 verify, libsodium:    ${Math.round(sodiumRate).toLocaleString('en-US')} /s (1 thread)`,
    );
  for (const [label, args] of [
    ['verify, worker threads:', [file]],
    ['verify, one thread (--workers 0):', [file, '--workers', '0']],
    [`verify --since (${INCREMENT} new):`, [file, '--since', since]],
  ] as const) {
    const report = await verifyChild([...args]);
    const rate = report.stats.entriesPerSecond;
    console.log(
      `${label.padEnd(34)} ${rate.toLocaleString('en-US')} entries/s (${(rate / rawRate).toFixed(2)}× raw node:crypto` +
        `${sodiumRate === undefined ? '' : `, ${(rate / sodiumRate).toFixed(2)}× raw libsodium`}), ` +
        `${(report.stats.elapsedMs / 1000).toFixed(2)} s, peak RSS ${report.stats.peakRssMb} MiB, ${report.stats.workers} workers`,
    );
  }
}

if (import.meta.main) {
  const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const entries = Number(positional[0] ?? DEFAULT_ENTRIES);
  // `--mix=contributions`: the contribution-heavy ledger (see Mix).
  const mix: Mix = process.argv.includes('--mix=contributions') ? 'contributions' : 'updates';
  // `--fixture`: only build (or find) the export, e.g. ahead of a long run.
  if (process.argv.includes('--fixture')) console.log(await fixture(entries, mix));
  else await run(entries, mix);
}
