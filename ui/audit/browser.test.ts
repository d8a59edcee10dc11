// The audit page in a real browser (Debian's chromium, driven by playwright-core) against a real
// node on loopback behind a proxy that can tamper: on a good ledger and on a tampered one it
// reaches the verdict `cagnotte verify` reaches, the tampered audit reading another origin (CORS,
// and the page's CSP connect-src). .ci/run installs chromium; only outside CI may it be missing.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import t from 'tap';
import type { PageReport } from './audit.ts';
import { cliVerdict, startLoopbackNode, verdictOf } from './loopback.test-helper.ts';

const CHROMIUM = '/usr/bin/chromium';

if (!existsSync(CHROMIUM)) {
  if (process.env.CI === 'true')
    throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium`);
  t.plan(0, `skipped: ${CHROMIUM} is missing (apt-get install chromium); in CI this test must run`);
} else {
  await browserTests();
}

async function browserTests(): Promise<void> {
  const node = await startLoopbackNode();
  const profile = await mkdtemp(join(tmpdir(), 'cagnotte-chromium-'));
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  t.teardown(async () => {
    await context.close();
    await node.close();
    await rm(profile, { recursive: true, force: true });
  });
  const actorUrl = `${node.origin}/actors/garden`;

  /** Opens the page, waits for the verdict; the report it shows, and what the browser complained of. */
  async function audit(pageOrigin: string, source: string) {
    const page: Page = await context.newPage();
    const complaints: string[] = [];
    page.on('pageerror', (error) => complaints.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && !/favicon/.test(message.location().url))
        complaints.push(`console: ${message.text()}`);
    });
    await page.goto(`${pageOrigin}/audit?source=${encodeURIComponent(source)}`);
    await page.waitForSelector(
      '#audit[data-state="verified"], #audit[data-state="failed"], #audit[data-state="error"]',
      {
        timeout: 60_000,
      },
    );
    const report = JSON.parse((await page.textContent('#report')) ?? 'null') as PageReport;
    const rows = await page.$$eval('#entries tbody tr', (trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? '')),
    );
    const state = await page.getAttribute('#audit', 'data-state');
    return { page, report, rows, state, complaints };
  }

  t.test('a good ledger: verified, as the CLI says', async (t) => {
    node.tamper = undefined;
    // The page on the ledger's own node, the source a path on it.
    const { page, report, rows, state, complaints } = await audit(node.origin, '/actors/garden');
    const cli = await cliVerdict(actorUrl);
    t.equal(cli.exitCode, 0, JSON.stringify(cli.failure ?? cli.error));
    t.equal(state, 'verified');
    t.same(verdictOf(report), verdictOf(cli), 'the same verdict, summary and checkpoint');
    t.equal(rows.length, 46, 'one row per entry');
    t.same(rows[0], ['0', 'Genesis', 'ok']);
    t.ok(rows.every((r) => r[2] === 'ok'));
    t.equal(await page.$eval('#progress', (p) => (p as HTMLProgressElement).value), 46);
    t.match(await page.textContent('#count'), /46 of 46 entries checked/);
    t.match(await page.textContent('#verdict'), `Verified: ${actorUrl}`);
    t.match(await page.textContent('#summary'), /Balance50\.00 EUR/);
    t.same(complaints, [], 'no script error, no CSP or CORS refusal');
    // A look at the page: kept only when asked for (KEEP_AUDIT_SCREENSHOT=1), else it goes with the profile.
    const shots =
      process.env.KEEP_AUDIT_SCREENSHOT === '1' ? await mkdtemp(join(tmpdir(), 'cagnotte-audit-')) : profile;
    const shot = await page.screenshot({ path: join(shots, 'audit.png') });
    t.ok(shot.length > 0, 'the page renders');
    if (shots !== profile) t.comment(`screenshot: ${join(shots, 'audit.png')}`);
    await page.close();
  });

  t.test('a tampered ledger on another origin: the CLI’s first failing seq and reason', async (t) => {
    node.tamper = { from: '"Update 7"', to: '"Update 8"' };
    t.teardown(() => {
      node.tamper = undefined;
    });
    // The page on the node's direct address, the ledger through the tampering proxy: cross-origin.
    const { page, report, rows, state, complaints } = await audit(node.directOrigin, actorUrl);
    const cli = await cliVerdict(actorUrl);
    t.equal(cli.exitCode, 1);
    t.match(cli.failure, { seq: 12 });
    t.equal(state, 'failed');
    t.same(verdictOf(report), verdictOf(cli), 'the same failure: seq and reason');
    t.equal(rows.length, 13, 'the walk stops at the failing entry');
    t.same(rows[12], ['12', 'Update', 'entry 12: bad proof (invalidSignature)']);
    t.match(await page.textContent('#verdict'), 'Failed: entry 12: bad proof (invalidSignature)');
    t.match(await page.textContent('#summary'), /Entries accepted before the failure12/);
    t.same(complaints, [], 'no script error, no CSP or CORS refusal');
    await page.close();
  });

  t.test('a source that cannot be fetched is not a verdict', async (t) => {
    const { state, report } = await audit(node.origin, `${node.origin}/actors/nobody`);
    t.equal(state, 'error');
    t.match(report, { exitCode: 2, verified: false, error: /HTTP 404/ });
  });
}
