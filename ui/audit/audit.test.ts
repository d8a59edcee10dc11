// The page's audit code, run in Node over its Fetch API against a real node (through a proxy
// that can tamper), reaches the verdict `cagnotte verify` reaches: same summary and checkpoint on
// a good ledger, same first failing seq and reason on tampered ones; both with noble answering at
// once and with signatures deferred to WebCrypto (Node's, OpenSSL). The browser test
// (browser.test.ts) runs the same code bundled, in Chromium.
import t from 'tap';
import { auditNodeLedger, type EntryEvent } from './audit.ts';
import { fetchGet } from './fetch.ts';
import { cliVerdict, startLoopbackNode, verdictOf } from './loopback.test-helper.ts';
import { NodeLedger, resolveSource } from './source.ts';
import { type AsyncVerifier, webCryptoHasEd25519, webCryptoVerifier } from './webcrypto.ts';

const node = await startLoopbackNode();
t.teardown(() => node.close());
const actorUrl = `${node.origin}/actors/garden`;
const get = fetchGet();

t.ok(await webCryptoHasEd25519(crypto.subtle), 'Node 24 has WebCrypto Ed25519');
const ways: [string, AsyncVerifier | undefined][] = [
  ['noble at once', undefined],
  ['WebCrypto deferred', webCryptoVerifier(crypto.subtle)],
];

async function pageAudit(url = actorUrl, verifier?: AsyncVerifier) {
  const events: EntryEvent[] = [];
  const progress: [number, number][] = [];
  const report = await auditNodeLedger({
    ledger: new NodeLedger(get, url),
    ...(verifier === undefined ? {} : { verifier }),
    onEntry: (e) => events.push(e),
    onProgress: (done, total) => progress.push([done, total]),
  });
  return { report, events, progress };
}

for (const [way, verifier] of ways) {
  t.test(`a good ledger (${way}): the CLI’s verdict, every entry reported in order`, async (t) => {
    node.tamper = undefined;
    const { report, events, progress } = await pageAudit(actorUrl, verifier);
    t.equal(
      report.signatures,
      verifier?.name ?? '@noble/ed25519',
      'the report names what checked signatures',
    );
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

  t.test(`a tampered entry (${way}): the same first failing seq and reason as the CLI`, async (t) => {
    const seq = (await node.services.actors.get('garden'))?.ledger;
    const record = await seq?.get(12);
    t.match(record?.entry, { kind: 'Update', title: 'Update 7' }, 'entry 12 is the one tampered with');
    node.tamper = { from: '"Update 7"', to: '"Update 8"' };
    t.teardown(() => {
      node.tamper = undefined;
    });
    const { report, events, progress } = await pageAudit(actorUrl, verifier);
    const cli = await cliVerdict(actorUrl);
    t.equal(cli.exitCode, 1, cli.error ?? 'the CLI refuses the ledger');
    t.match(cli.failure, { seq: 12 });
    t.same(verdictOf(report), verdictOf(cli));
    t.same(events.at(-1), { seq: 12, kind: 'Update', ok: false, failure: cli.failure });
    t.equal(events.length, 13, 'the walk stops at the first failure');
    t.equal(report.summary?.entries, 12, 'the summary of the entries accepted before it');
    t.equal(cli.summary?.entries, 12, 'as the CLI’s');
    t.same(
      events.map((e) => e.seq),
      Array.from({ length: 13 }, (_, i) => i),
      'entries reported once, in order',
    );
    t.same(progress.at(-1), [12, 46], 'the bar stops at the entries accepted');
  });

  t.test(`a refused signature at a page's end and at the last entry (${way}): as the CLI`, async (t) => {
    // Entries 5 to 45 are Updates 0 to 40; the optimistic walk accepts the refused entry and, at a
    // page's end, walks into the next page before the answers come; after the last it walks none.
    const firstPage = (await new NodeLedger(get, actorUrl).pages(46).next()).value as unknown[];
    for (const seq of [firstPage.length - 1, 45]) {
      node.tamper = { from: `"Update ${seq - 5}"`, to: `"Update x"` };
      const { report, events } = await pageAudit(actorUrl, verifier);
      const cli = await cliVerdict(actorUrl);
      node.tamper = undefined;
      t.match(cli.failure, { type: 'badProof', seq, proof: { type: 'invalidSignature' } }, `seq ${seq}`);
      t.same(verdictOf(report), verdictOf(cli), `seq ${seq}: the same verdict and summary`);
      t.same(
        events.map((e) => [e.seq, e.ok]),
        Array.from({ length: seq + 1 }, (_, i) => [i, i < seq]),
        `seq ${seq}: reported up to the failing entry`,
      );
    }
  });

  t.test(`a changed amount (${way}) fails the same way on both`, async (t) => {
    node.tamper = { from: '"amount":"30.00"', to: '"amount":"3.00"' };
    t.teardown(() => {
      node.tamper = undefined;
    });
    const { report, events } = await pageAudit(actorUrl, verifier);
    const cli = await cliVerdict(actorUrl);
    t.equal(cli.exitCode, 1, cli.error ?? 'the CLI refuses the ledger');
    t.same(verdictOf(report), verdictOf(cli));
    t.match(events.at(-1), { ok: false, failure: cli.failure });
  });
}

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
