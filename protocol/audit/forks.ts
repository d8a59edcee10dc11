/**
 * Fork detection from the checkpoints an auditor has seen (DESIGN.md §6): two signed checkpoints
 * of one log that cannot both describe one append-only history are evidence of a fork (a split
 * view, or a rewritten past). The history is plain JSON, kept by the caller (a file, a browser's
 * storage); every note in it is verified again before it is believed, so a tampered history can
 * hide nothing and accuse no one.
 */
import { verifyCheckpoint } from '../checkpoint.ts';
import { type CryptoBackend, nobleBackend } from '../crypto.ts';
import { bytesEqual, fromHex, toHex } from '../encoding.ts';
import type { NoteVerifierKey } from '../note.ts';

/** A checkpoint seen before: its signed note, and its size and hex root for quick comparison. */
export interface SeenCheckpoint {
  note: string;
  size: number;
  rootHash: string;
}

/** Checkpoints seen, per log origin line. */
export type CheckpointHistory = Record<string, SeenCheckpoint[]>;

/** Two signed checkpoints of one log that are not consistent. */
export interface ForkEvidence {
  origin: string;
  /** The checkpoint seen before. */
  seen: SeenCheckpoint;
  /** The checkpoint of this audit. */
  current: SeenCheckpoint;
  /** The root the audited entries give at the earlier size, when it was computed. */
  entriesRootAtSeenSize?: string;
}

/** How many checkpoints are kept per log; the largest sizes win. */
export const MAX_SEEN_PER_LOG = 64;

/**
 * The checkpoints of `origin` in `history` whose note verifies with `logKey`; the others are
 * dropped (they prove nothing).
 */
export function trustedSeen(
  history: CheckpointHistory,
  origin: string,
  logKey: NoteVerifierKey,
  backend: CryptoBackend = nobleBackend,
): SeenCheckpoint[] {
  const out: SeenCheckpoint[] = [];
  for (const seen of history[origin] ?? []) {
    if (typeof seen?.note !== 'string') continue;
    const verified = verifyCheckpoint(seen.note, { logKeys: [logKey], origin, backend });
    if (!verified.ok) continue;
    const { size, rootHash } = verified.checkpoint;
    out.push({ note: seen.note, size, rootHash: toHex(rootHash) });
  }
  return out;
}

/**
 * The first fork between checkpoints seen before and the current one. `rootAt(size)` gives the
 * root the audited entries have at an earlier size (undefined when not computed): a seen
 * checkpoint of a smaller size must have that root; one of the same size, the current root. A
 * seen checkpoint larger than the current one cannot be compared without a consistency proof:
 * see {@link newerThanCurrent}.
 */
export function findFork(
  seen: readonly SeenCheckpoint[],
  current: SeenCheckpoint,
  origin: string,
  rootAt: (size: number) => Uint8Array | undefined,
): ForkEvidence | undefined {
  for (const earlier of seen) {
    if (earlier.size > current.size) continue;
    if (earlier.size === current.size) {
      if (earlier.rootHash !== current.rootHash) return { origin, seen: earlier, current };
      continue;
    }
    const root = rootAt(earlier.size);
    if (root === undefined) continue;
    if (!bytesEqual(root, fromHex(earlier.rootHash))) {
      return { origin, seen: earlier, current, entriesRootAtSeenSize: toHex(root) };
    }
  }
  return undefined;
}

/** Seen checkpoints larger than the current one: the log now shows less than it once signed. */
export function newerThanCurrent(seen: readonly SeenCheckpoint[], current: SeenCheckpoint): SeenCheckpoint[] {
  return seen.filter((s) => s.size > current.size);
}

/**
 * The history with `current` recorded for `origin` (a new object; the input is not changed).
 * Keeps at most {@link MAX_SEEN_PER_LOG} checkpoints per log, the largest.
 */
export function recordCheckpoint(
  history: CheckpointHistory,
  origin: string,
  current: SeenCheckpoint,
): CheckpointHistory {
  const list = (history[origin] ?? []).filter((s) => s.note !== current.note);
  list.push(current);
  list.sort((a, b) => a.size - b.size);
  return { ...history, [origin]: list.slice(-MAX_SEEN_PER_LOG) };
}
