/**
 * Ledger entries that arrive from other nodes (`Create{Note}` in our inbox) are verified before
 * anything stores or shows them: the entry has its kind's closed shape, it is the signer's own
 * (attributed to the actor whose HTTP signature Fedify checked, and at that actor's ledger URL),
 * the key its proof names is one the actor's own document lists in `assertionMethod` with the
 * actor as controller (a valid proof by another actor's key proves nothing about this one), and
 * the eddsa-jcs-2022 proof verifies with that key. The actor document is fetched by its id and
 * must carry that id (CVE-2024-23832), never taken from the activity.
 */
import type { InboxContext } from '@fedify/fedify';
import type { Create } from '@fedify/vocab';
import { validateEntry } from '../../protocol/entry/schemas.ts';
import type { SignedEntry } from '../../protocol/entry/types.ts';
import type { JsonObject } from '../../protocol/jcs.ts';
import { decodeMultikey } from '../../protocol/multikey.ts';
import { type ProofFailure, verifyProof } from '../../protocol/proof.ts';

type Raw = Record<string, unknown>;

/** Why a remote entry was refused. */
export type RemoteEntryFailure =
  | { type: 'notAnEntry'; reason: unknown }
  | { type: 'actorMismatch'; signer: string; attributedTo: unknown }
  | { type: 'idNotOfActor'; id: unknown }
  | { type: 'actorUnavailable'; actor: string; message: string }
  | { type: 'keyNotOfActor'; verificationMethod: unknown }
  | { type: 'badProof'; reason: ProofFailure };

/** The verdict on a remote entry. */
export type RemoteEntryResult =
  | { ok: true; entry: SignedEntry; verificationMethod: string }
  | { ok: false; reason: RemoteEntryFailure };

function isObject(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The `assertionMethod` entries of an actor document, as objects (ids alone are not keys). */
function assertionMethods(actorDocument: Raw): Raw[] {
  const value = actorDocument.assertionMethod;
  return (Array.isArray(value) ? value : [value]).filter(isObject);
}

/**
 * Verifies `entry`, sent by `signer` (the actor whose HTTP signature was checked), against
 * `actorDocument`, the signer's actor document as fetched from its id.
 */
export function verifyRemoteEntry(entry: unknown, signer: string, actorDocument: unknown): RemoteEntryResult {
  const shape = validateEntry(entry);
  if (!shape.ok) return { ok: false, reason: { type: 'notAnEntry', reason: shape.reason } };
  const signed = entry as SignedEntry;
  if (signed.attributedTo !== signer) {
    return { ok: false, reason: { type: 'actorMismatch', signer, attributedTo: signed.attributedTo } };
  }
  if (signed.id !== `${signer}/ledger/${signed.seq}`) {
    return { ok: false, reason: { type: 'idNotOfActor', id: signed.id } };
  }
  if (!isObject(actorDocument) || actorDocument.id !== signer) {
    const message = 'the fetched actor document does not carry the actor id';
    return { ok: false, reason: { type: 'actorUnavailable', actor: signer, message } };
  }
  const verificationMethod = signed.proof.verificationMethod;
  const method = assertionMethods(actorDocument).find(
    (m) => m.id === verificationMethod && m.controller === signer && m.type === 'Multikey',
  );
  const decoded =
    typeof method?.publicKeyMultibase === 'string' ? decodeMultikey(method.publicKeyMultibase) : undefined;
  if (decoded === undefined || !decoded.ok) {
    return { ok: false, reason: { type: 'keyNotOfActor', verificationMethod } };
  }
  const proof = verifyProof(entry as JsonObject, { publicKey: decoded.publicKey, verificationMethod });
  if (!proof.ok) return { ok: false, reason: { type: 'badProof', reason: proof.reason } };
  return { ok: true, entry: signed, verificationMethod };
}

/** Thin boolean wrapper of {@link verifyRemoteEntry}. */
export function isRemoteEntryValid(entry: unknown, signer: string, actorDocument: unknown): boolean {
  return verifyRemoteEntry(entry, signer, actorDocument).ok;
}

/** True when `object` claims to be a ledger entry (a Note with a kind or a proof), not a plain post. */
export function isLedgerNote(object: unknown): boolean {
  return isObject(object) && object.type === 'Note' && ('kind' in object || 'proof' in object);
}

/**
 * Checks the entry of a received `Create` (its JSON as sent) from `signer`, loading the actor
 * document with `loadActor`.
 */
export async function checkRemoteEntry(
  create: Raw,
  signer: string,
  loadActor: (id: string) => Promise<unknown>,
): Promise<RemoteEntryResult> {
  if (create.actor !== signer) {
    return { ok: false, reason: { type: 'actorMismatch', signer, attributedTo: create.actor } };
  }
  let actorDocument: unknown;
  try {
    actorDocument = await loadActor(signer);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, reason: { type: 'actorUnavailable', actor: signer, message } };
  }
  return verifyRemoteEntry(create.object, signer, actorDocument);
}

/** What {@link onRemoteEntry} tells its caller. */
export interface RemoteEntryHandlers {
  /** A verified entry: only now may it be stored or shown. */
  onEntry: (entry: SignedEntry, create: Raw) => void | Promise<void>;
  /** A refused one (logged by the node; never stored). */
  onRefused: (reason: RemoteEntryFailure, create: Raw) => void | Promise<void>;
}

/**
 * The inbox side for `Create{Note}` carrying a ledger entry: Fedify has checked the HTTP signature
 * and that its key is the activity's `actor`; this verifies the entry itself. Plain Notes (posts
 * that claim no ledger entry) are left alone. The actor document is read with the context's
 * loader (signed by our instance actor on the shared inbox).
 */
export async function onRemoteEntry(
  ctx: InboxContext<unknown>,
  create: Create,
  handlers: RemoteEntryHandlers,
): Promise<void> {
  // Fedify keeps the JSON as received: the entry's members are the signed ones.
  const raw = (await create.toJsonLd()) as Raw;
  if (!isLedgerNote(raw.object)) return;
  const signer = create.actorId?.href;
  if (signer === undefined) return;
  const result = await checkRemoteEntry(raw, signer, async (id) => (await ctx.documentLoader(id)).document);
  if (result.ok) await handlers.onEntry(result.entry, raw);
  else await handlers.onRefused(result.reason, raw);
}
