/**
 * The RSA key each actor signs HTTP requests with (draft-cavage rsa-sha256 is what Mastodon and
 * most servers verify). It is generated the first time federation needs it and kept in the
 * actor's key file beside its Ed25519 keys, so it survives restarts; it is parsed once per process.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { CryptoBackend } from '../../protocol/crypto.ts';
import { readActorKeys, writeActorKeys } from '../actors/keys.ts';

const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

/** The parsed keys federation signs and publishes with. */
export interface FederationKeys {
  /** RSA, for HTTP signatures (extractable: Fedify's queue carries it as a JWK). */
  http: CryptoKeyPair;
  /** The Ed25519 ledger public key (FEP-521a Multikey in `assertionMethod`). */
  ledgerPublicKey: Uint8Array;
}

function pemBody(pem: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64'));
}

/** Imports a PEM pair (PKCS#8 private, SPKI public) as Web Crypto keys. */
export async function importHttpKeyPair(pem: {
  privateKeyPem: string;
  publicKeyPem: string;
}): Promise<CryptoKeyPair> {
  const [privateKey, publicKey] = await Promise.all([
    crypto.subtle.importKey('pkcs8', pemBody(pem.privateKeyPem), RSA, true, ['sign']),
    crypto.subtle.importKey('spki', pemBody(pem.publicKeyPem), RSA, true, ['verify']),
  ]);
  return { privateKey, publicKey };
}

/** A keyring per node: loads each actor's keys once, adding the RSA key when it is missing. */
export class Keyring {
  readonly #dataDir: string;
  readonly #backend: CryptoBackend;
  readonly #cache = new Map<string, Promise<FederationKeys | undefined>>();

  constructor(dataDir: string, backend: CryptoBackend) {
    this.#dataDir = dataDir;
    this.#backend = backend;
  }

  /** The keys of actor `name`, or undefined when it has no key file. */
  get(name: string): Promise<FederationKeys | undefined> {
    let keys = this.#cache.get(name);
    if (keys === undefined) {
      // One promise per actor: concurrent first requests must not generate two RSA keys.
      keys = this.#load(name);
      this.#cache.set(name, keys);
      keys.catch(() => this.#cache.delete(name));
    }
    return keys;
  }

  async #load(name: string): Promise<FederationKeys | undefined> {
    const keys = await readActorKeys(this.#dataDir, name, this.#backend);
    if (keys === undefined) return undefined;
    let http = keys.http;
    if (http === undefined) {
      const pair = generateKeyPairSync('rsa', {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      });
      http = { privateKeyPem: pair.privateKey, publicKeyPem: pair.publicKey };
      await writeActorKeys(this.#dataDir, { ...keys, http }, { exclusive: false });
    }
    return { http: await importHttpKeyPair(http), ledgerPublicKey: keys.ledger.publicKey };
  }
}
