/**
 * The first checks of SPEC.md §5.3 on one entry, which need only the chain's head and current
 * key: canonical size and schema, seq and prev, actor and id, and the proof. The kind's rules,
 * the facts recorded once and the balance are the verifier's (chain.ts), which keeps the state.
 */
import type { ChainFailure } from './chain-result.ts';
import type { CryptoBackend } from './crypto.ts';
import { utf8 } from './encoding.ts';
import { type ChainHead, entryIdFor, verificationMethodFor } from './entry/build.ts';
import { validateEntry } from './entry/schemas.ts';
import { MAX_LEAF_BYTES, type SignedEntry } from './entry/types.ts';
import {
  CanonicalizationError,
  canonicalize,
  canonicalMembers,
  type JsonObject,
  joinMembers,
  sameJson,
} from './jcs.ts';
import { canonicalMemberSpan, type MemberSpan } from './jcs-bytes.ts';
import { decodeMultikey } from './multikey.ts';
import { type ProofTexts, verifyProofTexts } from './proof.ts';

type WithoutSeq<T> = T extends unknown ? Omit<T, 'seq'> : never;

/** A chain failure before the verifier names its seq. */
export type EnvelopeFailure = WithoutSeq<ChainFailure>;

/** An entry whose envelope and proof hold at its position. */
export interface CheckedEnvelope {
  entry: SignedEntry;
  /** Its canonical bytes (the leaf). */
  leaf: Uint8Array;
  /** The ledger's actor. */
  actor: string;
  /** The key that signed it (for the genesis, the key it declares). */
  publicKey: Uint8Array;
}

/** Where the chain stands before the entry. */
export interface EnvelopeContext {
  position: number;
  head: ChainHead | undefined;
  /** The actor the ledger must be of, before the genesis names it. */
  actor: string | undefined;
  /** The current ledger key (ignored before the genesis). */
  publicKey: Uint8Array;
  backend: CryptoBackend;
}

/**
 * Checks `value`'s envelope and proof at `context.position`. With `line` (the UTF-8 bytes `value`
 * was parsed from), a canonical line is the leaf as is; any other line changes nothing, the entry
 * is canonicalized as without one.
 */
export function checkEnvelope(
  value: unknown,
  context: EnvelopeContext,
  line?: Uint8Array,
): EnvelopeFailure | CheckedEnvelope {
  const { position, head } = context;
  let leaf: Uint8Array;
  let texts: ProofTexts;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { type: 'schemaViolation', path: '', message: 'an entry is a JSON object' };
  }
  const object = value as JsonObject;
  const proofSpan = line === undefined ? undefined : canonicalMemberSpan(line, 'proof');
  if (line !== undefined && proofSpan !== undefined) {
    leaf = line;
    const documentContext = object['@context'];
    texts = {
      context: documentContext === undefined ? undefined : contextText(documentContext),
      unsecured: () => withoutSpan(line, proofSpan),
      canonicalOrder: true,
    };
  } else {
    let members: Map<string, string>;
    try {
      members = canonicalMembers(object);
    } catch (error) {
      if (!(error instanceof CanonicalizationError)) throw error;
      return { type: 'schemaViolation', path: error.path, message: error.message };
    }
    leaf = utf8(joinMembers(members));
    texts = { context: members.get('@context'), unsecured: () => joinMembers(members, 'proof') };
  }
  if (leaf.length > MAX_LEAF_BYTES) return { type: 'leafTooLarge', size: leaf.length };
  const shape = validateEntry(value);
  if (!shape.ok) return shape.reason;
  const entry = value as SignedEntry;

  if (entry.seq < position) return { type: 'seqDuplicate', found: entry.seq };
  if (entry.seq > position) return { type: 'seqGap', found: entry.seq };
  if (head === undefined) {
    if (entry.prev !== undefined) return { type: 'prevMismatch', actual: entry.prev };
    if (entry.kind !== 'Genesis') return { type: 'genesisInvalid', problem: 'entry 0 is not a Genesis' };
  } else {
    if (entry.prev !== head.prevHash)
      return { type: 'prevMismatch', expected: head.prevHash, actual: entry.prev };
    if (entry.kind === 'Genesis') return { type: 'genesisInvalid', problem: 'a second Genesis' };
  }

  const actor = head?.actor ?? context.actor ?? entry.attributedTo;
  if (entry.attributedTo !== actor) {
    return { type: 'wrongActor', field: 'attributedTo', expected: actor, actual: entry.attributedTo };
  }
  const id = entryIdFor(actor, entry.seq);
  if (entry.id !== id) return { type: 'wrongActor', field: 'id', expected: id, actual: entry.id };
  if (entry.published !== entry.proof.created) {
    return { type: 'schemaViolation', path: '/published', message: 'must equal proof.created' };
  }

  let publicKey = context.publicKey;
  if (head === undefined) {
    const key = decodeMultikey((entry as SignedEntry<'Genesis'>).ledgerKey);
    if (!key.ok) return { type: 'genesisInvalid', problem: `ledgerKey: ${key.reason.type}` };
    publicKey = key.publicKey;
  }
  const proofFailure = checkProof(entry, texts, actor, head?.keyIndex ?? 0, publicKey, context.backend);
  if (proofFailure !== undefined) return proofFailure;
  return { entry, leaf, actor, publicKey };
}

// Every entry of a ledger names the same @context: its text is kept rather than written again
// for each (a cache of one value, compared as JSON, so it cannot answer for another). The value
// is part of a canonical line, so canonicalizing it cannot fail.
let lastContext: { value: unknown; text: string } | undefined;

function contextText(value: unknown): string {
  if (lastContext !== undefined && sameJson(lastContext.value, value)) return lastContext.text;
  const text = canonicalize(value);
  lastContext = { value, text };
  return text;
}

/**
 * Where the unsecured document of a canonical line is assembled: verifyProofTexts hashes it at
 * once and backends keep nothing of their input, so one buffer serves every entry, as the Merkle
 * tree's leafInput does (a fresh buffer the size of an entry costs about as much as hashing it).
 * The leaf was checked to be at most MAX_LEAF_BYTES before the proof is.
 */
const unsecuredInput = new Uint8Array(MAX_LEAF_BYTES);

/** `line` without the bytes of `span`. */
function withoutSpan(line: Uint8Array, span: MemberSpan): Uint8Array {
  const length = line.length - (span.end - span.start);
  if (line.length > unsecuredInput.length) {
    const out = new Uint8Array(length);
    out.set(line.subarray(0, span.start));
    out.set(line.subarray(span.end), span.start);
    return out;
  }
  unsecuredInput.set(line.subarray(0, span.start));
  unsecuredInput.set(line.subarray(span.end), span.start);
  return unsecuredInput.subarray(0, length);
}

// The verification method every entry's proof names, written once per ledger key rather than for
// each entry (a cache of one, keyed by the actor's and the index's values).
let lastMethod: { actor: string; keyIndex: number; method: string } | undefined;

function ledgerMethod(actor: string, keyIndex: number): string {
  const last = lastMethod;
  if (last !== undefined && last.actor === actor && last.keyIndex === keyIndex) return last.method;
  const method = verificationMethodFor(actor, keyIndex);
  lastMethod = { actor, keyIndex, method };
  return method;
}

function checkProof(
  entry: SignedEntry,
  texts: ProofTexts,
  actor: string,
  keyIndex: number,
  publicKey: Uint8Array,
  backend: CryptoBackend,
): EnvelopeFailure | undefined {
  const expected = ledgerMethod(actor, keyIndex);
  const rotation = entry.kind === 'KeyRotated';
  if (entry.proof.verificationMethod !== expected) {
    if (rotation) return { type: 'keyRotationInvalid', problem: `not signed by ${expected}` };
    return { type: 'keyNotLedgers', expected, actual: entry.proof.verificationMethod };
  }
  const result = verifyProofTexts(entry as unknown as JsonObject, texts, { publicKey, backend });
  if (result.ok) return undefined;
  if (rotation)
    return { type: 'keyRotationInvalid', problem: 'not signed by the current key', proof: result.reason };
  return { type: 'badProof', proof: result.reason };
}
