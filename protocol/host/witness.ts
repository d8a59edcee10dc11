/**
 * The witness's check before it cosigns a collective's checkpoint (C2SP tlog-cosignature): the
 * note is signed by the collective's log key under its origin, and the new tree is consistent
 * with the last one this witness cosigned (RFC 9162 consistency proof). Two signed checkpoints
 * that cannot both be true are the evidence the witness keeps: same size with another root is a
 * fork outright; a proof that fails between two sizes is kept too, flagged as such, since only
 * the log could have made a valid one.
 */
import {
  type Checkpoint,
  type CheckpointFailure,
  formatCheckpoint,
  verifyCheckpoint,
} from '../checkpoint.ts';
import { cosignCheckpoint } from '../cosignature.ts';
import { type CryptoBackend, nobleBackend } from '../crypto.ts';
import { bytesEqual } from '../encoding.ts';
import { type ConsistencyFailure, verifyConsistency } from '../merkle/verify.ts';
import { formatSignatureLine, type NoteSignerKey, type NoteVerifierKey } from '../note.ts';

/** The last checkpoint a witness cosigned for a log. */
export interface CosignedState {
  size: number;
  rootHash: Uint8Array;
  /** The signed note as received (the log's signature on it is the evidence). */
  note: string;
}

/** Why a witness refuses to cosign. */
export type WitnessFailure =
  | { type: 'checkpoint'; failure: CheckpointFailure }
  /** Older than what was cosigned: nothing to sign (C2SP answers 409 with the size it has). */
  | { type: 'stale'; size: number; cosignedSize: number }
  /** Same size, another root: a fork, proven by the two signed notes alone. */
  | { type: 'fork' }
  /** The consistency proof from the cosigned size does not verify. */
  | { type: 'inconsistent'; failure: ConsistencyFailure };

/** Result of {@link checkForCosigning}. */
export type WitnessCheck =
  | { ok: true; checkpoint: Checkpoint; unchanged: boolean }
  | { ok: false; reason: WitnessFailure; checkpoint?: Checkpoint };

/** What the witness is asked to check. */
export interface WitnessInput {
  /** The signed checkpoint note. */
  note: string;
  /** Consistency proof from `last.size` to the note's size (empty when there is no `last`). */
  proof: readonly Uint8Array[];
  /** The log's checkpoint key (type 0x01) and origin, from the collective's genesis. */
  logKey: NoteVerifierKey;
  origin: string;
  /** The last checkpoint this witness cosigned for the log, if any. */
  last?: CosignedState;
  backend?: CryptoBackend;
}

/** Checks a checkpoint for cosigning; `unchanged` when it is the one already cosigned. */
export function checkForCosigning(input: WitnessInput): WitnessCheck {
  const backend = input.backend ?? nobleBackend;
  const verified = verifyCheckpoint(input.note, { logKeys: [input.logKey], origin: input.origin, backend });
  if (!verified.ok) return { ok: false, reason: { type: 'checkpoint', failure: verified.reason } };
  const checkpoint = verified.checkpoint;
  const last = input.last;
  if (last === undefined || last.size === 0) {
    // Nothing to be consistent with: a tree grows from the empty tree by definition.
    return { ok: true, checkpoint, unchanged: false };
  }
  if (checkpoint.size < last.size) {
    return {
      ok: false,
      checkpoint,
      reason: { type: 'stale', size: checkpoint.size, cosignedSize: last.size },
    };
  }
  if (checkpoint.size === last.size) {
    return bytesEqual(checkpoint.rootHash, last.rootHash)
      ? { ok: true, checkpoint, unchanged: true }
      : { ok: false, checkpoint, reason: { type: 'fork' } };
  }
  const consistent = verifyConsistency(
    {
      oldSize: last.size,
      newSize: checkpoint.size,
      oldRoot: last.rootHash,
      newRoot: checkpoint.rootHash,
      proof: input.proof,
    },
    backend,
  );
  if (!consistent.ok)
    return { ok: false, checkpoint, reason: { type: 'inconsistent', failure: consistent.reason } };
  return { ok: true, checkpoint, unchanged: false };
}

/**
 * The witness's cosignature line (`— <name> <base64>\n`) for a checked checkpoint at `time` (Unix
 * seconds), ready to append to the note's signature lines.
 */
export function cosignatureLine(
  checkpoint: Checkpoint,
  witnessKey: NoteSignerKey,
  time: number,
  backend: CryptoBackend = nobleBackend,
): string {
  return formatSignatureLine(cosignCheckpoint(formatCheckpoint(checkpoint), witnessKey, time, backend));
}
