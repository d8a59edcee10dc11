// The audit page in a real browser (Debian's chromium, driven by playwright-core) against a real
// node on loopback behind a proxy that can tamper: on a good ledger and on a tampered one it
// reaches the verdict `cagnotte verify` reaches, the tampered audit reading another origin (CORS,
// and the page's CSP connect-src); both with Chromium's WebCrypto Ed25519 and with it taken away
// (the noble fallback). Chromium's WebCrypto verifier answers every RFC 8032 and Wycheproof case,
// and the cofactor cases, as noble does. .ci/run installs chromium; only outside CI may it be missing.
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import type { Page } from 'playwright-core';
import t from 'tap';
import { concatBytes, toHex, utf8 } from '../../protocol/encoding.ts';
import { RFC8032, WYCHEPROOF, WYCHEPROOF_DECLARED } from '../../test-support/ed25519.ts';
import type { PageReport } from './audit.ts';
import {
  CHROMIUM,
  ed25519ProbeScript,
  launchChromium,
  withoutWebCryptoEd25519,
} from './chromium.test-helper.ts';
import { cliVerdict, startLoopbackNode, verdictOf } from './loopback.test-helper.ts';

if (!existsSync(CHROMIUM)) {
  if (process.env.CI === 'true')
    throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium`);
  t.plan(0, `skipped: ${CHROMIUM} is missing (apt-get install chromium); in CI this test must run`);
} else {
  await browserTests();
}

async function browserTests(): Promise<void> {
  const node = await startLoopbackNode();
  const browser = await launchChromium();
  const { context, profile } = browser;
  t.teardown(async () => {
    await browser.close();
    await node.close();
  });
  const actorUrl = `${node.origin}/actors/garden`;

  /** Opens the page, waits for the verdict; the report it shows, and what the browser complained of. */
  async function audit(pageOrigin: string, source: string, webCrypto = true) {
    const page: Page = await context.newPage();
    if (!webCrypto) await withoutWebCryptoEd25519(page);
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
    const signatures = await page.getAttribute('#audit', 'data-signatures');
    return { page, report, rows, state, signatures, complaints };
  }

  for (const webCrypto of [true, false]) {
    const way = webCrypto ? 'WebCrypto' : 'noble fallback';
    const named = webCrypto ? 'WebCrypto Ed25519' : '@noble/ed25519';
    t.test(`a good ledger (${way}): verified, as the CLI says`, async (t) => {
      node.tamper = undefined;
      // The page on the ledger's own node, the source a path on it.
      const { page, report, rows, state, signatures, complaints } = await audit(
        node.origin,
        '/actors/garden',
        webCrypto,
      );
      t.equal(signatures, webCrypto ? 'webcrypto' : 'noble', 'the feature test chose');
      t.equal(report.signatures, named);
      t.match(await page.textContent('#signatures'), `Signatures checked with ${named}`);
      t.match(await page.textContent('#summary'), `Signatures checked with${named}`);
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
        process.env.KEEP_AUDIT_SCREENSHOT === '1'
          ? await mkdtemp(join(tmpdir(), 'cagnotte-audit-'))
          : profile;
      const shot = await page.screenshot({
        path: join(shots, `audit-${webCrypto ? 'webcrypto' : 'noble'}.png`),
      });
      t.ok(shot.length > 0, 'the page renders');
      if (shots !== profile) t.comment(`screenshot in ${shots}`);
      await page.close();
    });

    t.test(
      `a tampered ledger on another origin (${way}): the CLI’s first failing seq and reason`,
      async (t) => {
        node.tamper = { from: '"Update 7"', to: '"Update 8"' };
        t.teardown(() => {
          node.tamper = undefined;
        });
        // The page on the node's direct address, the ledger through the tampering proxy: cross-origin.
        const { page, report, rows, state, signatures, complaints } = await audit(
          node.directOrigin,
          actorUrl,
          webCrypto,
        );
        t.equal(signatures, webCrypto ? 'webcrypto' : 'noble');
        const cli = await cliVerdict(actorUrl);
        t.equal(cli.exitCode, 1);
        t.match(cli.failure, { seq: 12 });
        t.equal(state, 'failed');
        t.same(verdictOf(report), verdictOf(cli), 'the same failure (seq and reason) and summary');
        t.equal(rows.length, 13, 'the walk stops at the failing entry');
        t.same(rows[12], ['12', 'Update', 'entry 12: bad proof (invalidSignature)']);
        t.match(await page.textContent('#verdict'), 'Failed: entry 12: bad proof (invalidSignature)');
        t.match(await page.textContent('#summary'), /Entries accepted before the failure12/);
        t.same(complaints, [], 'no script error, no CSP or CORS refusal');
        await page.close();
      },
    );
  }

  t.test('a source that cannot be fetched is not a verdict', async (t) => {
    const { state, report } = await audit(node.origin, `${node.origin}/actors/nobody`);
    t.equal(state, 'error');
    t.match(report, { exitCode: 2, verified: false, error: /HTTP 404/ });
  });

  t.test(
    'Chromium’s WebCrypto verifier answers every RFC 8032, Wycheproof and cofactor case as noble',
    async (t) => {
      const cases = [
        ...RFC8032.flatMap((v) => {
          const flipped = Uint8Array.from(Buffer.from(v.signature, 'hex'));
          flipped[5] = (flipped[5] as number) ^ 1;
          return [
            { ...v, name: `RFC 8032 ${v.name}`, valid: true },
            { ...v, name: `RFC 8032 ${v.name}, a bit flipped`, signature: toHex(flipped), valid: false },
          ];
        }),
        ...WYCHEPROOF.map((c) => ({
          name: `Wycheproof tcId ${c.tcId} [${c.flags.join(',')}] ${c.comment}`,
          publicKey: toHex(c.publicKey),
          message: toHex(c.message),
          signature: toHex(c.signature),
          valid: c.valid,
        })),
        ...cofactorCases(),
      ];
      t.equal(WYCHEPROOF.length, WYCHEPROOF_DECLARED, 'every Wycheproof case is present');
      const page = await context.newPage();
      // A blank page on a secure origin (WebCrypto is for secure contexts only), served by the test.
      await page.route('http://localhost/probe', (route) =>
        route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>probe</title>' }),
      );
      await page.goto('http://localhost/probe');
      await page.addScriptTag({ content: await ed25519ProbeScript() });
      const probe = await page.evaluate(
        (list) =>
          (
            globalThis as unknown as {
              ed25519Probe: (c: unknown) => Promise<{
                detected: boolean;
                answers: { raw: boolean | string; page: boolean; noble: boolean }[];
              }>;
            }
          ).ed25519Probe(list),
        cases.map(({ publicKey, message, signature }) => ({ publicKey, message, signature })),
      );
      await page.close();
      t.equal(probe.detected, true, 'this Chromium has WebCrypto Ed25519');
      const differs: string[] = [];
      probe.answers.forEach((answer, i) => {
        const c = cases[i] as (typeof cases)[number];
        t.equal(answer.page, answer.noble, `${c.name}: the page's answer is noble's`);
        t.equal(answer.noble, c.valid, `${c.name}: as expected`);
        if (answer.raw !== answer.noble)
          differs.push(`${c.name}: WebCrypto ${answer.raw}, noble ${answer.noble}`);
      });
      t.equal(probe.answers.length, cases.length);
      // Where raw WebCrypto and noble differ (the pre-checks and noble's tie-break cover these).
      t.comment(
        `raw WebCrypto differs from noble on ${differs.length} of ${cases.length} cases:\n${differs.join('\n')}`,
      );
      t.ok(differs.length > 0, 'the cofactor cases at least: without the tie-break the page would differ');
    },
  );
}

/**
 * Signatures valid under noble's cofactored equation but not the cofactorless one a native
 * verifier checks: R, or the key, carries a point of order 8. No honest signer makes them; a
 * crafted ledger could, and the page must then answer as noble (true).
 */
function cofactorCases() {
  const L = 2n ** 252n + 27742317777372353535851937790883648493n;
  const le = (bytes: Uint8Array) => bytes.reduceRight((n, b) => (n << 8n) | BigInt(b), 0n);
  const toLe = (n: bigint) => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
  const torsion = ed.Point.fromBytes(
    Uint8Array.from(Buffer.from('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05', 'hex')),
    true,
  );
  const { scalar, point } = ed.utils.getExtendedPublicKey(new Uint8Array(32).fill(9));
  const message = utf8('a ledger entry');
  const r = 1234567890123456789n;
  const sign = (R: ed.Point, A: ed.Point) => {
    const k = le(sha512(concatBytes(R.toBytes(), A.toBytes(), message))) % L;
    return concatBytes(R.toBytes(), toLe((r + k * scalar) % L));
  };
  const out = [];
  for (const [name, R, A] of [
    ['R with an order-8 component', ed.Point.BASE.multiply(r).add(torsion), point],
    ['a key with an order-8 component', ed.Point.BASE.multiply(r), point.add(torsion)],
  ] as const) {
    const signature = sign(R, A);
    out.push({
      name: `cofactor: ${name}`,
      publicKey: toHex(A.toBytes()),
      message: toHex(message),
      signature: toHex(signature),
      // Valid by construction: [8]([S]B − R − [k]A) = [8]T = 0 for T of order 8.
      valid: true,
    });
  }
  return out;
}
