/**
 * An actor's secret keys, kept as one file per actor under `<data>/keys/<name>.json`, mode 0600
 * in a 0700 directory, written atomically (temporary file, fsync, rename) so that a crash never
 * leaves a half-written key. Keys never enter entries or the database: a copy of the database
 * does not let anyone sign for the actor.
 */
import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CryptoBackend } from '../../protocol/crypto.ts';
import { fromBase64, toBase64 } from '../../protocol/encoding.ts';
import { encodeMultikey } from '../../protocol/multikey.ts';

/** `Group` for a collective, `Organization` for a fiscal host (ActivityStreams actor types). */
export type ActorType = 'Group' | 'Organization';

/** Actor names: lowercase, digits, `_` and `-`, at most 63 characters, not starting with `_`/`-`. */
export const ACTOR_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** An Ed25519 key: the 32-byte seed and its public key. */
export interface Ed25519Key {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

/** Everything secret about an actor, as loaded from its key file. */
export interface ActorKeys {
  /** `${origin}/actors/${name}`. */
  id: string;
  name: string;
  type: ActorType;
  /** The node's origin when the actor was created. */
  origin: string;
  ledger: Ed25519Key;
  checkpoint: Ed25519Key;
  /**
   * The RSA key for HTTP signatures (PKCS#8 and SPKI PEM), added by federation; absent until
   * then, and kept as it is when the file is rewritten.
   */
  http?: { privateKeyPem: string; publicKeyPem: string };
}

interface KeyFileV1 {
  version: 1;
  id: string;
  name: string;
  type: ActorType;
  origin: string;
  /** Public keys are stored beside the seeds so that loading can check them. */
  ledgerKey: { seed: string; multikey: string };
  checkpointKey: { seed: string; multikey: string };
  httpKey?: { privateKeyPem: string; publicKeyPem: string };
}

/** Path of the key file of actor `name`. */
export function keyFilePath(dataDir: string, name: string): string {
  if (!ACTOR_NAME.test(name)) throw new RangeError(`invalid actor name ${JSON.stringify(name)}`);
  return join(dataDir, 'keys', `${name}.json`);
}

/** Fresh keys for a new actor, from the system's CSPRNG. */
export function generateActorKeys(
  identity: { id: string; name: string; type: ActorType; origin: string },
  backend: CryptoBackend,
): ActorKeys {
  const key = (): Ed25519Key => {
    const secretKey = new Uint8Array(randomBytes(32));
    return { secretKey, publicKey: backend.publicKey(secretKey) };
  };
  return { ...identity, ledger: key(), checkpoint: key() };
}

/**
 * Writes the key file of `keys.name`. With `exclusive` (the default) it fails with `EEXIST` when
 * the actor already has one, so two creations of the same name cannot both win.
 */
export async function writeActorKeys(
  dataDir: string,
  keys: ActorKeys,
  options: { exclusive?: boolean } = {},
): Promise<void> {
  const path = keyFilePath(dataDir, keys.name);
  const dir = join(dataDir, 'keys');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const file: KeyFileV1 = {
    version: 1,
    id: keys.id,
    name: keys.name,
    type: keys.type,
    origin: keys.origin,
    ledgerKey: { seed: toBase64(keys.ledger.secretKey), multikey: encodeMultikey(keys.ledger.publicKey) },
    checkpointKey: {
      seed: toBase64(keys.checkpoint.secretKey),
      multikey: encodeMultikey(keys.checkpoint.publicKey),
    },
    ...(keys.http === undefined ? {} : { httpKey: keys.http }),
  };
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  // The mode is set at creation: the secret is never readable by others, not even briefly.
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(file, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    if (options.exclusive ?? true) {
      // link() fails if the target exists, which rename() would silently replace.
      await link(temporary, path);
    } else {
      await rename(temporary, path);
    }
  } finally {
    await rm(temporary, { force: true });
  }
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}

/** Why a key file could not be loaded. */
export class KeyFileError extends Error {
  override name = 'KeyFileError';
}

/**
 * Loads the keys of actor `name`; undefined when it has no key file. Throws a
 * {@link KeyFileError} when the file is malformed, its public keys do not match its seeds, or it
 * is readable by group or others.
 */
export async function readActorKeys(
  dataDir: string,
  name: string,
  backend: CryptoBackend,
): Promise<ActorKeys | undefined> {
  const path = keyFilePath(dataDir, name);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let text: string;
  try {
    const stat = await handle.stat();
    if ((stat.mode & 0o077) !== 0) {
      throw new KeyFileError(
        `${path} is readable by others (mode ${(stat.mode & 0o777).toString(8)}); chmod 600 it`,
      );
    }
    text = await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
  let file: KeyFileV1;
  try {
    file = JSON.parse(text) as KeyFileV1;
  } catch {
    throw new KeyFileError(`${path} is not JSON`);
  }
  if (
    file.version !== 1 ||
    file.name !== name ||
    typeof file.id !== 'string' ||
    typeof file.origin !== 'string'
  ) {
    throw new KeyFileError(`${path} is not a version 1 key file for ${name}`);
  }
  if (file.type !== 'Group' && file.type !== 'Organization')
    throw new KeyFileError(`${path}: unknown actor type`);
  const key = (entry: { seed: string; multikey: string } | undefined, which: string): Ed25519Key => {
    let secretKey: Uint8Array;
    try {
      secretKey = fromBase64(entry?.seed ?? '');
    } catch {
      throw new KeyFileError(`${path}: the ${which} seed is not base64`);
    }
    if (secretKey.length !== 32) throw new KeyFileError(`${path}: the ${which} seed is not 32 bytes`);
    const publicKey = backend.publicKey(secretKey);
    if (encodeMultikey(publicKey) !== entry?.multikey) {
      throw new KeyFileError(`${path}: the ${which} public key does not match its seed`);
    }
    return { secretKey, publicKey };
  };
  return {
    id: file.id,
    name: file.name,
    type: file.type,
    origin: file.origin,
    ledger: key(file.ledgerKey, 'ledger'),
    checkpoint: key(file.checkpointKey, 'checkpoint'),
    ...(file.httpKey === undefined ? {} : { http: file.httpKey }),
  };
}

/** Deletes the key file of actor `name` (undoing a creation that failed after writing it). */
export async function removeActorKeys(dataDir: string, name: string): Promise<void> {
  await rm(keyFilePath(dataDir, name), { force: true });
}

/** Reads a key file's text (for tests that check what is on disk). */
export function readKeyFileText(dataDir: string, name: string): Promise<string> {
  return readFile(keyFilePath(dataDir, name), 'utf8');
}
