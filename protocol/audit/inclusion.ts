/**
 * One entry against a checkpoint (`cagnotte verify --entry N`): the genesis (which names the
 * checkpoint key), the checkpoint's signature, the entry's own proof with the ledger key its
 * proof names (which the actor must assert), and the RFC 9162 inclusion proof of its leaf.
 * Nothing else of the ledger is needed: O(log n) hashes, whether the proof comes from a node or
 * is built from an export's leaves with {@link InclusionCollector}.
 */
import { type ChainFailure, ChainVerifier } from '../chain.ts';
import { type CheckpointFailure, verifyCheckpoint } from '../checkpoint.ts';
import { type CryptoBackend, nobleBackend } from '../crypto.ts';
import { bytesEqual, toHex } from '../encoding.ts';
import { entryIdFor, leafHashOf, leafOf } from '../entry/build.ts';
import type { SignedEntry } from '../entry/types.ts';
import type { JsonObject } from '../jcs.ts';
import { assembleProof, inclusionPlan, type ProofPlan, planNodes } from '../merkle/proof.ts';
import type { TreeNode } from '../merkle/tree.ts';
import { type InclusionFailure, verifyInclusion } from '../merkle/verify.ts';
import { decodeMultikey } from '../multikey.ts';
import { type ProofFailure, verifyProof } from '../proof.ts';
import { checkpointKeyOf } from './ledger.ts';

/** Collects, from a stream of appended tree nodes, the ones an inclusion proof needs. */
export class InclusionCollector {
  readonly #plan: ProofPlan;
  readonly #wanted: Set<string>;
  readonly #found = new Map<string, Uint8Array>();

  /** Throws a RangeError unless 0 ≤ index < size. */
  constructor(index: number, size: number) {
    this.#plan = inclusionPlan(index, size);
    this.#wanted = new Set(planNodes(this.#plan).map((n) => `${n.level}/${n.index}`));
  }

  /** Offers the nodes one append completed (`appendLeaf(...).nodes`). */
  offer(nodes: readonly TreeNode[]): void {
    for (const node of nodes) {
      const key = `${node.level}/${node.index}`;
      if (this.#wanted.has(key)) this.#found.set(key, node.hash);
    }
  }

  /** The proof hashes, once every node was offered; undefined before. */
  proof(backend: CryptoBackend = nobleBackend): Uint8Array[] | undefined {
    if (this.#found.size !== this.#wanted.size) return undefined;
    return assembleProof(
      this.#plan,
      (level, index) => this.#found.get(`${level}/${index}`) as Uint8Array,
      backend,
    );
  }
}

/** A key the actor asserts: its id (`<actor>#ledger-key-<k>`) and Multikey. */
export interface AssertedKey {
  id: string;
  publicKeyMultibase: string;
}

/** Why one entry is not shown to be in the log. */
export type EntryCheckFailure =
  | { type: 'genesisInvalid'; reason: ChainFailure }
  | { type: 'keyNotAsserted'; seq: number; key: string }
  | { type: 'checkpointInvalid'; problem: CheckpointFailure }
  | { type: 'entryOutOfRange'; seq: number; size: number }
  | { type: 'notCanonical'; seq: number }
  | { type: 'wrongEntry'; seq: number; problem: string }
  | { type: 'badProof'; seq: number; proof: ProofFailure }
  | { type: 'inclusionInvalid'; seq: number; problem: InclusionFailure };

/** Result of {@link verifyEntryInLog}. */
export type EntryCheckResult =
  | { ok: true; seq: number; leafHash: string; size: number; rootHash: string; entry: SignedEntry }
  | { ok: false; failure: EntryCheckFailure };

/** Arguments of {@link verifyEntryInLog}. */
export interface EntryCheckInput {
  /** The genesis entry (seq 0), parsed. */
  genesis: unknown;
  /** The checkpoint note. */
  checkpoint: string;
  /** The keys in the actor's `assertionMethod`. */
  actorKeys: readonly AssertedKey[];
  seq: number;
  /** The entry, parsed; `line`, when it came as bytes, must be its canonical bytes. */
  entry: unknown;
  line?: Uint8Array;
  /** The inclusion proof of the entry in the checkpoint's tree. */
  proof: readonly Uint8Array[];
  backend?: CryptoBackend;
}

/** Checks that entry `seq` is signed by the ledger and included in the signed checkpoint. */
export function verifyEntryInLog(input: EntryCheckInput): EntryCheckResult {
  const backend = input.backend ?? nobleBackend;
  const { seq } = input;
  const fail = (failure: EntryCheckFailure): EntryCheckResult => ({ ok: false, failure });
  const chain = new ChainVerifier({ backend });
  const first = chain.push(input.genesis);
  if (!first.ok) return fail({ type: 'genesisInvalid', reason: first.reason });
  const genesis = input.genesis as SignedEntry<'Genesis'>;
  const asserted = new Map(input.actorKeys.map((k) => [k.id, k.publicKeyMultibase]));
  if (![...asserted.values()].includes(genesis.ledgerKey))
    return fail({ type: 'keyNotAsserted', seq: 0, key: genesis.ledgerKey });
  const checked = verifyCheckpoint(input.checkpoint, {
    logKeys: [checkpointKeyOf(genesis, backend)],
    origin: genesis.origin,
    backend,
  });
  if (!checked.ok) return fail({ type: 'checkpointInvalid', problem: checked.reason });
  const { size, rootHash } = checked.checkpoint;
  if (!Number.isSafeInteger(seq) || seq < 0 || seq >= size)
    return fail({ type: 'entryOutOfRange', seq, size });

  const entry = input.entry as SignedEntry;
  let leaf: Uint8Array;
  try {
    leaf = leafOf(entry as unknown as JsonObject);
  } catch {
    return fail({ type: 'wrongEntry', seq, problem: 'not a JSON object that has canonical bytes' });
  }
  if (input.line !== undefined && !bytesEqual(leaf, input.line)) return fail({ type: 'notCanonical', seq });
  const actor = genesis.attributedTo;
  if (entry.seq !== seq || entry.id !== entryIdFor(actor, seq) || entry.attributedTo !== actor) {
    return fail({ type: 'wrongEntry', seq, problem: `not entry ${seq} of ${actor}` });
  }
  const method = (entry.proof as { verificationMethod?: unknown } | undefined)?.verificationMethod;
  const key = typeof method === 'string' ? asserted.get(method) : undefined;
  if (key === undefined || !method?.toString().startsWith(`${actor}#`)) {
    return fail({ type: 'keyNotAsserted', seq, key: String(method) });
  }
  const publicKey = decodeMultikey(key);
  if (!publicKey.ok) return fail({ type: 'keyNotAsserted', seq, key });
  const proof = verifyProof(entry as unknown as JsonObject, { publicKey: publicKey.publicKey, backend });
  if (!proof.ok) return fail({ type: 'badProof', seq, proof: proof.reason });

  const leafHash = leafHashOf(leaf, backend);
  const included = verifyInclusion(
    { leafHash, index: seq, size, proof: input.proof, root: rootHash },
    backend,
  );
  if (!included.ok) return fail({ type: 'inclusionInvalid', seq, problem: included.reason });
  return { ok: true, seq, leafHash: toHex(leafHash), size, rootHash: toHex(rootHash), entry };
}
