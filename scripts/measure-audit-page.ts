/**
 * Measures the audit page in Debian's chromium: entries/s from opening `/audit?source=…` to the
 * verdict, with the browser's WebCrypto Ed25519 and with it taken away (the page's noble
 * fallback), on one ledger of a few thousand entries served by a real node on loopback.
 * Run: `npx node scripts/measure-audit-page.ts [entries] [rounds]` (default 3,000 and 3). A
 * measurement to report, not a test: timings depend on the machine.
 */
import { type Chromium, launchChromium, withoutWebCryptoEd25519 } from '../ui/audit/chromium.test-helper.ts';
import { startLoopbackNode } from '../ui/audit/loopback.test-helper.ts';

const entries = Number(process.argv[2] ?? 3000);
const rounds = Number(process.argv[3] ?? 3);
if (!Number.isSafeInteger(entries) || entries < 5 || !Number.isSafeInteger(rounds) || rounds < 1)
  throw new Error('usage: measure-audit-page.ts [entries ≥ 5] [rounds ≥ 1]');

async function once(browser: Chromium, origin: string, webCrypto: boolean) {
  const page = await browser.context.newPage();
  if (!webCrypto) await withoutWebCryptoEd25519(page);
  const started = performance.now();
  await page.goto(`${origin}/audit?source=${encodeURIComponent('/actors/garden')}`);
  await page.waitForSelector(
    '#audit[data-state="verified"], #audit[data-state="failed"], #audit[data-state="error"]',
    {
      timeout: 600_000,
    },
  );
  const seconds = (performance.now() - started) / 1000;
  const state = await page.getAttribute('#audit', 'data-state');
  const used = await page.getAttribute('#audit', 'data-signatures');
  await page.close();
  if (state !== 'verified') throw new Error(`the audit ended ${state}`);
  if (used !== (webCrypto ? 'webcrypto' : 'noble')) throw new Error(`the page used ${used}`);
  return seconds;
}

const built = performance.now();
const node = await startLoopbackNode(entries - 5);
process.stdout.write(
  `ledger of ${entries} entries built in ${((performance.now() - built) / 1000).toFixed(1)} s\n`,
);
const browser = await launchChromium();
try {
  // The first visit builds and caches the bundle; not measured.
  await once(browser, node.origin, true);
  for (let round = 1; round <= rounds; round++) {
    for (const webCrypto of [true, false]) {
      const seconds = await once(browser, node.origin, webCrypto);
      process.stdout.write(
        `round ${round} ${webCrypto ? 'WebCrypto' : 'noble    '}: ${seconds.toFixed(2)} s, ${Math.round(entries / seconds).toLocaleString('en-US')} entries/s\n`,
      );
    }
  }
} finally {
  await browser.close();
  await node.close();
}
