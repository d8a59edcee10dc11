/**
 * C2SP tlog-cosignature (https://c2sp.org/tlog-cosignature), `cosignature/v1`: a witness's
 * timestamped Ed25519 signature on a checkpoint, carried as one more signed-note signature line.
 *
 * As this module reads the spec:
 * - key ID: SHA-256(name || 0x0A || 0x04 || public key)[:4] (signature type 0x04);
 * - signed message: "cosignature/v1\n" + "time " + <decimal Unix seconds> + "\n" + the checkpoint
 *   body (the note text, every line including extension lines, with its final newline);
 * - line payload after the key ID: the timestamp as 8 bytes big-endian, then the 64-byte signature.
 * The "cosignature/v1" header is the domain separation: a cosignature can never pass for a log's
 * plain signature, nor the reverse, even with the same key.
 */

import { type Checkpoint, type CheckpointFailure, parseCheckpoint, verifyCheckpoint } from './checkpoint.ts';
import { type CryptoBackend, nobleBackend } from './crypto.ts';
import { bytesEqual, concatBytes, utf8 } from './encoding.ts';
import {
  formatNote,
  type NoteLimits,
  type NoteSignature,
  type NoteSigner,
  type NoteSignerKey,
  type NoteVerifier,
  type NoteVerifierKey,
  parseNote,
  SIG_TYPE_COSIGNATURE,
  type VerifiedNote,
} from './note.ts';

/** Length of a cosignature payload after the key ID: timestamp and signature. */
export const COSIGNATURE_SIZE = 8 + 64;

/** The bytes a witness signs for a checkpoint body (text or its UTF-8 bytes) at `time` (Unix seconds). */
export function cosignedMessage(checkpointText: string | Uint8Array, time: number): Uint8Array {
  checkTime(time);
  const body = typeof checkpointText === 'string' ? utf8(checkpointText) : checkpointText;
  return concatBytes(utf8(`cosignature/v1\ntime ${time}\n`), body);
}

/** A note signer that cosigns at `time` (Unix seconds; the protocol has no clock). */
export function cosignatureSigner(
  key: NoteSignerKey,
  time: number,
  backend: CryptoBackend = nobleBackend,
): NoteSigner {
  if (key.type !== SIG_TYPE_COSIGNATURE) throw new TypeError('not a cosignature (0x04) key');
  checkTime(time);
  const timestamp = u64(time);
  return {
    name: key.name,
    keyId: key.keyId,
    sign: (text) => concatBytes(timestamp, backend.sign(cosignedMessage(text, time), key.seed)),
  };
}

/** A note verifier for a witness's cosignatures (whatever their timestamp). */
export function cosignatureVerifier(
  key: NoteVerifierKey,
  backend: CryptoBackend = nobleBackend,
): NoteVerifier {
  if (key.type !== SIG_TYPE_COSIGNATURE) throw new TypeError('not a cosignature (0x04) key');
  return {
    name: key.name,
    keyId: key.keyId,
    verify(text, payload) {
      const time = cosignatureTime(payload);
      if (time === undefined) return false;
      return backend.verify(payload.subarray(8), cosignedMessage(text, time), key.publicKey);
    },
  };
}

/**
 * The timestamp of a cosignature payload (the bytes after the key ID), or undefined when the payload
 * is not 72 bytes or the time is beyond 2^53 − 1.
 */
export function cosignatureTime(payload: Uint8Array): number | undefined {
  if (payload.length !== COSIGNATURE_SIZE) return undefined;
  const time = new DataView(payload.buffer, payload.byteOffset, 8).getBigUint64(0);
  return time <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(time) : undefined;
}

/**
 * A witness's cosignature line data for a checkpoint body. Throws a TypeError if the text is not
 * a checkpoint: a witness only ever signs checkpoints (the caller has checked consistency first).
 */
export function cosignCheckpoint(
  checkpointText: string,
  key: NoteSignerKey,
  time: number,
  backend: CryptoBackend = nobleBackend,
): NoteSignature {
  const parsed = parseCheckpoint(checkpointText);
  if (!parsed.ok) throw new TypeError(`not a checkpoint: ${parsed.reason.detail}`);
  const signer = cosignatureSigner(key, time, backend);
  return { name: signer.name, keyId: signer.keyId, signature: signer.sign(utf8(checkpointText)) };
}

/**
 * Adds signature lines (a witness's cosignature, say) to a note, keeping its own; a line already
 * present is not repeated. Nothing is verified here: verify the result.
 */
export function addSignatures(
  note: string,
  signatures: readonly NoteSignature[],
  limits: NoteLimits = {},
): { ok: true; note: string } | { ok: false; reason: CheckpointFailure } {
  const parsed = parseNote(note, limits);
  if (!parsed.ok) return parsed;
  const lines = [...parsed.note.signatures];
  for (const signature of signatures) {
    if (!lines.some((line) => sameSignature(line, signature))) lines.push(signature);
  }
  return { ok: true, note: formatNote(parsed.note.text, lines) };
}

/** A cosignature whose signature verified. */
export interface VerifiedCosignature {
  readonly name: string;
  readonly keyId: number;
  /** When the witness says it cosigned, in Unix seconds. */
  readonly time: number;
}

/** Options for {@link verifyCosignedCheckpoint}. */
export interface VerifyCosignedOptions extends NoteLimits {
  logKeys: readonly NoteVerifierKey[];
  /** The witnesses the caller knows (type 0x04 keys). Cosignatures by others are ignored. */
  witnessKeys: readonly NoteVerifierKey[];
  origin?: string;
  backend?: CryptoBackend;
}

/** Result of {@link verifyCosignedCheckpoint}. */
export type CosignedResult =
  | { ok: true; checkpoint: Checkpoint; note: VerifiedNote; cosignatures: readonly VerifiedCosignature[] }
  | { ok: false; reason: CheckpointFailure };

/**
 * Verifies a checkpoint's log signature and the cosignatures of the known witnesses among its
 * lines. Which and how many witnesses are required is the caller's policy, decided on the
 * returned `cosignatures`; a known witness's invalid cosignature rejects the note.
 */
export function verifyCosignedCheckpoint(
  note: string | Uint8Array,
  options: VerifyCosignedOptions,
): CosignedResult {
  const backend = options.backend ?? nobleBackend;
  const witnesses = options.witnessKeys.map((key) => cosignatureVerifier(key, backend));
  const result = verifyCheckpoint(note, { ...options, backend, otherVerifiers: witnesses });
  if (!result.ok) return result;
  const cosignatures: VerifiedCosignature[] = [];
  for (const signature of result.note.verified) {
    if (!options.witnessKeys.some((key) => key.name === signature.name && key.keyId === signature.keyId))
      continue;
    cosignatures.push({
      name: signature.name,
      keyId: signature.keyId,
      time: cosignatureTime(signature.signature) as number,
    });
  }
  return { ...result, cosignatures };
}

function sameSignature(a: NoteSignature, b: NoteSignature): boolean {
  return a.name === b.name && a.keyId === b.keyId && bytesEqual(a.signature, b.signature);
}

function checkTime(time: number): void {
  if (!Number.isSafeInteger(time) || time < 0) throw new RangeError('a cosignature time is Unix seconds ≥ 0');
}

function u64(value: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value));
  return out;
}
