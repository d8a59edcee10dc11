/**
 * What an auditor reads around the entries: the actor document (an ActivityPub actor, or line 1
 * of a bulk export) for the keys it asserts, and the checkpoint line that ends a bulk export.
 * A key counts only if the actor lists it in `assertionMethod` as an FEP-521a Multikey that it
 * controls: a key merely mentioned elsewhere in the document proves nothing.
 */
import type { AssertedKey } from './inclusion.ts';

/** The actor as far as an audit needs it. */
export interface AuditedActor {
  id: string;
  /** Keys in `assertionMethod`, in order. */
  keys: AssertedKey[];
  /** The outbox URL, when the document names one. */
  outbox?: string;
}

/** Result of {@link parseActorDocument}. */
export type ActorParse = { ok: true; actor: AuditedActor } | { ok: false; problem: string };

/**
 * Reads an actor document: `id`, and the Multikeys of `assertionMethod` (an object or an array of
 * them, as JSON-LD compaction leaves either) whose `controller` is the actor and whose id is one
 * of the actor's fragments. Keys given only by reference are not counted (they would need a
 * fetch that the document does not vouch for).
 */
export function parseActorDocument(value: unknown): ActorParse {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, problem: 'the actor document is not a JSON object' };
  const doc = value as Record<string, unknown>;
  if (typeof doc.id !== 'string' || !/^https?:\/\//.test(doc.id))
    return { ok: false, problem: 'the actor document has no http(s) id' };
  const id = doc.id;
  const methods = Array.isArray(doc.assertionMethod) ? doc.assertionMethod : [doc.assertionMethod];
  const keys: AssertedKey[] = [];
  for (const method of methods) {
    if (typeof method !== 'object' || method === null) continue;
    const m = method as Record<string, unknown>;
    if (m.type !== 'Multikey' || typeof m.publicKeyMultibase !== 'string' || typeof m.id !== 'string')
      continue;
    if (m.controller !== id || !m.id.startsWith(`${id}#`)) continue;
    keys.push({ id: m.id, publicKeyMultibase: m.publicKeyMultibase });
  }
  if (keys.length === 0) return { ok: false, problem: 'the actor asserts no Multikey (assertionMethod)' };
  const outbox = typeof doc.outbox === 'string' ? doc.outbox : undefined;
  return { ok: true, actor: { id, keys, ...(outbox === undefined ? {} : { outbox }) } };
}

/** Result of {@link parseCheckpointLine}. */
export type CheckpointLineParse = { ok: true; note: string } | { ok: false; problem: string };

/** Reads the last line of a bulk export, `{"note":…,"type":"Checkpoint"}`, to its note text. */
export function parseCheckpointLine(value: unknown): CheckpointLineParse {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, problem: 'the last line is not a checkpoint object' };
  const line = value as Record<string, unknown>;
  if (line.type !== 'Checkpoint' || typeof line.note !== 'string')
    return { ok: false, problem: 'the last line is not {"note":…,"type":"Checkpoint"}' };
  return { ok: true, note: line.note };
}
