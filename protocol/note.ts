/**
 * C2SP signed-note (https://c2sp.org/signed-note): a UTF-8 text, a blank line, then signature lines
 * `— <key name> <base64(key ID || signature)>`. Parsing follows the spec and the reference Go
 * implementation (golang.org/x/mod/sumdb/note) rule for rule; where the spec leaves a bound to
 * implementations (note size, signature count) the limits here are the project's, and options.
 *
 * Key IDs are `SHA-256(name || 0x0A || type || public key)[:4]`. A line only selects one of the
 * caller's keys by (name, key ID); the key, never the attacker-controlled line, fixes the algorithm,
 * and since the type is hashed into the ID a line cannot reach a key of another signature type.
 * Key strings: note-keys.ts.
 */
import { type CryptoBackend, nobleBackend } from './crypto.ts';
import { bytesEqual, concatBytes, EncodingError, fromBase64, fromUtf8, toBase64, utf8 } from './encoding.ts';

/** Signature type byte of plain Ed25519 note signatures (signed-note §Signature types). */
export const SIG_TYPE_ED25519 = 0x01;
/** Signature type byte of timestamped Ed25519 witness cosignatures (tlog-cosignature). */
export const SIG_TYPE_COSIGNATURE = 0x04;

/** Default bound on a whole note, in UTF-8 bytes: checkpoints are a few hundred bytes. */
export const MAX_NOTE_BYTES = 64 * 1024;
/** Default bound on signature lines, as in the Go implementation. */
export const MAX_SIGNATURES = 100;

const SIGNATURE_PREFIX = '\u2014 '; // em dash, space
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point (signed-note forbids them)
const CONTROL = /[\u0000-\u0009\u000b-\u001f]/u;
const WHITE_SPACE = /\p{White_Space}/u;

/** An Ed25519 public key with its note name (the key name of its signature lines). */
export interface NoteVerifierKey {
  readonly name: string;
  /** The 4-byte key ID as an unsigned 32-bit integer. */
  readonly keyId: number;
  readonly type: typeof SIG_TYPE_ED25519 | typeof SIG_TYPE_COSIGNATURE;
  readonly publicKey: Uint8Array;
}

/** A signing key: the verifier key and its 32-byte seed. */
export interface NoteSignerKey extends NoteVerifierKey {
  readonly seed: Uint8Array;
}

/** One signature line: the key name, the key ID and the signature bytes after the key ID. */
export interface NoteSignature {
  readonly name: string;
  readonly keyId: number;
  readonly signature: Uint8Array;
}

/** Checks the signature bytes of a line against the note text (UTF-8 bytes). */
export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  verify(text: Uint8Array, signature: Uint8Array): boolean;
}

/** Makes the signature bytes (after the key ID) of a line, over the note text (UTF-8 bytes). */
export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  sign(text: Uint8Array): Uint8Array;
}

/** Why a note or a key string was refused. */
export type NoteFailure =
  | { type: 'tooLarge'; limit: number }
  | { type: 'malformedNote'; detail: string }
  | { type: 'malformedSignature'; line: number; detail: string }
  | { type: 'tooManySignatures'; limit: number }
  | { type: 'ambiguousKey'; name: string; keyId: number }
  | { type: 'invalidSignature'; name: string; keyId: number }
  | { type: 'noKnownSignature' };

/** A note split into its text and its signature lines, nothing verified. */
export interface ParsedNote {
  /** The signed text, ending in a newline. */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

/** A note with the signatures of known keys checked. */
export interface VerifiedNote extends ParsedNote {
  /** Valid signatures by the known keys, one per key, in note order. */
  readonly verified: readonly NoteSignature[];
  /** Signatures by unknown keys, ignored as the spec requires (identical lines once). */
  readonly unverified: readonly NoteSignature[];
}

/** Limits on parsed notes. */
export interface NoteLimits {
  maxBytes?: number;
  maxSignatures?: number;
}

/** `SHA-256(name || 0x0A || type || publicKey)[:4]` as an unsigned 32-bit integer. */
export function noteKeyId(
  name: string,
  type: number,
  publicKey: Uint8Array,
  backend: CryptoBackend = nobleBackend,
): number {
  const digest = backend.sha256(concatBytes(utf8(name), new Uint8Array([0x0a, type]), publicKey));
  return new DataView(digest.buffer, digest.byteOffset, 4).getUint32(0);
}

/**
 * Signed-note §Format: a key name is non-empty UTF-8 without Unicode white space or `+` (the key
 * string separator). Control characters are refused too: no note carrying them could parse.
 */
export function isValidKeyName(name: string): boolean {
  return (
    name.length > 0 &&
    name.isWellFormed() &&
    !WHITE_SPACE.test(name) &&
    !name.includes('+') &&
    !CONTROL.test(name)
  );
}

/** A key pair from a 32-byte seed; `type` is 0x01 for a log or 0x04 for a witness. */
export function noteKeyFromSeed(
  name: string,
  seed: Uint8Array,
  type: NoteVerifierKey['type'] = SIG_TYPE_ED25519,
  backend: CryptoBackend = nobleBackend,
): NoteSignerKey {
  if (!isValidKeyName(name)) throw new TypeError('invalid key name');
  if (seed.length !== 32) throw new RangeError('an Ed25519 seed is 32 bytes');
  const publicKey = backend.publicKey(seed);
  return { name, keyId: noteKeyId(name, type, publicKey, backend), type, publicKey, seed: seed.slice() };
}

/** The public half of a signer key. */
export function verifierKeyOf(key: NoteVerifierKey): NoteVerifierKey {
  return { name: key.name, keyId: key.keyId, type: key.type, publicKey: key.publicKey };
}

/** Plain Ed25519 verifier (type 0x01): the signature is over the note text. */
export function ed25519Verifier(key: NoteVerifierKey, backend: CryptoBackend = nobleBackend): NoteVerifier {
  if (key.type !== SIG_TYPE_ED25519) throw new TypeError('not an Ed25519 (0x01) note key');
  return {
    name: key.name,
    keyId: key.keyId,
    verify: (text, signature) => backend.verify(signature, text, key.publicKey),
  };
}

/** Plain Ed25519 signer (type 0x01). */
export function ed25519Signer(key: NoteSignerKey, backend: CryptoBackend = nobleBackend): NoteSigner {
  if (key.type !== SIG_TYPE_ED25519) throw new TypeError('not an Ed25519 (0x01) note key');
  return { name: key.name, keyId: key.keyId, sign: (text) => backend.sign(text, key.seed) };
}

/**
 * Why `text` cannot be a note text, or undefined: it must be non-empty, end with a newline and
 * hold no control character but newline (signed-note §Format), and be well-formed Unicode.
 */
export function noteTextProblem(text: string): string | undefined {
  if (text.length === 0) return 'empty text';
  if (!text.endsWith('\n')) return 'text does not end with a newline';
  if (!text.isWellFormed()) return 'text is not well-formed Unicode';
  if (CONTROL.test(text)) return 'control character in text';
  return undefined;
}

/** The signature line for `signature`, newline included. */
export function formatSignatureLine(signature: NoteSignature): string {
  if (!isValidKeyName(signature.name)) throw new TypeError('invalid key name');
  const payload = concatBytes(u32(signature.keyId), signature.signature);
  return `${SIGNATURE_PREFIX}${signature.name} ${toBase64(payload)}\n`;
}

/** Assembles a note from its text and signatures (for instance to add a witness's cosignature). */
export function formatNote(text: string, signatures: readonly NoteSignature[]): string {
  const problem = noteTextProblem(text);
  if (problem !== undefined) throw new TypeError(problem);
  if (signatures.length === 0) throw new TypeError('a note has at least one signature');
  return `${text}\n${signatures.map(formatSignatureLine).join('')}`;
}

/** Signs `text` with each signer, in order. Throws a TypeError if `text` cannot be a note text. */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  const problem = noteTextProblem(text);
  if (problem !== undefined) throw new TypeError(problem);
  const bytes = utf8(text);
  return formatNote(
    text,
    signers.map((signer) => ({ name: signer.name, keyId: signer.keyId, signature: signer.sign(bytes) })),
  );
}

/**
 * Splits a note into text and signature lines, strictly, verifying nothing. The text ends at the
 * last blank line: signature lines never hold two newlines in a row, so that split is unambiguous.
 */
export function parseNote(
  note: string | Uint8Array,
  limits: NoteLimits = {},
): { ok: true; note: ParsedNote } | { ok: false; reason: NoteFailure } {
  const maxBytes = limits.maxBytes ?? MAX_NOTE_BYTES;
  const maxSignatures = limits.maxSignatures ?? MAX_SIGNATURES;
  let message: string;
  if (typeof note === 'string') {
    // A UTF-8 byte is at most one UTF-16 unit, so the cheap test first.
    if (note.length > maxBytes || utf8(note).length > maxBytes)
      return failN({ type: 'tooLarge', limit: maxBytes });
    if (!note.isWellFormed()) return malformed('not well-formed Unicode');
    message = note;
  } else {
    if (note.length > maxBytes) return failN({ type: 'tooLarge', limit: maxBytes });
    try {
      message = fromUtf8(note);
    } catch {
      return malformed('not UTF-8');
    }
  }
  if (CONTROL.test(message)) return malformed('control character');
  const split = message.lastIndexOf('\n\n');
  if (split < 0) return malformed('no blank line before the signatures');
  const text = message.slice(0, split + 1);
  const block = message.slice(split + 2);
  if (block.length === 0 || !block.endsWith('\n'))
    return malformed('signature block missing or unterminated');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > maxSignatures) return failN({ type: 'tooManySignatures', limit: maxSignatures });
  const signatures: NoteSignature[] = [];
  for (const [i, line] of lines.entries()) {
    const parsed = parseSignatureLine(line);
    if (typeof parsed === 'string') return failN({ type: 'malformedSignature', line: i, detail: parsed });
    signatures.push(parsed);
  }
  return { ok: true, note: { text, signatures } };
}

/**
 * Parses and verifies a note against the verifiers the caller trusts. Signatures by unknown keys
 * are ignored; a signature by a known key that does not verify rejects the note (as the Go
 * implementation does: a known key never signs garbage by accident); at least one known key must
 * have signed. A known key's repeated signatures count once, the first deciding.
 */
export function verifyNote(
  note: string | Uint8Array,
  verifiers: readonly NoteVerifier[],
  limits: NoteLimits = {},
): { ok: true; note: VerifiedNote } | { ok: false; reason: NoteFailure } {
  const parsed = parseNote(note, limits);
  if (!parsed.ok) return parsed;
  const byId = new Map<string, NoteVerifier>();
  for (const verifier of verifiers) {
    const id = `${verifier.name}+${verifier.keyId}`;
    if (byId.has(id)) return failN({ type: 'ambiguousKey', name: verifier.name, keyId: verifier.keyId });
    byId.set(id, verifier);
  }
  const textBytes = utf8(parsed.note.text);
  const verified: NoteSignature[] = [];
  const unverified: NoteSignature[] = [];
  const seen = new Set<string>();
  for (const signature of parsed.note.signatures) {
    const id = `${signature.name}+${signature.keyId}`;
    const verifier = byId.get(id);
    if (verifier === undefined) {
      if (!unverified.some((other) => sameSignature(other, signature))) unverified.push(signature);
      continue;
    }
    if (seen.has(id)) continue;
    seen.add(id);
    if (!verifier.verify(textBytes, signature.signature)) {
      return failN({ type: 'invalidSignature', name: signature.name, keyId: signature.keyId });
    }
    verified.push(signature);
  }
  if (verified.length === 0) return failN({ type: 'noKnownSignature' });
  return { ok: true, note: { ...parsed.note, verified, unverified } };
}

/** Boolean form of {@link verifyNote}. */
export function isNoteValid(note: string | Uint8Array, verifiers: readonly NoteVerifier[]): boolean {
  return verifyNote(note, verifiers).ok;
}

function parseSignatureLine(line: string): NoteSignature | string {
  if (!line.startsWith(SIGNATURE_PREFIX)) return 'line does not start with an em dash and a space';
  const rest = line.slice(SIGNATURE_PREFIX.length);
  const space = rest.indexOf(' ');
  if (space < 0) return 'no space between key name and signature';
  const name = rest.slice(0, space);
  const encoded = rest.slice(space + 1);
  if (!isValidKeyName(name)) return 'invalid key name';
  let payload: Uint8Array;
  try {
    payload = fromBase64(encoded);
  } catch (error) {
    if (error instanceof EncodingError) return 'signature is not canonical base64';
    throw error;
  }
  // Four bytes of key ID and at least one of signature (signed-note §Format, as Go checks).
  if (payload.length < 5) return 'signature too short';
  return {
    name,
    keyId: new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0),
    signature: payload.slice(4),
  };
}

function sameSignature(a: NoteSignature, b: NoteSignature): boolean {
  return a.name === b.name && a.keyId === b.keyId && bytesEqual(a.signature, b.signature);
}

function malformed(detail: string): { ok: false; reason: NoteFailure } {
  return failN({ type: 'malformedNote', detail });
}

function failN(reason: NoteFailure): { ok: false; reason: NoteFailure } {
  return { ok: false, reason };
}

function u32(value: number): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError('key ID is 32 bits');
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}
