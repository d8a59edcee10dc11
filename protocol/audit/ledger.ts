/**
 * A whole-ledger audit, streamed: every entry through the chain verifier (chain.ts), its leaf into
 * the RFC 9162 tree, the keys against the ones the actor asserts, and at the end the checkpoint's
 * signature (the genesis checkpoint key), size and root, with the cosignature of the ledger's host
 * where the checkpoint carries one. Memory stays constant apart from the chain verifier's own
 * (open expenses and contributions) and a root per size the caller asks about.
 *
 * Signature questions go through a {@link SignatureCheck}, so that a caller may answer them
 * later on other threads (see signatures.ts), and signatures of a trusted prefix (covered by a
 * checkpoint verified before) are not asked at all: the prefix's root ties those bytes to it.
 * Matching the ledger with its host's (each money entry's twin) is reconcile.ts's, over two audits.
 */

import { type ChainFailure, ChainVerifier, type ChainVerifierOptions } from '../chain.ts';
import type { SnapshotFailure } from '../chain-snapshot.ts';
import { type Checkpoint, type CheckpointFailure, verifyCheckpoint } from '../checkpoint.ts';
import { type CryptoBackend, nobleBackend } from '../crypto.ts';
import { bytesEqual, fromHex, toHex } from '../encoding.ts';
import type { SignedEntry } from '../entry/types.ts';
import type { JsonObject } from '../jcs.ts';
import {
  appendLeaf,
  decodeTreeState,
  EMPTY_TREE,
  encodeTreeState,
  type TreeNode,
  type TreeState,
  treeRoot,
} from '../merkle/tree.ts';
import type { NoteVerifierKey } from '../note.ts';
import { type CheckpointSignature, checkpointKeyOf, nameSignatures } from './checkpoint-keys.ts';
import { checkingBackend, type SignatureCheck } from './signatures.ts';
import { auditStateOfBytes } from './state-bytes.ts';
import { type AuditSummary, toSummary } from './summary.ts';

export { type CheckpointSignature, checkpointKeyOf } from './checkpoint-keys.ts';
export type { AuditSummary, AuditTotals } from './summary.ts';

/** Why an audit fails. Entry failures carry the seq of the first failing entry. */
export type AuditFailure =
  | ChainFailure
  /** The line is not its entry's canonical (JCS) bytes: the entry was re-serialised. */
  | { type: 'notCanonical'; seq: number }
  /** A ledger key (genesis or rotated) that the actor document does not list in `assertionMethod`. */
  | { type: 'keyNotAsserted'; seq: number; key: string }
  | { type: 'emptyLedger' }
  | { type: 'checkpointInvalid'; problem: CheckpointFailure }
  /** The checkpoint does not cover exactly the entries: `seq` is the first missing or extra one. */
  | { type: 'checkpointSize'; seq: number; entries: number; checkpointSize: number }
  | { type: 'rootMismatch'; size: number; checkpointRoot: string; entriesRoot: string }
  /** The entries do not extend a checkpoint trusted before (`--since`): a rewritten history. */
  | { type: 'notConsistent'; size: number; trustedRoot: string; entriesRoot?: string }
  | { type: 'cosignatureInvalid'; witness: string; problem: CheckpointFailure };

/** Result of {@link LedgerAudit.finish}. */
export type AuditResult =
  | {
      ok: true;
      summary: AuditSummary;
      checkpoint: Checkpoint;
      /** Hex root of the entries, equal to the checkpoint's. */
      rootHash: string;
      signatures: CheckpointSignature[];
    }
  | { ok: false; failure: AuditFailure; summary?: AuditSummary };

/** Result of pushing one entry. */
export type AuditStep =
  | { ok: true; seq: number; leafHash: Uint8Array; nodes: readonly TreeNode[] }
  | { ok: false; failure: AuditFailure };

/** Options for {@link LedgerAudit}. */
export interface LedgerAuditOptions {
  /** Hashing, checkpoint signatures, and signature questions unless `check` answers them. */
  backend?: CryptoBackend;
  /** The actor id the ledger must be of. */
  actor?: string;
  /** The Multikeys the actor lists in `assertionMethod`; when given, every ledger key must be one. */
  actorKeys?: readonly string[];
  /** Who answers the chain's signature questions (default: `backend.verify` at once). */
  check?: SignatureCheck;
  /** A checkpoint verified before: its entries' signatures are not asked again; its root must match. */
  trusted?: { size: number; rootHash: Uint8Array };
  /** Tree sizes whose roots to keep (earlier checkpoints, for fork detection). */
  rootsAt?: readonly number[];
}

/** Audits a ledger entry by entry; {@link finish} checks the checkpoint. */
export class LedgerAudit {
  readonly #backend: CryptoBackend;
  #verifier: ChainVerifier;
  readonly #chainOptions: ChainVerifierOptions;
  readonly #actorKeys: ReadonlySet<string> | undefined;
  readonly #trusted: { size: number; rootHash: Uint8Array } | undefined;
  readonly #wanted: ReadonlySet<number>;
  readonly #roots = new Map<number, Uint8Array>();
  #tree: TreeState = EMPTY_TREE;
  #genesis: SignedEntry<'Genesis'> | undefined;
  #failure: AuditFailure | undefined;

  constructor(options: LedgerAuditOptions = {}) {
    const backend = options.backend ?? nobleBackend;
    this.#backend = backend;
    this.#actorKeys = options.actorKeys === undefined ? undefined : new Set(options.actorKeys);
    this.#trusted = options.trusted;
    this.#wanted = new Set([...(options.rootsAt ?? []), ...(options.trusted ? [options.trusted.size] : [])]);
    const check: SignatureCheck = options.check ?? ((_seq, s, m, k) => backend.verify(s, m, k));
    const trustedSize = options.trusted?.size ?? 0;
    const answer: SignatureCheck = (seq, s, m, k) => seq < trustedSize || check(seq, s, m, k);
    this.#chainOptions = {
      ...(options.actor === undefined ? {} : { actor: options.actor }),
      backend: checkingBackend(backend, () => this.#tree.size, answer),
    };
    this.#verifier = new ChainVerifier(this.#chainOptions);
  }

  /**
   * The audit's state after the entries pushed so far (the chain verifier's, the tree's frontier
   * and the genesis), for {@link LedgerAudit.resume}. Throws after a failure or before the genesis.
   */
  snapshot(): JsonObject {
    return { ...this.#fields(), chain: this.#verifier.snapshot() };
  }

  /**
   * {@link snapshot} as the bytes `--save-checkpoint` writes (chain-snapshot.ts version 3), with
   * the caller's `extra` fields (a file's `entryBytes`) under the same digest; {@link resume}
   * takes them as it takes the object.
   */
  snapshotBytes(extra: JsonObject = {}): Uint8Array {
    return this.#verifier.snapshotBytes({ ...this.#fields(), ...extra });
  }

  #fields(): JsonObject {
    if (this.#failure !== undefined || this.#genesis === undefined)
      throw new TypeError('only an audit that accepted entries and did not fail can be resumed');
    return {
      type: 'AuditSnapshot',
      version: 1,
      genesis: this.#genesis as unknown as JsonObject,
      tree: toHex(encodeTreeState(this.#tree)),
    };
  }

  /**
   * An audit that continues from `snapshot`, which must be the state at `checkpoint`: the note
   * verifies with the genesis's checkpoint key, and its size and root are the saved tree's. New
   * entries then extend that tree, so the next checkpoint's root shows they extend that history.
   * `snapshot` is the object {@link snapshot} gave or its bytes (state-bytes.ts), which the audit
   * then views: they must not change while it lives.
   */
  static resume(
    snapshot: unknown,
    checkpoint: string,
    options: LedgerAuditOptions = {},
  ): { ok: true; audit: LedgerAudit; checkpoint: Checkpoint } | { ok: false; reason: SnapshotFailure } {
    const refuse = (problem: string) => ({
      ok: false as const,
      reason: { type: 'snapshotInvalid' as const, problem },
    });
    // Bytes (audit/state-bytes.ts) are read the same way, their chain state being the bytes.
    const s = (snapshot instanceof Uint8Array ? auditStateOfBytes(snapshot) : snapshot) as Record<
      string,
      unknown
    > | null;
    if (typeof s !== 'object' || s === null || s.type !== 'AuditSnapshot' || s.version !== 1)
      return refuse('not a version 1 audit snapshot');
    const genesis = s.genesis as SignedEntry<'Genesis'> | undefined;
    if (typeof genesis !== 'object' || genesis === null || genesis.kind !== 'Genesis')
      return refuse('/genesis is not a genesis entry');
    if (options.actor !== undefined && genesis.attributedTo !== options.actor)
      return refuse(`not the ledger of ${options.actor}`);
    const backend = options.backend ?? nobleBackend;
    let tree: TreeState;
    let logKey: NoteVerifierKey;
    try {
      if (typeof s.tree !== 'string') return refuse('/tree is not hex');
      tree = decodeTreeState(fromHex(s.tree));
      logKey = checkpointKeyOf(genesis, backend);
    } catch {
      return refuse('/tree or the genesis checkpoint key does not decode');
    }
    const verified = verifyCheckpoint(checkpoint, { logKeys: [logKey], origin: genesis.origin, backend });
    if (!verified.ok) return refuse(`the checkpoint does not verify (${verified.reason.type})`);
    const at = verified.checkpoint;
    if (at.size !== tree.size || !bytesEqual(treeRoot(tree, backend), at.rootHash))
      return refuse(`the saved tree is not the checkpoint's (size ${tree.size}, checkpoint ${at.size})`);
    const audit = new LedgerAudit(options);
    const chain = ChainVerifier.resume(s.chain, audit.#chainOptions);
    if (!chain.ok) return chain;
    const head = chain.verifier.head;
    if (head?.actor !== genesis.attributedTo || head.nextSeq !== tree.size)
      return refuse('the chain state is not at the saved tree or not of this genesis');
    audit.#verifier = chain.verifier;
    audit.#tree = tree;
    audit.#genesis = genesis;
    return { ok: true, audit, checkpoint: at };
  }

  /** Entries accepted so far (the seq of the next one). */
  get position(): number {
    return this.#tree.size;
  }

  /** The leaf hash of the entry that recorded the once-only fact `key` (see ChainVerifier.recordedOnce). */
  recordedOnce(key: string): string | undefined {
    return this.#verifier.recordedOnce(key);
  }

  /** The first failure, once there is one. */
  get failure(): AuditFailure | undefined {
    return this.#failure;
  }

  /** The genesis entry, once accepted. */
  get genesis(): SignedEntry<'Genesis'> | undefined {
    return this.#genesis;
  }

  /** The root of the first `size` entries, for a size asked in `rootsAt` and reached. */
  rootAt(size: number): Uint8Array | undefined {
    return this.#roots.get(size);
  }

  /**
   * Checks the next entry. `line`, when the entry came as bytes (an export line: `value` is what
   * they parse to), must be exactly its canonical bytes; when they are, the audit takes them as
   * the leaf instead of serializing the entry again. After a failure every push returns that
   * failure.
   */
  push(value: unknown, line?: Uint8Array): AuditStep {
    if (this.#failure !== undefined) return { ok: false, failure: this.#failure };
    const step = this.#verifier.push(value, line);
    if (!step.ok) return this.#fail(step.reason);
    const seq = step.seq;
    // The verifier took the line itself as the leaf once it found it canonical.
    if (line !== undefined && step.leaf !== line && !bytesEqual(step.leaf, line))
      return this.#fail({ type: 'notCanonical', seq });
    const entry = value as SignedEntry;
    if (entry.kind === 'Genesis') this.#genesis = entry as SignedEntry<'Genesis'>;
    if (this.#actorKeys !== undefined && (entry.kind === 'Genesis' || entry.kind === 'KeyRotated')) {
      const key = (entry as SignedEntry<'Genesis'>).ledgerKey;
      if (!this.#actorKeys.has(key)) return this.#fail({ type: 'keyNotAsserted', seq, key });
    }
    const appended = appendLeaf(this.#tree, step.leafHash, this.#backend);
    this.#tree = appended.state;
    const size = this.#tree.size;
    if (this.#wanted.has(size)) {
      const root = treeRoot(this.#tree, this.#backend);
      this.#roots.set(size, root);
      const trusted = this.#trusted;
      if (trusted !== undefined && size === trusted.size && !bytesEqual(root, trusted.rootHash)) {
        return this.#fail({
          type: 'notConsistent',
          size,
          trustedRoot: toHex(trusted.rootHash),
          entriesRoot: toHex(root),
        });
      }
    }
    return { ok: true, seq, leafHash: step.leafHash, nodes: appended.nodes };
  }

  /** The summary of the entries accepted so far (undefined before the genesis). */
  summary(): AuditSummary | undefined {
    const head = this.#verifier.head;
    if (head === undefined) return undefined;
    return toSummary(head.actor, this.#verifier.summary(), head.host?.id);
  }

  /** Checks the checkpoint note against the entries pushed; the verdict on the whole ledger. */
  finish(note: string): AuditResult {
    const result = this.#finish(note);
    if (result.ok) return result;
    const summary = this.summary();
    return { ok: false, failure: result.failure, ...(summary === undefined ? {} : { summary }) };
  }

  #finish(note: string): AuditResult {
    if (this.#failure !== undefined) return { ok: false, failure: this.#failure };
    const genesis = this.#genesis;
    const summary = this.summary();
    if (genesis === undefined || summary === undefined)
      return { ok: false, failure: { type: 'emptyLedger' } };
    const logKey = checkpointKeyOf(genesis, this.#backend);
    const verified = verifyCheckpoint(note, {
      logKeys: [logKey],
      origin: genesis.origin,
      backend: this.#backend,
    });
    if (!verified.ok) return { ok: false, failure: { type: 'checkpointInvalid', problem: verified.reason } };
    const checkpoint = verified.checkpoint;
    const entries = this.#tree.size;
    if (checkpoint.size !== entries) {
      const seq = Math.min(entries, checkpoint.size);
      return {
        ok: false,
        failure: { type: 'checkpointSize', seq, entries, checkpointSize: checkpoint.size },
      };
    }
    const root = treeRoot(this.#tree, this.#backend);
    if (!bytesEqual(root, checkpoint.rootHash)) {
      const failure: AuditFailure = {
        type: 'rootMismatch',
        size: entries,
        checkpointRoot: toHex(checkpoint.rootHash),
        entriesRoot: toHex(root),
      };
      return { ok: false, failure };
    }
    const trusted = this.#trusted;
    if (trusted !== undefined && trusted.size > entries) {
      const failure: AuditFailure = {
        type: 'notConsistent',
        size: trusted.size,
        trustedRoot: toHex(trusted.rootHash),
      };
      return { ok: false, failure };
    }
    const signatures = nameSignatures(note, logKey, this.#verifier.head?.host, this.#backend);
    if (!Array.isArray(signatures)) return { ok: false, failure: signatures };
    return { ok: true, summary, checkpoint, rootHash: toHex(root), signatures };
  }

  #fail(failure: AuditFailure): AuditStep {
    this.#failure = failure;
    return { ok: false, failure };
  }
}

/** Boolean form of an audit result. */
export function isAuditOk(result: AuditResult): boolean {
  return result.ok;
}
