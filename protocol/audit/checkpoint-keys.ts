/**
 * Whose signatures a ledger's checkpoint carries: the log's own (the checkpoint key its genesis
 * declares, named by its origin line) and its declared host's cosignature.
 */
import { verifyCosignedCheckpoint } from '../cosignature.ts';
import { type CryptoBackend, nobleBackend } from '../crypto.ts';
import type { SignedEntry } from '../entry/types.ts';
import { decodeMultikey } from '../multikey.ts';
import {
  type NoteVerifierKey,
  noteKeyId,
  parseNote,
  SIG_TYPE_COSIGNATURE,
  SIG_TYPE_ED25519,
} from '../note.ts';
import type { AuditFailure } from './ledger.ts';

/** A signature line of the checkpoint, and whose it proved to be. */
export interface CheckpointSignature {
  name: string;
  keyId: number;
  /** `log`: the ledger's checkpoint key; `host`: the declared host's cosignature; `unknown`: not checked. */
  by: 'log' | 'host' | 'unknown';
  /** Unix seconds, for a host cosignature. */
  time?: number;
}

/** The checkpoint key a genesis entry declares, as a signed-note verifier key named by its origin. */
export function checkpointKeyOf(
  genesis: SignedEntry<'Genesis'>,
  backend: CryptoBackend = nobleBackend,
): NoteVerifierKey {
  const decoded = decodeMultikey(genesis.checkpointKey);
  // The chain verifier refuses a genesis whose checkpoint key does not decode.
  if (!decoded.ok) throw new TypeError('the genesis checkpoint key does not decode');
  const name = genesis.origin;
  return {
    name,
    keyId: noteKeyId(name, SIG_TYPE_ED25519, decoded.publicKey, backend),
    type: SIG_TYPE_ED25519,
    publicKey: decoded.publicKey,
  };
}

/**
 * Names the signature lines of `note` (already verified with `logKey`), checking the cosignature
 * of `host` (the ledger's declared host) when there is one. The host's witness key is taken to be
 * its ledger key (`HostJoined.hostKey`) under the host's actor id without its scheme as key name.
 * TODO(host): confirm the witness key and name once the host node publishes them.
 */
export function nameSignatures(
  note: string,
  logKey: NoteVerifierKey,
  host: { id: string; key: string } | undefined,
  backend: CryptoBackend,
): CheckpointSignature[] | AuditFailure {
  const parsed = parseNote(note);
  if (!parsed.ok) return { type: 'checkpointInvalid', problem: parsed.reason };
  let witness: NoteVerifierKey | undefined;
  if (host !== undefined) {
    const key = decodeMultikey(host.key);
    const name = host.id.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
    if (key.ok) {
      const keyId = noteKeyId(name, SIG_TYPE_COSIGNATURE, key.publicKey, backend);
      witness = { name, keyId, type: SIG_TYPE_COSIGNATURE, publicKey: key.publicKey };
    }
  }
  const times = new Map<string, number>();
  if (witness !== undefined) {
    const cosigned = verifyCosignedCheckpoint(note, { logKeys: [logKey], witnessKeys: [witness], backend });
    if (!cosigned.ok) return { type: 'cosignatureInvalid', witness: witness.name, problem: cosigned.reason };
    for (const c of cosigned.cosignatures) times.set(`${c.name} ${c.keyId}`, c.time);
  }
  return parsed.note.signatures.map((signature) => {
    const { name, keyId } = signature;
    if (name === logKey.name && keyId === logKey.keyId) return { name, keyId, by: 'log' as const };
    const time = times.get(`${name} ${keyId}`);
    if (time !== undefined) return { name, keyId, by: 'host' as const, time };
    return { name, keyId, by: 'unknown' as const };
  });
}
