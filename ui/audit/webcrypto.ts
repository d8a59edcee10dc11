/**
 * Ed25519 verification for the audit page: the browser's WebCrypto where it has Ed25519 (native
 * code, run off the page's thread), with the answers of @noble/ed25519 (`zip215: false`) on every
 * input; noble alone where it has not.
 *
 * WebCrypto is asynchronous, so the page defers its signature questions (audit.ts). Chromium's
 * Ed25519 is BoringSSL's: it decodes keys loosely (non-canonical y, small-order points) and
 * checks the cofactorless equation, where noble refuses those keys and checks the cofactored one.
 * The encoding refusals noble makes come first (protocol/ed25519-checks.ts, shared with
 * node:crypto); after them whatever BoringSSL accepts noble accepts, so asking noble about
 * WebCrypto's refusals alone gives noble's verdict on every input while valid signatures, the
 * common case, stay native. ui/audit/webcrypto.test.ts runs RFC 8032 and every Wycheproof case
 * through it in Chromium.
 */
import { type CryptoBackend, nobleBackend } from '../../protocol/crypto.ts';
import { refusedByEncoding } from '../../protocol/ed25519-checks.ts';
import { fromHex, toHex } from '../../protocol/encoding.ts';

/** An Ed25519 verifier that answers later; strict as {@link CryptoBackend.verify}, never rejects. */
export interface AsyncVerifier {
  /** Shown on the page and in its report: which code checked the signatures. */
  readonly name: string;
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<boolean>;
}

// RFC 8032 §7.1 TEST 1: the feature test verifies it and refuses it with one bit flipped, so a
// browser that knows the name "Ed25519" but answers wrongly is not used.
const PROBE = {
  publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  signature:
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
};

/** How many imported keys stay cached; a ledger uses a handful (its keys, its host's). */
const CACHE_SIZE = 256;

/** A copy on its own ArrayBuffer: WebCrypto takes BufferSources, and callers may reuse theirs. */
const own = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(bytes);

/**
 * Whether `subtle` verifies Ed25519 correctly: imports the RFC 8032 TEST 1 key, accepts its
 * signature and refuses it altered. False on any error (no WebCrypto, no Ed25519, an insecure
 * context).
 */
export async function webCryptoHasEd25519(subtle: SubtleCrypto | undefined): Promise<boolean> {
  if (subtle === undefined) return false;
  try {
    const key = await subtle.importKey('raw', own(fromHex(PROBE.publicKey)), { name: 'Ed25519' }, false, [
      'verify',
    ]);
    const signature = own(fromHex(PROBE.signature));
    const good = await subtle.verify('Ed25519', key, signature, new Uint8Array(0));
    signature[40] = (signature[40] as number) ^ 1;
    const bad = await subtle.verify('Ed25519', key, signature, new Uint8Array(0));
    return good && !bad;
  } catch {
    return false;
  }
}

/**
 * A verifier on `subtle`'s Ed25519, giving `fallback`'s (noble's) answer on every input. Each raw
 * public key is imported once.
 */
export function webCryptoVerifier(
  subtle: SubtleCrypto,
  fallback: CryptoBackend = nobleBackend,
): AsyncVerifier {
  const keys = new Map<string, Promise<CryptoKey | undefined>>();
  const keyOf = (raw: Uint8Array<ArrayBuffer>): Promise<CryptoKey | undefined> => {
    const id = toHex(raw);
    const hit = keys.get(id);
    if (hit !== undefined) return hit;
    const imported = subtle
      .importKey('raw', raw, { name: 'Ed25519' }, false, ['verify'])
      .catch(() => undefined);
    // Insertion order is the eviction order: a rough LRU is enough for a bounded cache.
    if (keys.size >= CACHE_SIZE) keys.delete(keys.keys().next().value as string);
    keys.set(id, imported);
    return imported;
  };
  return {
    name: 'WebCrypto Ed25519',
    async verify(signature, message, publicKey) {
      if (!(signature instanceof Uint8Array) || !(message instanceof Uint8Array)) return false;
      if (!(publicKey instanceof Uint8Array)) return false;
      if (refusedByEncoding(signature, publicKey)) return false;
      // Copied before the first await: the caller may reuse its buffers once this returns.
      const s = own(signature);
      const m = own(message);
      const k = own(publicKey);
      const key = await keyOf(k);
      let accepted = false;
      if (key !== undefined) {
        try {
          accepted = await subtle.verify('Ed25519', key, s, m);
        } catch {
          accepted = false;
        }
      }
      // A refusal (or a key WebCrypto would not import) may be an input where the cofactorless
      // and cofactored equations differ: noble decides it, as it does for node:crypto.
      return accepted || fallback.verify(s, m, k);
    },
  };
}
