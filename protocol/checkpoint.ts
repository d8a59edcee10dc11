/**
 * C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the signed-note text that commits a log
 * to a tree size and root hash.
 *
 *   <origin>\n              a non-empty line naming the log (here the origin given at genesis;
 *                           SPEC.md §6 makes it the key name of the log's signature too)
 *   <tree size>\n           ASCII decimal, no sign, no leading zero (except "0" itself)
 *   <base64 root hash>\n    standard base64 with padding of the 32-byte RFC 9162 root
 *   [<extension line>\n]*   optional, each non-empty; opaque here
 *
 * Sizes are JavaScript numbers: the spec allows up to 2^64 − 1, this implementation refuses sizes
 * above 2^53 − 1 (no ledger gets there) rather than round them.
 */
import { type CryptoBackend, nobleBackend } from './crypto.ts';
import { EncodingError, fromBase64, toBase64 } from './encoding.ts';
import { HASH_SIZE } from './merkle/tree.ts';
import {
  ed25519Signer,
  ed25519Verifier,
  type NoteFailure,
  type NoteLimits,
  type NoteSignerKey,
  type NoteVerifier,
  type NoteVerifierKey,
  noteTextProblem,
  signNote,
  type VerifiedNote,
  verifyNote,
} from './note.ts';

/** A checkpoint's content. */
export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  /** Extension lines, without their newline. */
  readonly extensions: readonly string[];
}

/** Why a checkpoint was refused. */
export type CheckpointFailure =
  | NoteFailure
  | { type: 'malformedCheckpoint'; detail: string }
  | { type: 'originMismatch'; expected: string; actual: string }
  /** Verified signatures exist, but none by the log's key. */
  | { type: 'missingLogSignature' };

/** Result of {@link verifyCheckpoint}. */
export type CheckpointResult =
  | { ok: true; checkpoint: Checkpoint; note: VerifiedNote }
  | { ok: false; reason: CheckpointFailure };

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** The checkpoint body (the note text). Throws a TypeError on a checkpoint that could not parse back. */
export function formatCheckpoint(checkpoint: Checkpoint): string {
  const { origin, size, rootHash, extensions } = checkpoint;
  if (!Number.isSafeInteger(size) || size < 0) throw new TypeError('tree size out of range');
  if (rootHash.length !== HASH_SIZE) throw new TypeError(`a root hash is ${HASH_SIZE} bytes`);
  for (const line of [origin, ...extensions]) {
    if (line.length === 0 || line.includes('\n'))
      throw new TypeError('checkpoint lines are non-empty single lines');
  }
  const text = [origin, String(size), toBase64(rootHash), ...extensions].map((line) => `${line}\n`).join('');
  const problem = noteTextProblem(text);
  if (problem !== undefined) throw new TypeError(problem);
  return text;
}

/** Parses a checkpoint body (the text of a verified note). */
export function parseCheckpoint(
  text: string,
):
  | { ok: true; checkpoint: Checkpoint }
  | { ok: false; reason: { type: 'malformedCheckpoint'; detail: string } } {
  const problem = noteTextProblem(text);
  if (problem !== undefined) return malformed(problem);
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) return malformed('fewer than three lines');
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin.length === 0) return malformed('empty origin');
  if (!DECIMAL.test(sizeText)) return malformed('tree size is not a canonical decimal');
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) return malformed('tree size above 2^53 - 1');
  let rootHash: Uint8Array;
  try {
    rootHash = fromBase64(rootText);
  } catch (error) {
    if (error instanceof EncodingError) return malformed('root hash is not canonical base64');
    throw error;
  }
  if (rootHash.length !== HASH_SIZE) return malformed(`root hash is not ${HASH_SIZE} bytes`);
  if (extensions.some((line) => line.length === 0)) return malformed('empty extension line');
  return { ok: true, checkpoint: { origin, size, rootHash, extensions } };
}

/** Signs a checkpoint with the log's key: the complete note. */
export function signCheckpoint(
  checkpoint: Checkpoint,
  logKey: NoteSignerKey,
  backend: CryptoBackend = nobleBackend,
): string {
  return signNote(formatCheckpoint(checkpoint), [ed25519Signer(logKey, backend)]);
}

/** Options for {@link verifyCheckpoint}. */
export interface VerifyCheckpointOptions extends NoteLimits {
  /** The log's keys (usually one; two during a rotation). A checkpoint needs a valid signature by one. */
  logKeys: readonly NoteVerifierKey[];
  /** When given, the origin line must be exactly this. */
  origin?: string;
  /**
   * Other keys whose signatures are checked too (witness cosignatures, see cosignature.ts): each
   * must then be valid, but none stands in for the log's.
   */
  otherVerifiers?: readonly NoteVerifier[];
  backend?: CryptoBackend;
}

/** Verifies a checkpoint note: the log's signature, then the body. */
export function verifyCheckpoint(
  note: string | Uint8Array,
  options: VerifyCheckpointOptions,
): CheckpointResult {
  const backend = options.backend ?? nobleBackend;
  const logVerifiers = options.logKeys.map((key) => ed25519Verifier(key, backend));
  const verified = verifyNote(note, [...logVerifiers, ...(options.otherVerifiers ?? [])], options);
  if (!verified.ok) return verified;
  const signedByLog = verified.note.verified.some((signature) =>
    options.logKeys.some((key) => key.name === signature.name && key.keyId === signature.keyId),
  );
  if (!signedByLog) return { ok: false, reason: { type: 'missingLogSignature' } };
  const parsed = parseCheckpoint(verified.note.text);
  if (!parsed.ok) return parsed;
  if (options.origin !== undefined && parsed.checkpoint.origin !== options.origin) {
    return {
      ok: false,
      reason: { type: 'originMismatch', expected: options.origin, actual: parsed.checkpoint.origin },
    };
  }
  return { ok: true, checkpoint: parsed.checkpoint, note: verified.note };
}

/** Boolean form of {@link verifyCheckpoint}. */
export function isCheckpointValid(note: string | Uint8Array, options: VerifyCheckpointOptions): boolean {
  return verifyCheckpoint(note, options).ok;
}

function malformed(detail: string): { ok: false; reason: { type: 'malformedCheckpoint'; detail: string } } {
  return { ok: false, reason: { type: 'malformedCheckpoint', detail } };
}
