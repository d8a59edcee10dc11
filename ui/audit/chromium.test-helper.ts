// Debian's chromium driven by playwright-core, for the audit page's browser tests and the page
// measurement: one persistent profile in a temp dir, headless, nothing phoning home.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** A running browser and its profile directory (gone after `close`). */
export interface Chromium {
  context: BrowserContext;
  profile: string;
  close(): Promise<void>;
}

/** Starts chromium headless with a fresh profile. */
export async function launchChromium(): Promise<Chromium> {
  const profile = await mkdtemp(join(tmpdir(), 'cagnotte-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
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
  return {
    context,
    profile,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Makes the page's browser lack WebCrypto Ed25519, as browsers before it did: importing an
 * Ed25519 key fails with NotSupportedError. Runs before any script of the page.
 */
export async function withoutWebCryptoEd25519(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const importKey = SubtleCrypto.prototype.importKey;
    SubtleCrypto.prototype.importKey = function (
      this: SubtleCrypto,
      ...args: Parameters<SubtleCrypto['importKey']>
    ) {
      const algorithm = args[2];
      const name = typeof algorithm === 'string' ? algorithm : algorithm.name;
      if (name.toLowerCase() === 'ed25519')
        return Promise.reject(new DOMException('Algorithm: Unrecognized name', 'NotSupportedError'));
      return importKey.apply(this, args);
    } as SubtleCrypto['importKey'];
  });
}

/**
 * The page's verifiers and noble, bundled for a blank page: `globalThis.ed25519Probe` answers
 * a list of cases (hex) with, for each, what raw WebCrypto says (or 'error'), what the page's
 * WebCrypto verifier says and what noble says, all computed in the browser.
 */
export async function ed25519ProbeScript(): Promise<string> {
  const result = await build({
    stdin: {
      contents: `
import { nobleBackend } from '../../protocol/crypto.ts';
import { fromHex } from '../../protocol/encoding.ts';
import { webCryptoHasEd25519, webCryptoVerifier } from './webcrypto.ts';
globalThis.ed25519Probe = async (cases) => {
  const subtle = crypto.subtle;
  const detected = await webCryptoHasEd25519(subtle);
  const verifier = webCryptoVerifier(subtle);
  const answers = await Promise.all(cases.map(async (c) => {
    const signature = fromHex(c.signature), message = fromHex(c.message), publicKey = fromHex(c.publicKey);
    let raw;
    try {
      const key = await subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
      raw = await subtle.verify('Ed25519', key, signature, message);
    } catch (error) {
      raw = 'error: ' + (error && error.name);
    }
    return { raw, page: await verifier.verify(signature, message, publicKey), noble: nobleBackend.verify(signature, message, publicKey) };
  }));
  return { detected, answers };
};`,
      resolveDir: import.meta.dirname,
      loader: 'ts',
    },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2022'],
    write: false,
    logLevel: 'silent',
  });
  const file = result.outputFiles[0];
  if (file === undefined) throw new Error('esbuild wrote no output');
  return file.text;
}
