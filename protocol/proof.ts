/**
 * Data Integrity proofs with the `eddsa-jcs-2022` cryptosuite (W3C VC DI EdDSA, §3.3), in the
 * exact shape that Fedify's `verifyProof`, Mastodon and Digital Bazaar's verifier accept
 * (FEP-8b32): `@context` (equal to the document's), `type`, `cryptosuite`, `verificationMethod`,
 * `proofPurpose`, `created`, `proofValue`, and nothing else.
 */
import { type CryptoBackend, nobleBackend } from './crypto.ts';
import { concatBytes, EncodingError, fromBase58, toBase58 } from './encoding.ts';
import {
  CanonicalizationError,
  canonicalBytes,
  canonicalize,
  canonicalMembers,
  type JsonObject,
  type JsonValue,
  joinMembers,
  sameJson,
} from './jcs.ts';

export const CRYPTOSUITE = 'eddsa-jcs-2022';

/** A proof as it appears in a signed document. */
export interface DataIntegrityProof {
  '@context'?: JsonValue;
  type: 'DataIntegrityProof';
  cryptosuite: typeof CRYPTOSUITE;
  verificationMethod: string;
  proofPurpose: 'assertionMethod';
  created: string;
  proofValue: string;
}

const PROOF_FIELDS = new Set([
  '@context',
  'type',
  'cryptosuite',
  'verificationMethod',
  'proofPurpose',
  'created',
  'proofValue',
]);
const CREATED = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/**
 * `YYYY-MM-DDThh:mm:ssZ`, the only form every verifier re-serialises identically (Fedify rebuilds
 * `created` through Temporal, which drops `.000` and never writes `+00:00`). Sub-second parts are
 * truncated.
 */
export function formatCreated(time: Date): string {
  if (Number.isNaN(time.getTime())) throw new RangeError('invalid date');
  return time.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Options for {@link createProof}. */
export interface CreateProofOptions {
  verificationMethod: string;
  secretKey: Uint8Array;
  /** The signing time; the protocol has no clock. */
  created: Date;
  backend?: CryptoBackend;
}

/** `SHA-256(JCS(proofConfig)) || SHA-256(JCS(document))`, the bytes eddsa-jcs-2022 signs. */
export function hashData(
  proofConfig: JsonObject,
  unsecuredDocument: JsonObject,
  backend: CryptoBackend = nobleBackend,
): Uint8Array {
  return concatBytes(
    backend.sha256(canonicalBytes(proofConfig)),
    backend.sha256(canonicalBytes(unsecuredDocument)),
  );
}

/**
 * Returns a copy of `document` with an `eddsa-jcs-2022` proof. The document must have no
 * `proof` (FEP-8b32: one proof per object; a countersignature is its own signed object).
 * Throws {@link CanonicalizationError} when the document is not plain JSON.
 */
export function createProof<T extends JsonObject>(
  document: T,
  options: CreateProofOptions,
): T & { proof: DataIntegrityProof } {
  return signDocument(document, options).signed;
}

/** A signed document and its RFC 8785 canonical text (a ledger leaf, for entries). */
export interface SignedDocument<T> {
  signed: T & { proof: DataIntegrityProof };
  canonical: string;
}

/**
 * {@link createProof}, also giving the canonical text of the signed document. The document's
 * members are canonicalized once and reused for the signed hash and for the result, which
 * keeps the signing pipeline close to the cost of the signature itself.
 */
export function signDocument<T extends JsonObject>(
  document: T,
  options: CreateProofOptions,
): SignedDocument<T> {
  if ('proof' in document) throw new TypeError('document already has a proof');
  if (!options.verificationMethod.isWellFormed()) {
    throw new CanonicalizationError('lone UTF-16 surrogate', '/proof/verificationMethod');
  }
  const backend = options.backend ?? nobleBackend;
  const members = canonicalMembers(document);
  const created = formatCreated(options.created);
  const context = members.get('@context');
  const configText = proofConfigText(context, created, options.verificationMethod);
  const keys = [...members.keys(), 'proof'].sort();
  let unsecuredText = '{';
  for (const key of keys) {
    if (key === 'proof') continue;
    if (unsecuredText.length > 1) unsecuredText += ',';
    unsecuredText += `${JSON.stringify(key)}:${members.get(key)}`;
  }
  unsecuredText += '}';
  const data = concatBytes(backend.sha256(configText), backend.sha256(unsecuredText));
  const proofValue = `z${toBase58(backend.sign(data, options.secretKey))}`;
  members.set('proof', proofConfigText(context, created, options.verificationMethod, proofValue));
  let canonical = '{';
  for (const key of keys) {
    if (canonical.length > 1) canonical += ',';
    canonical += `${JSON.stringify(key)}:${members.get(key)}`;
  }
  canonical += '}';
  const proof: DataIntegrityProof = {
    ...(document['@context'] === undefined ? {} : { '@context': document['@context'] }),
    type: 'DataIntegrityProof',
    cryptosuite: CRYPTOSUITE,
    verificationMethod: options.verificationMethod,
    proofPurpose: 'assertionMethod',
    created,
    proofValue,
  };
  return { signed: { ...document, proof }, canonical };
}

/**
 * The canonical text of a proof (or, without `proofValue`, of its configuration). Its members
 * are fixed, so their RFC 8785 order is too: `@context`, `created`, `cryptosuite`,
 * `proofPurpose`, `proofValue`, `type`, `verificationMethod`. Callers have checked that the
 * strings are well formed.
 */
function proofConfigText(
  contextText: string | undefined,
  created: string,
  verificationMethod: string,
  proofValue?: string,
): string {
  return configHead(contextText) + JSON.stringify(created) + configTail(verificationMethod, proofValue);
}

/** The proof configuration's text up to `created`'s value. */
function configHead(contextText: string | undefined): string {
  const context = contextText === undefined ? '' : `"@context":${contextText},`;
  return `{${context}"created":`;
}

/** The proof configuration's text after `created`'s value. */
function configTail(verificationMethod: string, proofValue?: string): string {
  const value = proofValue === undefined ? '' : `"proofValue":${JSON.stringify(proofValue)},`;
  return `,"cryptosuite":"${CRYPTOSUITE}","proofPurpose":"assertionMethod",${value}"type":"DataIntegrityProof","verificationMethod":${JSON.stringify(verificationMethod)}}`;
}

/** Why a proof did not verify. */
export type ProofFailure =
  | { type: 'missingProof' }
  | { type: 'malformedProof'; field: string }
  | { type: 'unsupportedCryptosuite'; cryptosuite: unknown }
  | { type: 'contextMismatch' }
  | { type: 'verificationMethodMismatch'; expected: string; actual: string }
  | { type: 'notCanonicalizable'; path: string }
  | { type: 'invalidSignature' };

export type ProofResult = { ok: true; proof: DataIntegrityProof } | { ok: false; reason: ProofFailure };

/** Options for {@link verifyProof}. */
export interface VerifyProofOptions {
  /** The key to check against: resolved by the caller, never from the document itself. */
  publicKey: Uint8Array;
  /** When given, the proof must name exactly this verification method. */
  verificationMethod?: string;
  backend?: CryptoBackend;
}

/** Checks the shape of `value` as a proof; returns the failing field or the typed proof. */
export function parseProof(
  value: unknown,
): { ok: true; proof: DataIntegrityProof } | { ok: false; reason: ProofFailure } {
  if (value === undefined) return { ok: false, reason: { type: 'missingProof' } };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: { type: 'malformedProof', field: 'proof' } };
  }
  const p = value as Record<string, unknown>;
  for (const key of Object.keys(p)) {
    if (!PROOF_FIELDS.has(key)) return { ok: false, reason: { type: 'malformedProof', field: key } };
  }
  if (p.type !== 'DataIntegrityProof')
    return { ok: false, reason: { type: 'malformedProof', field: 'type' } };
  if (p.cryptosuite !== CRYPTOSUITE) {
    return { ok: false, reason: { type: 'unsupportedCryptosuite', cryptosuite: p.cryptosuite } };
  }
  if (p.proofPurpose !== 'assertionMethod')
    return { ok: false, reason: { type: 'malformedProof', field: 'proofPurpose' } };
  if (typeof p.verificationMethod !== 'string') {
    return { ok: false, reason: { type: 'malformedProof', field: 'verificationMethod' } };
  }
  if (typeof p.created !== 'string' || !CREATED.test(p.created)) {
    return { ok: false, reason: { type: 'malformedProof', field: 'created' } };
  }
  if (typeof p.proofValue !== 'string' || !p.proofValue.startsWith('z')) {
    return { ok: false, reason: { type: 'malformedProof', field: 'proofValue' } };
  }
  return { ok: true, proof: p as unknown as DataIntegrityProof };
}

/**
 * Verifies the `eddsa-jcs-2022` proof of `securedDocument` against a key the caller trusts.
 * The proof's `@context` must equal the document's (what Mastodon requires), compared canonically.
 */
export function verifyProof(securedDocument: JsonObject, options: VerifyProofOptions): ProofResult {
  let members: Map<string, string>;
  try {
    members = canonicalMembers(securedDocument);
  } catch (error) {
    if (error instanceof CanonicalizationError)
      return { ok: false, reason: { type: 'notCanonicalizable', path: error.path } };
    throw error;
  }
  return verifyProofMembers(securedDocument, members, options);
}

/**
 * {@link verifyProof} for a caller that already holds the document's canonical members (from
 * `canonicalMembers`, e.g. to make a ledger leaf with `joinMembers`): no second canonical pass.
 */
export function verifyProofMembers(
  securedDocument: JsonObject,
  members: Map<string, string>,
  options: VerifyProofOptions,
): ProofResult {
  return verifyProofTexts(
    securedDocument,
    { context: members.get('@context'), unsecured: () => joinMembers(members, 'proof') },
    options,
  );
}

/** The canonical texts of a secured document that checking its proof needs. */
export interface ProofTexts {
  /** The canonical text of the document's `@context`, if it has one. */
  context: string | undefined;
  /**
   * The canonical text of the document without `proof`, or its UTF-8 bytes (asked only once the
   * proof's shape holds, and hashed at once: the bytes may be a buffer the caller reuses).
   */
  unsecured: () => string | Uint8Array;
  /**
   * The whole document is known to be canonicalizable (the caller holds its canonical bytes, see
   * jcs-bytes.ts): a proof `@context` that is not the document's can then only be a mismatch, and
   * is written with JSON.stringify rather than canonicalized.
   */
  canonicalOrder?: boolean;
}

/**
 * {@link verifyProof} for a caller that already holds the document's canonical texts (an auditor
 * given the canonical line an entry was parsed from): nothing is serialized again.
 */
export function verifyProofTexts(
  securedDocument: JsonObject,
  texts: ProofTexts,
  options: VerifyProofOptions,
): ProofResult {
  const parsed = parseProof(securedDocument.proof);
  if (!parsed.ok) return parsed;
  const proof = parsed.proof;
  const { verificationMethod, created, proofValue } = proof;
  if (options.verificationMethod !== undefined && verificationMethod !== options.verificationMethod) {
    return {
      ok: false,
      reason: {
        type: 'verificationMethodMismatch',
        expected: options.verificationMethod,
        actual: verificationMethod,
      },
    };
  }
  const documentContext = texts.context;
  let proofContext: string | undefined;
  try {
    if (!verificationMethod.isWellFormed()) {
      throw new CanonicalizationError('lone UTF-16 surrogate', '/verificationMethod');
    }
    const context = proof['@context'];
    proofContext =
      context === undefined
        ? undefined
        : !texts.canonicalOrder
          ? canonicalize(context)
          : // The proof's context is the document's (the common case): its text is known.
            sameJson(context, securedDocument['@context'])
            ? texts.context
            : JSON.stringify(context);
  } catch (error) {
    if (error instanceof CanonicalizationError)
      return { ok: false, reason: { type: 'notCanonicalizable', path: `/proof${error.path}` } };
    throw error;
  }
  // Both absent is fine (a plain JSON document); otherwise they must be the same JSON value.
  if (proofContext !== documentContext) return { ok: false, reason: { type: 'contextMismatch' } };
  let signature: Uint8Array;
  try {
    signature = fromBase58(proofValue.slice(1));
  } catch (error) {
    if (error instanceof EncodingError)
      return { ok: false, reason: { type: 'malformedProof', field: 'proofValue' } };
    throw error;
  }
  if (signature.length !== 64) return { ok: false, reason: { type: 'malformedProof', field: 'proofValue' } };
  const backend = options.backend ?? nobleBackend;
  const data = new Uint8Array(64);
  data.set(backend.sha256(configBytes(proofContext, created, verificationMethod)));
  data.set(backend.sha256(texts.unsecured()), 32);
  if (!backend.verify(signature, data, options.publicKey))
    return { ok: false, reason: { type: 'invalidSignature' } };
  return parsed;
}

const textEncoder = new TextEncoder();
/**
 * Where a proof configuration is written for hashing: a backend hashes at once and keeps nothing,
 * so one buffer serves every proof. The configurations of a ledger's entries differ only in
 * `created`, so the bytes around it are kept for the last context and verification method seen
 * (compared as strings, so they cannot answer for another) and `created` is written between
 * them: writing the whole text and having it encoded took a microsecond per entry.
 */
const configInput = new Uint8Array(4096);
let configParts:
  | { context: string | undefined; method: string; head: Uint8Array; tail: Uint8Array }
  | undefined;

/** The UTF-8 bytes of `proofConfigText(contextText, created, verificationMethod)`, or the text itself. */
function configBytes(
  contextText: string | undefined,
  created: string,
  verificationMethod: string,
): Uint8Array | string {
  let parts = configParts;
  if (parts === undefined || parts.context !== contextText || parts.method !== verificationMethod) {
    parts = {
      context: contextText,
      method: verificationMethod,
      head: textEncoder.encode(configHead(contextText)),
      tail: textEncoder.encode(configTail(verificationMethod)),
    };
    configParts = parts;
  }
  // `created` matched CREATED (ASCII digits and separators): JSON.stringify only quotes it.
  const length = parts.head.length + created.length + 2 + parts.tail.length;
  if (length > configInput.length || !CREATED.test(created))
    return proofConfigText(contextText, created, verificationMethod);
  configInput.set(parts.head);
  let at = parts.head.length;
  configInput[at++] = 0x22;
  for (let i = 0; i < created.length; i++) configInput[at++] = created.charCodeAt(i);
  configInput[at++] = 0x22;
  configInput.set(parts.tail, at);
  return configInput.subarray(0, length);
}

/** Boolean form of {@link verifyProof}. */
export function isProofValid(securedDocument: JsonObject, options: VerifyProofOptions): boolean {
  return verifyProof(securedDocument, options).ok;
}
