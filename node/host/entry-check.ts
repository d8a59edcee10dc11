/**
 * One ledger entry received on its own (an `ExpenseApproved` to countersign, a `HostLeft` or
 * `MemberLeft` ending a membership), checked before anything is done with it: its closed schema,
 * its kind, its author, and its proof against the author's ledger key, which the caller resolved
 * from somewhere it trusts (the author's actor document, the collective's `HostJoined`), never
 * from the entry. Only the protocol's own checks, put together; no I/O.
 */
import { type CryptoBackend, nobleBackend } from '../../protocol/crypto.ts';
import { type SchemaResult, validateEntry } from '../../protocol/entry/schemas.ts';
import type { EntryKind, SignedEntry } from '../../protocol/entry/types.ts';
import type { JsonObject } from '../../protocol/jcs.ts';
import { type ProofFailure, verifyProof } from '../../protocol/proof.ts';

/** Why an entry received on its own does not stand. */
export type EntryCheckProblem =
  | Extract<SchemaResult, { ok: false }>['reason']
  | { type: 'wrongKind'; expected: EntryKind; actual: string }
  | { type: 'wrongAuthor'; expected: string; actual: string }
  | { type: 'wrongSigner'; expected: string; actual: string }
  | { type: 'proof'; proof: ProofFailure };

/** Result of {@link checkEntry}. */
export type EntryCheck<K extends EntryKind> =
  | { ok: true; entry: SignedEntry<K> }
  | { ok: false; problem: EntryCheckProblem };

/**
 * Checks that `value` is a signed entry of `kind` by `author` (its `attributedTo`, and the actor of
 * its proof's verification method) whose proof verifies with `publicKey`.
 */
export function checkEntry<K extends EntryKind>(
  value: unknown,
  kind: K,
  author: { id: string; publicKey: Uint8Array },
  backend: CryptoBackend = nobleBackend,
): EntryCheck<K> {
  const fail = (problem: EntryCheckProblem): EntryCheck<K> => ({ ok: false, problem });
  const schema = validateEntry(value);
  if (!schema.ok) return fail(schema.reason);
  const entry = value as SignedEntry<K>;
  if (entry.kind !== kind) return fail({ type: 'wrongKind', expected: kind, actual: entry.kind });
  if (entry.attributedTo !== author.id)
    return fail({ type: 'wrongAuthor', expected: author.id, actual: entry.attributedTo });
  const method = entry.proof.verificationMethod;
  if (!method.startsWith(`${author.id}#`))
    return fail({ type: 'wrongSigner', expected: `${author.id}#…`, actual: method });
  const proof = verifyProof(entry as unknown as JsonObject, { publicKey: author.publicKey, backend });
  return proof.ok ? { ok: true, entry } : fail({ type: 'proof', proof: proof.reason });
}
