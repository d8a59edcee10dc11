// The auditor with the host's ledger: a host and a collective on real LevelDB stores (the host
// story of node/host), both exported with the node's bulk export, real keys and signatures.
// Both verify and reconcile; a host ledger without a FundsReceived that a receipt names, or with a
// FundsReceived for the collective that the collective never recorded, is exit 1 with the reason.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { exportLedger } from '../../node/export/bulk.ts';
import { approvedExpense, fund, joinHost, story } from '../../node/host/fixtures.test-helper.ts';
import type { LedgerService } from '../../node/ledger/service.ts';
import type { SignedEntry } from '../../protocol/entry/types.ts';
import { parseVerifyArgs, runVerify, type VerifyArgs } from '../verify.ts';
import { humanReport } from './report.ts';

const dir = await mkdtemp(join(tmpdir(), 'cagnotte-verify-host-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));

let counter = 0;
async function exported(ledger: LedgerService): Promise<string> {
  const parts: Buffer[] = [];
  for await (const line of exportLedger(ledger)) parts.push(Buffer.from(line));
  const file = join(dir, `export-${counter++}.jsonl`);
  await writeFile(file, Buffer.concat(parts));
  return file;
}
/** Nothing is in flight unless a test says so. */
const STRICT = '2100-01-01T00:00:00Z';
const verify = (source: string, extra: Partial<VerifyArgs> = {}) =>
  runVerify({ source, json: true, allowPrivateAddress: false, workers: 1, inFlightAfter: STRICT, ...extra });

const s = await story(t);
await joinHost(s);
const beforeMoney = await exported(s.hostLedger);
await fund(s, '120.00');
await fund(s, '80.00', 'Dries');
const expense = await approvedExpense(s, '50.00');
const answer = await s.host.countersigning.request({ collective: s.collective.actor.id, expense });
await s.side.recordCountersignature(answer.countersignature);
const paid = await s.host.countersigning.pay({
  collective: s.collective.actor.id,
  expense,
  payoutReference: 'KBC-2026-0117',
  by: 'host-admin-2',
});
await s.side.recordPayout(paid.payout);
const collective = await exported(s.collective);
const host = await exported(s.hostLedger);
const firstContribution = await (async () => {
  for (let seq = 0; ; seq++) if ((await s.collective.get(seq))?.entry.kind === 'Contribution') return seq;
})();

t.test('the collective and its host verify and reconcile', async (t) => {
  const report = await verify(collective, { hostExport: host });
  t.equal(report.exitCode, 0, JSON.stringify(report.failure));
  t.equal(report.summary?.host, s.host.id);
  t.match(report.host, {
    actor: s.host.id,
    verified: true,
    summary: { balance: '150.00' },
    reconciliation: { matched: 3, earlier: 0, otherHosts: 0, inFlight: [] },
  });
  t.match(
    humanReport(report).join('\n'),
    /Host ledger: +\S+brussels-together, \d+ entries verified, 3 movement/,
  );
  const alone = await verify(collective);
  t.equal(alone.exitCode, 0, 'without the host export the ledger itself still verifies');
  t.match(alone.warnings, [/not reconciled: give its export with --host-export/]);
});

t.test(
  "a host ledger without the FundsReceived a receipt names: exit 1 on the collective's side",
  async (t) => {
    const report = await verify(collective, { hostExport: beforeMoney });
    t.equal(report.exitCode, 1);
    t.match(report.failure, {
      type: 'hostLinkInvalid',
      side: 'collective',
      seq: firstContribution,
      path: '/receipt',
      problem: { type: 'hostEntryNotFound' },
    });
    t.match(
      humanReport(report).join('\n'),
      new RegExp(`entry ${firstContribution}: its receipt names host entry`),
    );
  },
);

t.test(
  "a FundsReceived for the collective with no twin: exit 1 on the host's side, or in flight",
  async (t) => {
    const pledge = await s.host.funds.pledge({
      collective: s.collective.actor.id,
      amount: '30.00',
      name: 'Eve',
    });
    await s.host.funds.confirm({ reference: pledge.reference, amount: '30.00', by: 'host-admin-1' });
    const seq = s.hostLedger.head().size - 1;
    const entry = (await s.hostLedger.get(seq))?.entry as SignedEntry<'FundsReceived'>;
    t.equal(entry.kind, 'FundsReceived');
    const later = await exported(s.hostLedger);
    const report = await verify(collective, { hostExport: later });
    t.equal(report.exitCode, 1);
    t.match(report.failure, {
      type: 'twinMissing',
      side: 'host',
      seq,
      kind: 'FundsReceived',
      amount: '30.00',
      currency: 'EUR',
      published: entry.published,
    });
    t.match(humanReport(report).join('\n'), new RegExp(`host entry ${seq} \\(FundsReceived 30.00 EUR`));
    const flying = await verify(collective, { hostExport: later, inFlightAfter: '2026-01-01T00:00:00Z' });
    t.equal(flying.exitCode, 0, 'published within the window: on its way');
    t.match(flying.host?.reconciliation, {
      matched: 3,
      inFlight: [{ seq, kind: 'FundsReceived', amount: '30.00' }],
    });
    t.match(flying.warnings, [
      /1 movement\(s\) on the host's ledger not yet on this one, in flight \(host seq/,
    ]);
  },
);

t.test("another ledger given as the host's, or a host ledger that does not verify", async (t) => {
  const other = await exported(s.other);
  const mismatch = await verify(collective, { hostExport: other });
  t.equal(mismatch.exitCode, 1);
  t.match(mismatch.failure, { type: 'hostMismatch', declared: s.host.id, actual: s.other.actor.id });
  const lines = (await readFile(host, 'utf8')).slice(0, -1).split('\n');
  const dropped = join(dir, 'host-dropped.jsonl');
  await writeFile(dropped, `${lines.filter((_, i) => i !== 3).join('\n')}\n`);
  const broken = await verify(collective, { hostExport: dropped });
  t.equal(broken.exitCode, 1);
  t.match(broken.failure, {
    type: 'hostLedgerInvalid',
    host: s.host.id,
    failure: { type: 'seqGap', seq: 2 },
  });
  const missing = await verify(collective, { hostExport: join(dir, 'nope.jsonl') });
  t.equal(missing.exitCode, 2);
  t.match(missing.error, /the host's ledger .*nope\.jsonl/);
});

t.test('--host-export and --in-flight-hours on the command line', async (t) => {
  const before = Date.now();
  const args = parseVerifyArgs([
    'c.jsonl',
    '--host-export',
    'h.jsonl',
    '--in-flight-hours',
    '2',
    '--no-state',
  ]);
  t.equal(args.hostExport, 'h.jsonl');
  const after = Date.parse(args.inFlightAfter as string);
  t.ok(after >= before - 2 * 3_600_000 - 1000 && after <= Date.now() - 2 * 3_600_000, 'two hours ago');
  const byDefault = Date.parse(parseVerifyArgs(['c.jsonl', '--no-state']).inFlightAfter as string);
  t.ok(byDefault <= Date.now() - 24 * 3_600_000, 'a day by default');
  t.throws(
    () => parseVerifyArgs(['c.jsonl', '--in-flight-hours', 'soon']),
    /--in-flight-hours must be an integer/,
  );
});
