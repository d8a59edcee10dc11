/**
 * Building and signing ledger entries (SPEC.md §5): from the chain head, a body, a key and a
 * time to the signed entry, its leaf bytes and leaf hash, and the next head. Nothing invalid is
 * ever signed: the body is checked against its kind's schema and the money rules first, and a
 * failure throws an {@link EntryError} carrying a machine code.
 */

import { type CryptoBackend, nobleBackend } from '../crypto.ts';
import { toHex, utf8 } from '../encoding.ts';
import { CanonicalizationError, canonicalBytes, type JsonObject } from '../jcs.ts';
import { hashLeaf } from '../merkle/tree.ts';
import { decodeMultikey, encodeMultikey } from '../multikey.ts';
import { createProof, formatCreated, signDocument } from '../proof.ts';
import { entryContent } from './content.ts';
import { checkHostSigned, checkStaticRules, type DeclaredHost, type StaticRuleFailure } from './rules.ts';
import { validateEntry, validateHostSigned } from './schemas.ts';
import {
  ENTRY_CONTEXT,
  type EntryBody,
  type EntryKind,
  type HostSigned,
  type HostSignedType,
  MAX_LEAF_BYTES,
  PUBLIC_AUDIENCE,
  type SignedEntry,
  type UnsignedEntry,
} from './types.ts';

/** What is needed to append to a ledger: kept by the writer, rebuilt by the chain verifier. */
export interface ChainHead {
  /** The actor id (`attributedTo`). */
  actor: string;
  /** Display name, for the entries' sentences. */
  name: string;
  /** The ledger's currency, fixed at genesis. */
  currency: string;
  /** The seq of the next entry. */
  nextSeq: number;
  /** Hex leaf hash of entry `nextSeq - 1`; absent before the genesis. */
  prevHash?: string;
  /** Index of the current ledger key: 0 at genesis, +1 per `KeyRotated`. */
  keyIndex: number;
  /** Multikey of the current ledger key. */
  ledgerKey: string;
  /** The fiscal host, from the latest `HostJoined` not followed by a `HostLeft`. */
  host?: { id: string; key: string };
}

/** Machine codes of {@link EntryError}. */
export type EntryErrorCode =
  | StaticRuleFailure['type']
  | 'unknownKind'
  | 'notCanonicalizable'
  | 'leafTooLarge'
  | 'notGenesis';

/** Thrown when an entry cannot be built: nothing was signed. */
export class EntryError extends Error {
  override name = 'EntryError';
  readonly code: EntryErrorCode;
  /** JSON Pointer into the entry, when the failure has a place. */
  readonly path: string;
  readonly detail: unknown;
  constructor(code: EntryErrorCode, message: string, path = '', detail?: unknown, cause?: unknown) {
    super(
      `${code}${path === '' ? '' : ` at ${path}`}: ${message}`,
      cause === undefined ? undefined : { cause },
    );
    this.code = code;
    this.path = path;
    this.detail = detail;
  }
}

/** Signing inputs; the protocol has no clock and no key store. */
export interface SignOptions {
  time: Date;
  /** 32-byte Ed25519 seed of the ledger's current key. */
  secretKey: Uint8Array;
  backend?: CryptoBackend;
}

/** A signed entry with its leaf bytes, leaf hash and the head that follows it. */
export interface BuiltEntry<K extends EntryKind = EntryKind> {
  entry: SignedEntry<K>;
  leaf: Uint8Array;
  leafHash: Uint8Array;
  head: ChainHead;
}

/** `<actor>#ledger-key-<keyIndex>` (SPEC.md §3). */
export function verificationMethodFor(actor: string, keyIndex: number): string {
  return `${actor}#ledger-key-${keyIndex}`;
}

/** `<actor>/ledger/<seq>`. */
export function entryIdFor(actor: string, seq: number): string {
  return `${actor}/ledger/${seq}`;
}

/** RFC 9162 leaf hash of an entry's leaf bytes: the Merkle tree's own `hashLeaf`. */
export const leafHashOf: (leaf: Uint8Array, backend?: CryptoBackend) => Uint8Array = hashLeaf;

/**
 * The leaf bytes of a signed entry, `JCS(entry)`. Throws an {@link EntryError} (`leafTooLarge`,
 * `notCanonicalizable`) when the entry cannot be a leaf.
 */
export function leafOf(entry: SignedEntry | JsonObject): Uint8Array {
  let leaf: Uint8Array;
  try {
    leaf = canonicalBytes(entry);
  } catch (error) {
    throw wrapCanonicalization(error);
  }
  if (leaf.length > MAX_LEAF_BYTES) {
    throw new EntryError('leafTooLarge', `${leaf.length} bytes, above ${MAX_LEAF_BYTES}`, '', leaf.length);
  }
  return leaf;
}

function wrapCanonicalization(error: unknown): unknown {
  if (error instanceof CanonicalizationError) {
    return new EntryError('notCanonicalizable', error.message, error.path, undefined, error);
  }
  return error;
}

/** Fields of the genesis entry; `ledgerKey` is derived from the secret key. */
export interface GenesisInput {
  actor: string;
  actorType: 'Group' | 'Organization';
  name: string;
  currency: string;
  /** Multikey of the checkpoint key. */
  checkpointKey: string;
  /** The checkpoint origin line. */
  origin: string;
  by?: string;
}

/** Builds and signs entry 0 of a new ledger. */
export function buildGenesis(input: GenesisInput, options: SignOptions): BuiltEntry<'Genesis'> {
  const backend = options.backend ?? nobleBackend;
  const ledgerKey = encodeMultikey(backend.publicKey(options.secretKey));
  const head: ChainHead = {
    actor: input.actor,
    name: input.name,
    currency: input.currency,
    nextSeq: 0,
    keyIndex: 0,
    ledgerKey,
  };
  const body: EntryBody<'Genesis'> = {
    kind: 'Genesis',
    ...(input.by === undefined ? {} : { by: input.by }),
    actorType: input.actorType,
    name: input.name,
    currency: input.currency,
    ledgerKey,
    checkpointKey: input.checkpointKey,
    origin: input.origin,
  };
  return sign(head, body, options) as BuiltEntry<'Genesis'>;
}

/** The head after a verified genesis entry. */
export function headFromGenesis(genesis: SignedEntry<'Genesis'>, leafHash: Uint8Array): ChainHead {
  return {
    actor: genesis.attributedTo,
    name: genesis.name,
    currency: genesis.currency,
    nextSeq: 1,
    prevHash: toHex(leafHash),
    keyIndex: 0,
    ledgerKey: genesis.ledgerKey,
  };
}

/**
 * Builds and signs the next entry after `head`. Checks the body's schema, amounts, currency and
 * embedded host-signed objects (against `head.host`) before signing. Ledger-history rules (expense
 * states, balance) are the chain verifier's: run the new entry through the writer's
 * `ChainVerifier` before publishing it.
 */
export function buildEntry<K extends EntryKind>(
  head: ChainHead,
  body: EntryBody<K>,
  options: SignOptions,
): BuiltEntry<K> {
  if (body.kind === 'Genesis') throw new EntryError('notGenesis', 'use buildGenesis for entry 0', '/kind');
  if (head.nextSeq === 0) throw new EntryError('notGenesis', 'entry 0 must be the genesis', '/kind');
  return sign(head, body, options) as BuiltEntry<K>;
}

function sign(head: ChainHead, body: EntryBody, options: SignOptions): BuiltEntry {
  const backend = options.backend ?? nobleBackend;
  const seq = head.nextSeq;
  const id = entryIdFor(head.actor, seq);
  const { kind, by, ...fields } = body as EntryBody & Record<string, unknown>;
  const unsigned = {
    '@context': [...ENTRY_CONTEXT],
    id,
    type: 'Note',
    attributedTo: head.actor,
    to: [PUBLIC_AUDIENCE],
    published: formatCreated(options.time),
    content: entryContent(body, { name: head.name, id, seq }),
    seq,
    ...(head.prevHash === undefined ? {} : { prev: head.prevHash }),
    kind,
    ...(by === undefined ? {} : { by }),
    ...fields,
  } as UnsignedEntry;

  const shape = validateEntry(unsigned, { signed: false });
  if (!shape.ok) {
    const r = shape.reason;
    if (r.type === 'unknownKind') throw new EntryError('unknownKind', `unknown kind ${r.kind}`, '/kind');
    throw new EntryError('schemaViolation', r.message, r.path, r);
  }
  const rules = checkStaticRules(unsigned, head.currency, head.actor);
  if (!rules.ok)
    throw new EntryError(rules.reason.type, describe(rules.reason), rules.reason.path, rules.reason);
  checkEmbeddedProofs(unsigned, head, backend);

  let signed: { signed: JsonObject; canonical: string };
  try {
    signed = signDocument(unsigned as unknown as JsonObject, {
      verificationMethod: verificationMethodFor(head.actor, head.keyIndex),
      secretKey: options.secretKey,
      created: options.time,
      backend,
    });
  } catch (error) {
    throw wrapCanonicalization(error);
  }
  const entry = signed.signed as unknown as SignedEntry;
  const leaf = utf8(signed.canonical);
  if (leaf.length > MAX_LEAF_BYTES) {
    throw new EntryError('leafTooLarge', `${leaf.length} bytes, above ${MAX_LEAF_BYTES}`, '', leaf.length);
  }
  const leafHash = leafHashOf(leaf, backend);
  return { entry, leaf, leafHash, head: nextHead(head, entry, leafHash) };
}

function describe(reason: StaticRuleFailure): string {
  switch (reason.type) {
    case 'amountMismatch':
      return `expected ${reason.expected}, found ${reason.actual}`;
    case 'currencyMismatch':
      return `the ledger is in ${reason.expected}, not ${reason.actual}`;
    case 'badAmount':
      return `bad amount (${reason.amount.type})`;
    case 'schemaViolation':
      return reason.message;
    case 'hostSignatureInvalid':
      return `host-signed object invalid (${reason.problem.type})`;
  }
}

const EMBEDDED: Partial<Record<EntryKind, [field: string, type: HostSignedType]>> = {
  Contribution: ['receipt', 'Receipt'],
  ExpenseCountersigned: ['countersignature', 'ExpenseCountersignature'],
  ExpensePaid: ['payout', 'Payout'],
};

function declaredHost(head: ChainHead): DeclaredHost | undefined {
  if (head.host === undefined) return undefined;
  const key = decodeMultikey(head.host.key);
  return key.ok ? { id: head.host.id, publicKey: key.publicKey } : undefined;
}

function checkEmbeddedProofs(entry: UnsignedEntry, head: ChainHead, backend: CryptoBackend): void {
  const spec = EMBEDDED[entry.kind];
  if (spec === undefined) return;
  const [field, type] = spec;
  const value = (entry as unknown as Record<string, unknown>)[field];
  if (value === undefined) {
    if (entry.kind === 'ExpensePaid' && head.host !== undefined) {
      throw new EntryError('hostSignatureInvalid', 'a ledger with a host needs the payout record', '/payout');
    }
    return;
  }
  const problem = checkHostSigned(value, type, declaredHost(head), backend);
  if (problem !== undefined) {
    throw new EntryError(
      'hostSignatureInvalid',
      `host-signed ${type} invalid (${problem.type})`,
      `/${field}`,
      problem,
    );
  }
  if (entry.kind === 'ExpenseCountersigned') {
    const c = entry as UnsignedEntry<'ExpenseCountersigned'>;
    if (c.countersignature.expense !== c.expense || c.countersignature.collective !== head.actor) {
      throw new EntryError(
        'hostSignatureInvalid',
        'countersignature names another expense',
        '/countersignature',
      );
    }
  }
}

/** The head after `entry` (already signed, with leaf hash `leafHash`) is appended to `head`. */
export function nextHead(head: ChainHead, entry: SignedEntry, leafHash: Uint8Array): ChainHead {
  const next: ChainHead = { ...head, nextSeq: entry.seq + 1, prevHash: toHex(leafHash) };
  switch (entry.kind) {
    case 'KeyRotated':
      next.keyIndex = head.keyIndex + 1;
      next.ledgerKey = (entry as SignedEntry<'KeyRotated'>).ledgerKey;
      break;
    case 'HostJoined': {
      const h = entry as SignedEntry<'HostJoined'>;
      next.host = { id: h.host, key: h.hostKey };
      break;
    }
    case 'HostLeft':
      delete next.host;
      break;
  }
  return next;
}

/**
 * Fields a host attests in a signed object, beside `type`, `host`, `collective` and `@context`.
 * `hostEntry` (the leaf hash of the host's own entry for the movement) is required on a receipt
 * and a payout, and absent on a countersignature.
 */
export type HostObjectFields = {
  amount: string;
  currency: string;
  expense?: string;
  memo?: string;
  hostEntry?: string;
};

/** Options for {@link signHostObject}: the host's key and verification method. */
export interface HostSignOptions extends SignOptions {
  host: string;
  collective: string;
  /** Defaults to `<host>#ledger-key-0`. */
  verificationMethod?: string;
}

/**
 * Builds and signs an object a host attests for a collective (receipt, countersignature, payout
 * record), to embed in the collective's entry. Throws an {@link EntryError} on a bad shape.
 */
export function signHostObject<T extends HostSignedType>(
  type: T,
  fields: HostObjectFields,
  options: HostSignOptions,
): HostSigned<T> {
  const object = {
    '@context': [...ENTRY_CONTEXT],
    type,
    host: options.host,
    collective: options.collective,
    ...fields,
  };
  const shape = validateHostSignedUnsigned(object, type);
  if (shape !== undefined) throw shape;
  try {
    return createProof(object as unknown as JsonObject, {
      verificationMethod: options.verificationMethod ?? verificationMethodFor(options.host, 0),
      secretKey: options.secretKey,
      created: options.time,
      backend: options.backend ?? nobleBackend,
    }) as unknown as HostSigned<T>;
  } catch (error) {
    throw wrapCanonicalization(error);
  }
}

function validateHostSignedUnsigned(object: unknown, type: HostSignedType): EntryError | undefined {
  const result = validateHostSigned(object, type, { signed: false });
  if (result.ok) return undefined;
  const r = result.reason;
  return r.type === 'schemaViolation'
    ? new EntryError('schemaViolation', r.message, r.path, r)
    : new EntryError('schemaViolation', 'unknown type', '/type', r);
}
