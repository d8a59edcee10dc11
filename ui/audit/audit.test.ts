// The page's audit code, run in Node over its Fetch API against a real node (through a proxy
// that can tamper), reaches the verdict `cagnotte verify` reaches: same summary and checkpoint on
// a good ledger, same first failing seq and reason on tampered ones. The browser test
// (browser.test.ts) runs the same code bundled, in Chromium.
import t from 'tap';
import { auditNodeLedger, type EntryEvent } from './audit.ts';
import { fetchGet } from './fetch.ts';
import { cliVerdict, startLoopbackNode, verdictOf } from './loopback.test-helper.ts';
import { NodeLedger, resolveSource } from './source.ts';

const node = await startLoopbackNode();
t.teardown(() => node.close());
const actorUrl = `${node.origin}/actors/garden`;
const get = fetchGet();

async function pageAudit(url = actorUrl) {
  const events: EntryEvent[] = [];
  const progress: [number, number][] = [];
  const report = await auditNodeLedger({
    ledger: new NodeLedger(get, url),
    onEntry: (e) => events.push(e),
    onProgress: (done, total) => progress.push([done, total]),
  });
  return { report, events, progress };
}

t.test('a good ledger: the CLI’s verdict, every entry reported in order', async (t) => {
  node.tamper = undefined;
  const { report, events, progress } = await pageAudit();
  const cli = await cliVerdict(actorUrl);
  t.equal(cli.exitCode, 0, JSON.stringify(cli.failure ?? cli.error));
  t.equal(report.exitCode, 0, JSON.stringify(report.failure ?? report.error));
  t.same(verdictOf(report), verdictOf(cli));
  t.equal(report.summary?.balance, '50.00');
  t.same(
    events.map((e) => e.seq),
    Array.from({ length: 46 }, (_, i) => i),
  );
  t.ok(events.every((e) => e.ok));
  t.same(
    events.slice(0, 3).map((e) => e.kind),
    ['Genesis', 'Contribution', 'Expense'],
  );
  t.same(progress.at(-1), [46, 46]);
});

t.test('a tampered entry: the same first failing seq and reason as the CLI', async (t) => {
  const seq = (await node.services.actors.get('garden'))?.ledger;
  const record = await seq?.get(12);
  t.match(record?.entry, { kind: 'Update', title: 'Update 7' }, 'entry 12 is the one tampered with');
  node.tamper = { from: '"Update 7"', to: '"Update 8"' };
  t.teardown(() => {
    node.tamper = undefined;
  });
  const { report, events } = await pageAudit();
  const cli = await cliVerdict(actorUrl);
  t.equal(cli.exitCode, 1);
  t.match(cli.failure, { seq: 12 });
  t.same(verdictOf(report), verdictOf(cli));
  t.same(events.at(-1), { seq: 12, kind: 'Update', ok: false, failure: cli.failure });
  t.equal(events.length, 13, 'the walk stops at the first failure');
  t.equal(report.summary?.entries, 12, 'the summary of the entries accepted before it');
});

t.test('a changed amount fails the same way on both', async (t) => {
  node.tamper = { from: '"amount":"30.00"', to: '"amount":"3.00"' };
  t.teardown(() => {
    node.tamper = undefined;
  });
  const { report } = await pageAudit();
  const cli = await cliVerdict(actorUrl);
  t.equal(cli.exitCode, 1);
  t.same(verdictOf(report), verdictOf(cli));
});

t.test('sources: a path on the page’s node, a handle, and what is not a source', async (t) => {
  t.equal(await resolveSource('/actors/garden', `${node.origin}/audit`, get), actorUrl);
  t.equal(await resolveSource(`@garden@${new URL(node.origin).host}`, `${node.origin}/audit`, get), actorUrl);
  await t.rejects(resolveSource('garden', node.origin, get), { name: 'FetchFailure' });
  const missing = await pageAudit(`${node.origin}/actors/nobody`);
  t.equal(missing.report.exitCode, 2, 'an unknown actor could not be fetched');
  t.match(missing.report.error, /HTTP 404/);
  const elsewhere = await pageAudit(`${node.directOrigin}/actors/garden`);
  t.match(elsewhere.report, {
    exitCode: 1,
    failure: { type: 'sourceMalformed', problem: /is not on http:\/\/127\.0\.0\.1/ },
  });
  const cli = await cliVerdict(`${node.directOrigin}/actors/garden`);
  t.same(verdictOf(elsewhere.report), verdictOf(cli), 'an actor served off its origin: as the CLI');
});
