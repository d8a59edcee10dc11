/**
 * The node's instance actor: an `Application` that signs the node's own GETs (actor and key
 * fetches made while checking an inbox POST), for servers that refuse unsigned fetches
 * (Mastodon's authorized fetch, GoToSocial always). Signing those with a collective's key would
 * tie an unrelated fetch to that collective; the instance actor speaks for the node only.
 *
 * Its name starts with `_`, which no actor name may (ACTOR_NAME), so it can never collide with a
 * collective or host. Its RSA key is generated once and kept in `<dataDir>/keys/_instance.json`
 * (0600, written atomically), so remote servers that cached it keep verifying after a restart.
 */
import { generateKeyPairSync } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Context } from '@fedify/fedify';
import { Application, Endpoints } from '@fedify/vocab';
import { importHttpKeyPair } from './keys.ts';

/** The identifier of the instance actor (`${origin}/actors/_instance`). */
export const INSTANCE_ACTOR = '_instance';

interface InstanceKeyFile {
  version: 1;
  httpKey: { privateKeyPem: string; publicKeyPem: string };
}

async function writeOnce(path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    // link() fails when another process wrote the key first; its key then wins (read below).
    await link(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await rm(temporary, { force: true });
  }
}

/** Loads (or creates on first use) the instance actor's RSA key pair; one load per process. */
export class InstanceKey {
  readonly #path: string;
  #pair: Promise<CryptoKeyPair> | undefined;

  constructor(dataDir: string) {
    this.#path = join(dataDir, 'keys', `${INSTANCE_ACTOR}.json`);
  }

  /** The key pair (RSASSA-PKCS1-v1_5, SHA-256). */
  get(): Promise<CryptoKeyPair> {
    if (this.#pair === undefined) {
      this.#pair = this.#load();
      this.#pair.catch(() => {
        this.#pair = undefined;
      });
    }
    return this.#pair;
  }

  async #load(): Promise<CryptoKeyPair> {
    let text: string | undefined;
    try {
      text = await readFile(this.#path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (text === undefined) {
      const pair = generateKeyPairSync('rsa', {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      });
      const file: InstanceKeyFile = {
        version: 1,
        httpKey: { privateKeyPem: pair.privateKey, publicKeyPem: pair.publicKey },
      };
      const dir = join(this.#path, '..');
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await chmod(dir, 0o700);
      await writeOnce(this.#path, JSON.stringify(file));
      text = await readFile(this.#path, 'utf8');
    }
    const file = JSON.parse(text) as InstanceKeyFile;
    if (file.version !== 1 || typeof file.httpKey?.privateKeyPem !== 'string') {
      throw new Error(`${this.#path}: not an instance key file`);
    }
    return importHttpKeyPair(file.httpKey);
  }
}

/** The instance actor's document (its inbox is the shared inbox: it follows nobody). */
export async function instanceActor(ctx: Context<unknown>): Promise<Application> {
  const id = ctx.getActorUri(INSTANCE_ACTOR);
  const pairs = await ctx.getActorKeyPairs(INSTANCE_ACTOR);
  return new Application({
    id,
    preferredUsername: INSTANCE_ACTOR,
    name: new URL(id).host,
    summary: 'The node itself: it signs the fetches this node makes.',
    inbox: ctx.getInboxUri(),
    endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
    publicKey: pairs[0]?.cryptographicKey ?? null,
    manuallyApprovesFollowers: true,
  });
}
