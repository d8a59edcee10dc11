/**
 * The host as witness of its members' logs. A collective offers its signed checkpoint and a
 * consistency proof from the last checkpoint this host cosigned; the host checks the signature
 * and the proof (protocol/host/witness.ts), then reads the collective's entries up to that size
 * (those after the last cosigned size, resumed from the chain state and tree it kept then:
 * progress.ts), verifies them as a chain, rebuilds the Merkle root from them, and checks that every new entry
 * that moves money while this host holds it is one the host attested (its receipt, its
 * countersignature, its payout, each naming the host's own entry in `hostEntry`). Only then does it return
 * a C2SP cosignature. A checkpoint that contradicts the cosigned one is refused and both signed
 * notes are kept as evidence, served to anyone.
 */

import { ChainVerifier } from '../../protocol/chain.ts';
import { fromHex, toHex } from '../../protocol/encoding.ts';
import type { HostSigned, SignedEntry } from '../../protocol/entry/types.ts';
import { checkHostLink } from '../../protocol/host/links.ts';
import { checkForCosigning, cosignatureLine, type WitnessFailure } from '../../protocol/host/witness.ts';
import { appendLeaf, EMPTY_TREE, type TreeState, treeRoot } from '../../protocol/merkle/tree.ts';
import { decodeMultikey } from '../../protocol/multikey.ts';
import { type NoteVerifierKey, noteKeyId, SIG_TYPE_ED25519 } from '../../protocol/note.ts';
import { AppError } from '../errors.ts';
import type { HostCore } from './core.ts';
import { resumeWitness, type WitnessProgress, witnessProgress } from './progress.ts';
import type { CountersignRecord, EvidenceRecord, MemberRecord, WitnessRecord } from './types.ts';

/** What the host answers a cosigning request with. */
export interface CosignAnswer {
  size: number;
  /** The cosignature line (`— <name> <base64>\n`). */
  cosignature: string;
  /** The collective's note with the cosignature appended. */
  cosigned: string;
}

/** The witness of one host. */
export class Witness {
  readonly #core: HostCore;

  constructor(core: HostCore) {
    this.#core = core;
  }

  /** The witness's public key (type 0x04) for verifiers. */
  key(): NoteVerifierKey {
    const { name, keyId, type, publicKey } = this.#core.witnessKey();
    return { name, keyId, type, publicKey };
  }

  /** The last checkpoint cosigned for `collective`, if any. */
  last(collective: string): Promise<WitnessRecord | undefined> {
    return this.#core.records.get<WitnessRecord>('witness', collective);
  }

  /** Evidence kept, for one collective or all. */
  evidence(collective?: string): Promise<EvidenceRecord[]> {
    return this.#core.records.list<EvidenceRecord>(
      'evidence',
      collective === undefined ? undefined : `${collective} `,
    );
  }

  /** Checks and cosigns a checkpoint; the same checkpoint again gets the same cosignature. */
  cosign(input: { collective: string; note: string; proof: readonly string[] }): Promise<CosignAnswer> {
    const core = this.#core;
    return core.records.exclusive(async () => {
      const member = await core.activeMember(input.collective);
      const last = await this.last(input.collective);
      let proof: Uint8Array[];
      try {
        proof = input.proof.map(fromHex);
      } catch {
        throw new AppError('VALIDATION_FAILED', 'The consistency proof is not hex.');
      }
      const check = checkForCosigning({
        note: input.note,
        proof,
        logKey: logKeyOf(member, core),
        origin: member.origin,
        ...(last === undefined
          ? {}
          : { last: { size: last.size, rootHash: fromHex(last.rootHash), note: last.note } }),
        backend: core.backend,
      });
      if (!check.ok) return this.#refuse(input, check.reason, last);
      if (check.unchanged && last !== undefined) {
        return { size: last.size, cosignature: last.cosignature, cosigned: last.cosigned };
      }
      const { size, rootHash } = check.checkpoint;
      const { tree, verifier } = await this.#checkEntries(input.collective, size, last);
      if (toHex(treeRoot(tree, core.backend)) !== toHex(rootHash) || tree.size !== size) {
        await this.#keep(input, 'entriesMismatch', last, { served: tree.size });
        throw new AppError('CHECKPOINT_CONFLICT', 'The entries served do not make the signed root.', {
          problem: 'entriesMismatch',
        });
      }
      const cosignature = cosignatureLine(
        check.checkpoint,
        core.witnessKey(),
        Math.floor(core.now().getTime() / 1000),
        core.backend,
      );
      const record: WitnessRecord = {
        collective: input.collective,
        size,
        rootHash: toHex(rootHash),
        note: input.note,
        cosigned: `${input.note}${cosignature}`,
        cosignature,
      };
      await core.records.put([
        ['witness', input.collective, record],
        ['progress', `witness ${input.collective}`, witnessProgress(input.collective, verifier, tree)],
      ]);
      return { size, cosignature, cosigned: record.cosigned };
    });
  }

  async #refuse(
    input: { collective: string; note: string; proof: readonly string[] },
    reason: WitnessFailure,
    last: WitnessRecord | undefined,
  ): Promise<never> {
    switch (reason.type) {
      case 'checkpoint':
        throw new AppError('CHECKPOINT_INVALID', undefined, { reason: reason.failure });
      case 'stale':
        throw new AppError('CHECKPOINT_STALE', undefined, {
          size: reason.size,
          cosignedSize: reason.cosignedSize,
        });
      case 'fork':
      case 'inconsistent': {
        const evidence = await this.#keep(input, reason.type, last, reason);
        throw new AppError('CHECKPOINT_CONFLICT', undefined, { problem: reason.type, evidence: evidence.id });
      }
    }
  }

  async #keep(
    input: { collective: string; note: string; proof: readonly string[] },
    kind: EvidenceRecord['kind'],
    last: WitnessRecord | undefined,
    detail: unknown,
  ): Promise<EvidenceRecord> {
    const core = this.#core;
    const at = core.stamp();
    const id = `${input.collective} ${at} ${toHex(core.backend.sha256(new TextEncoder().encode(input.note))).slice(0, 16)}`;
    const record: EvidenceRecord = {
      id,
      collective: input.collective,
      kind,
      cosigned: last?.note ?? '',
      offered: input.note,
      proof: [...input.proof],
      detail,
      at,
    };
    await core.records.put([['evidence', id, record]]);
    return record;
  }

  /**
   * Verifies the collective's first `size` entries as a chain, checks the money entries after the
   * last cosigned size, and returns the Merkle tree they make with the verifier at its end. The
   * entries up to the last cosigned size were verified when it was cosigned: their verifier
   * state and tree (progress.ts) are taken up again, the next entry's `prev` must chain to them,
   * and the caller checks the tree's root against the checkpoint's.
   */
  async #checkEntries(
    collective: string,
    size: number,
    last: WitnessRecord | undefined,
  ): Promise<{ tree: TreeState; verifier: ChainVerifier }> {
    const core = this.#core;
    const from = last?.size ?? 0;
    const saved =
      last === undefined ? undefined : await core.progress<WitnessProgress>(`witness ${collective}`);
    const resumed =
      saved === undefined || last === undefined ? undefined : resumeWitness(saved, last, core.backend);
    const verifier = resumed?.verifier ?? new ChainVerifier({ actor: collective, backend: core.backend });
    let tree = resumed?.tree ?? EMPTY_TREE;
    for await (const value of core.source.entries(collective, tree.size)) {
      if (tree.size === size) break;
      const step = verifier.push(value);
      if (!step.ok) {
        throw new AppError('CHECKPOINT_UNATTESTED', 'The collective ledger does not verify.', {
          problem: 'chainInvalid',
          reason: step.reason,
        });
      }
      tree = appendLeaf(tree, step.leafHash, core.backend).state;
      const entry = value as SignedEntry;
      if (step.seq >= from && verifier.head?.host?.id === core.id) {
        const problem = await this.#unattested(collective, entry);
        if (problem !== undefined) {
          throw new AppError('CHECKPOINT_UNATTESTED', undefined, {
            seq: step.seq,
            kind: entry.kind,
            problem,
          });
        }
      }
    }
    return { tree, verifier };
  }

  /** Why a money entry recorded while this host holds the money is not one it attested. */
  async #unattested(collective: string, entry: SignedEntry): Promise<string | undefined> {
    const core = this.#core;
    // The object's own proof was checked by the chain verifier; here, that this host's ledger
    // records the movement it attests.
    const linked = async (signed: HostSigned) => {
      const record =
        signed.hostEntry === undefined ? undefined : await core.ledger.getByHash(signed.hostEntry);
      return checkHostLink(signed, record?.entry) === undefined;
    };
    switch (entry.kind) {
      case 'Contribution': {
        const c = entry as SignedEntry<'Contribution'>;
        if (c.receipt === undefined) return 'contributionWithoutReceipt';
        return (await linked(c.receipt)) ? undefined : 'receiptNotOnHostLedger';
      }
      case 'ExpenseCountersigned': {
        const e = entry as SignedEntry<'ExpenseCountersigned'>;
        const r = await core.records.get<CountersignRecord>('countersign', `${collective} ${e.expense}`);
        return r?.state === 'countersigned' || r?.state === 'paid' ? undefined : 'countersignatureNotIssued';
      }
      case 'ExpensePaid': {
        const p = entry as SignedEntry<'ExpensePaid'>;
        if (p.payout === undefined) return 'paidWithoutPayout';
        return (await linked(p.payout)) ? undefined : 'payoutNotOnHostLedger';
      }
      case 'Refund':
      case 'Transfer':
        return 'notAttestedByHost';
      default:
        return undefined;
    }
  }
}

function logKeyOf(member: MemberRecord, core: HostCore): NoteVerifierKey {
  const decoded = decodeMultikey(member.checkpointKey);
  if (!decoded.ok)
    throw new AppError('CHECKPOINT_INVALID', "The collective's checkpoint key does not decode.");
  return {
    name: member.origin,
    keyId: noteKeyId(member.origin, SIG_TYPE_ED25519, decoded.publicKey, core.backend),
    type: SIG_TYPE_ED25519,
    publicKey: decoded.publicKey,
  };
}
