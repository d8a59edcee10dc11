/**
 * C2SP signed-note key strings: `<name>+<hex key ID>+<base64(type || public key)>` for verifier
 * keys, and `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || seed)>` for signer keys, the forms
 * the Go reference implementation reads and writes. A key ID that does not match the key is
 * refused: it is the only check that the three fields belong together.
 */
import { type CryptoBackend, nobleBackend } from './crypto.ts';
import { concatBytes, fromBase64, toBase64 } from './encoding.ts';
import {
  isValidKeyName,
  type NoteSignerKey,
  type NoteVerifierKey,
  noteKeyId,
  SIG_TYPE_COSIGNATURE,
  SIG_TYPE_ED25519,
} from './note.ts';

/** `<name>+<hex key ID>+<base64(type || public key)>`, the verifier key string. */
export function formatVerifierKey(key: NoteVerifierKey): string {
  return `${key.name}+${hex32(key.keyId)}+${toBase64(concatBytes(new Uint8Array([key.type]), key.publicKey))}`;
}

/** `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || seed)>`, the signer key string (type 0x01 only). */
export function formatSignerKey(key: NoteSignerKey): string {
  if (key.type !== SIG_TYPE_ED25519)
    throw new TypeError('signer key strings are defined for Ed25519 (0x01) only');
  return `PRIVATE+KEY+${key.name}+${hex32(key.keyId)}+${toBase64(concatBytes(new Uint8Array([key.type]), key.seed))}`;
}

/** Result of parsing a key string. */
export type KeyResult<K> =
  | { ok: true; key: K }
  | { ok: false; reason: { type: 'malformedKey'; detail: string } };

/** Parses a verifier key string (types 0x01 and 0x04); the key ID must match the key. */
export function parseVerifierKey(
  text: string,
  backend: CryptoBackend = nobleBackend,
): KeyResult<NoteVerifierKey> {
  const parts = splitKey(text);
  if (!parts.ok) return parts;
  const [name, id, encoded] = parts.value;
  const bytes = decodeKeyBytes(encoded);
  if (bytes === undefined) return badKey('key is not a type byte and 32 bytes of base64');
  const type = bytes[0];
  if (type !== SIG_TYPE_ED25519 && type !== SIG_TYPE_COSIGNATURE) return badKey(`unknown key type ${type}`);
  const publicKey = bytes.slice(1);
  return finishKey(name, id, type, publicKey, backend, (key) => key);
}

/** Parses a `PRIVATE+KEY+…` signer key string; the key ID must match the derived public key. */
export function parseSignerKey(
  text: string,
  backend: CryptoBackend = nobleBackend,
): KeyResult<NoteSignerKey> {
  if (!text.startsWith('PRIVATE+KEY+')) return badKey('not a PRIVATE+KEY string');
  const parts = splitKey(text.slice('PRIVATE+KEY+'.length));
  if (!parts.ok) return parts;
  const [name, id, encoded] = parts.value;
  const bytes = decodeKeyBytes(encoded);
  if (bytes === undefined) return badKey('key is not a type byte and 32 bytes of base64');
  if (bytes[0] !== SIG_TYPE_ED25519) return badKey(`unsupported signer key type ${bytes[0]}`);
  const seed = bytes.slice(1);
  const publicKey = backend.publicKey(seed);
  return finishKey(name, id, SIG_TYPE_ED25519, publicKey, backend, (key) => ({ ...key, seed }));
}

// `<name>+<hex id>+<base64>`: the base64 may itself hold `+`, so only the first two separate.
function splitKey(
  text: string,
):
  | { ok: true; value: [string, string, string] }
  | { ok: false; reason: { type: 'malformedKey'; detail: string } } {
  const first = text.indexOf('+');
  const second = first < 0 ? -1 : text.indexOf('+', first + 1);
  if (second < 0) return badKey('expected <name>+<key ID>+<key>');
  return { ok: true, value: [text.slice(0, first), text.slice(first + 1, second), text.slice(second + 1)] };
}

function decodeKeyBytes(encoded: string): Uint8Array | undefined {
  try {
    const bytes = fromBase64(encoded);
    return bytes.length === 33 ? bytes : undefined;
  } catch {
    return undefined;
  }
}

function finishKey<K>(
  name: string,
  id: string,
  type: NoteVerifierKey['type'],
  publicKey: Uint8Array,
  backend: CryptoBackend,
  extend: (key: NoteVerifierKey) => K,
): KeyResult<K> {
  if (!isValidKeyName(name)) return badKey('invalid key name');
  if (!/^[0-9a-f]{8}$/.test(id)) return badKey('key ID is not 8 lowercase hex digits');
  const keyId = Number.parseInt(id, 16);
  if (keyId !== noteKeyId(name, type, publicKey, backend)) return badKey('key ID does not match the key');
  return { ok: true, key: extend({ name, keyId, type, publicKey }) };
}

function badKey(detail: string): { ok: false; reason: { type: 'malformedKey'; detail: string } } {
  return { ok: false, reason: { type: 'malformedKey', detail } };
}

function hex32(value: number): string {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError('key ID is 32 bits');
  return value.toString(16).padStart(8, '0');
}
