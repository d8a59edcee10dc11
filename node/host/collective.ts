/**
 * The collective's side of its host: the signed application it sends, and recording what the
 * host returns (membership → `HostJoined`, receipt → `Contribution` and `HostFee`,
 * countersignature → `ExpenseCountersigned`, payout → `ExpensePaid`), each verified against the
 * host's key BEFORE anything is appended: the key of the membership comes from the host's actor
 * (the caller resolves it), the key of everything after from the collective's own `HostJoined`
 * (and the host's `MemberLeft` when it lets the collective go → `HostLeft`).
 * Also the cosigning round trip: the checkpoint and consistency proof to send, and the check of
 * the cosignature that comes back.
 */
import { verifyCosignedCheckpoint } from '../../protocol/cosignature.ts';
import { type CryptoBackend, nobleBackend } from '../../protocol/crypto.ts';
import { verificationMethodFor } from '../../protocol/entry/build.ts';
import { checkHostSigned, hostObjectReferences } from '../../protocol/entry/rules.ts';
import type { HostSigned, HostSignedType, SignedEntry } from '../../protocol/entry/types.ts';
import {
  type HostMessage,
  jsonDigest,
  signHostMessage,
  verifyHostMessage,
} from '../../protocol/host/messages.ts';
import { type HostTerms, hostFee } from '../../protocol/host/terms.ts';
import { formatAmount } from '../../protocol/money.ts';
import { decodeMultikey, encodeMultikey } from '../../protocol/multikey.ts';
import { type NoteVerifierKey, noteKeyId, SIG_TYPE_ED25519 } from '../../protocol/note.ts';
import { AppError } from '../errors.ts';
import type { LedgerService } from '../ledger/service.ts';
import type { AppendResult } from '../ledger/types.ts';
import { checkEntry } from './entry-check.ts';

function refused(problem: unknown, message?: string): AppError {
  return new AppError('HOST_SIGNATURE_INVALID', message, { problem });
}

/** The collective side of the host flows, over the collective's ledger. */
export class CollectiveHostSide {
  readonly #ledger: LedgerService;
  readonly #backend: CryptoBackend;
  readonly #now: () => Date;

  constructor(ledger: LedgerService, options: { backend?: CryptoBackend; now?: () => Date } = {}) {
    this.#ledger = ledger;
    this.#backend = options.backend ?? nobleBackend;
    this.#now = options.now ?? (() => new Date());
  }

  /** The signed application to `host` under `terms` (the host's published terms). */
  async application(input: {
    host: string;
    terms: HostTerms;
    message?: string;
  }): Promise<HostMessage<'HostApplication'>> {
    const head = this.#ledger.chainHead();
    const genesis = (await this.#ledger.get(0))?.entry as SignedEntry<'Genesis'> | undefined;
    const secretKey = this.#ledger.actor.ledgerSecretKey;
    if (head === undefined || genesis === undefined || secretKey === undefined)
      throw new AppError('LEDGER_CLOSED');
    const { feeBasisPoints } = input.terms;
    return signHostMessage(
      'HostApplication',
      {
        collective: head.actor,
        host: input.host,
        currency: head.currency,
        ledgerKey: head.ledgerKey,
        checkpointKey: genesis.checkpointKey,
        origin: genesis.origin,
        feeBasisPoints,
        terms: jsonDigest(input.terms, this.#backend),
        ...(input.message === undefined ? {} : { message: input.message }),
      },
      {
        verificationMethod: verificationMethodFor(head.actor, head.keyIndex),
        secretKey,
        time: this.#now(),
        backend: this.#backend,
      },
    );
  }

  /**
   * Records an accepted membership as `HostJoined`, after verifying it with `hostPublicKey` (from
   * the host's actor document) and that it answers `application`. A rejection is verified and
   * recorded nowhere: it answers undefined.
   */
  async recordMembership(
    value: unknown,
    input: { host: string; hostPublicKey: Uint8Array; application: HostMessage<'HostApplication'> },
  ): Promise<AppendResult | undefined> {
    const verified = verifyHostMessage(value, 'HostMembership', {
      publicKey: input.hostPublicKey,
      backend: this.#backend,
    });
    if (!verified.ok) throw refused(verified.reason);
    const m = verified.message;
    const checks: [boolean, string][] = [
      [m.host === input.host, 'wrongHost'],
      [m.collective === this.#ledger.actor.id, 'wrongCollective'],
      [m.application === jsonDigest(input.application, this.#backend), 'wrongApplication'],
      [m.hostKey === encodeMultikey(input.hostPublicKey), 'wrongHostKey'],
      [m.feeBasisPoints === input.application.feeBasisPoints, 'wrongFee'],
    ];
    for (const [ok, problem] of checks) if (!ok) throw refused({ type: problem });
    if (m.decision === 'rejected') return undefined;
    return this.#ledger.append({
      kind: 'HostJoined',
      host: m.host,
      hostKey: m.hostKey,
      feeBasisPoints: m.feeBasisPoints,
    });
  }

  /** Records `HostLeft` for the current host. */
  recordLeft(): Promise<AppendResult> {
    const host = this.#ledger.chainHead()?.host;
    if (host === undefined) throw new AppError('HOST_NOT_MEMBER', 'This collective has no host.');
    return this.#ledger.append({ kind: 'HostLeft', host: host.id });
  }

  /**
   * The host let this collective go: records `HostLeft` after verifying the host's `MemberLeft`
   * entry with the host key of `HostJoined`, and that it names this collective. A `MemberLeft`
   * published before `joinedAt` (the host's time on the membership this collective recorded)
   * ended an earlier membership and is refused.
   */
  async recordLetGo(value: unknown, joinedAt?: string): Promise<AppendResult> {
    const head = this.#ledger.chainHead();
    if (head?.host === undefined) throw refused({ type: 'noHost' });
    const key = decodeMultikey(head.host.key);
    if (!key.ok) throw refused({ type: 'hostKey' });
    const checked = checkEntry(
      value,
      'MemberLeft',
      { id: head.host.id, publicKey: key.publicKey },
      this.#backend,
    );
    if (!checked.ok) throw refused(checked.problem);
    if (checked.entry.collective !== head.actor) throw refused({ type: 'wrongCollective' });
    if (joinedAt !== undefined && checked.entry.published < joinedAt)
      throw refused({ type: 'earlierMembership', published: checked.entry.published, joinedAt });
    return this.#ledger.append({ kind: 'HostLeft', host: head.host.id });
  }

  /** The latest `HostLeft` of this ledger (of `host` when given), newest first. */
  async lastLeft(host?: string): Promise<AppendResult | undefined> {
    let cursor: string | undefined;
    do {
      const page = await this.#ledger.page({ limit: 200, ...(cursor === undefined ? {} : { cursor }) });
      for (const record of page.items) {
        const entry = record.entry as SignedEntry<'HostLeft'>;
        if (entry.kind === 'HostLeft' && (host === undefined || entry.host === host)) return record;
      }
      cursor = page.next;
    } while (cursor !== undefined);
    return undefined;
  }

  #check<T extends HostSignedType>(
    value: unknown,
    type: T,
    expected: { amount?: string; expense?: string },
  ): HostSigned<T> {
    const head = this.#ledger.chainHead();
    if (head?.host === undefined) throw refused({ type: 'noHost' });
    const key = decodeMultikey(head.host.key);
    if (!key.ok) throw refused({ type: 'hostKey' });
    const problem =
      checkHostSigned(value, type, { id: head.host.id, publicKey: key.publicKey }, this.#backend) ??
      hostObjectReferences(value as HostSigned, { actor: head.actor, currency: head.currency, ...expected });
    if (problem !== undefined) throw refused(problem);
    return value as HostSigned<T>;
  }

  /**
   * Records money the host received: `Contribution` embedding the receipt, then `HostFee` at the
   * rate of the collective's `HostJoined` when it is above zero.
   */
  async recordReceipt(
    value: unknown,
    input: { contributor?: string; message?: string } = {},
  ): Promise<{ contribution: AppendResult; fee?: AppendResult }> {
    const receipt = this.#check(value, 'Receipt', {});
    let contribution: AppendResult;
    try {
      contribution = await this.#ledger.append({
        kind: 'Contribution',
        amount: receipt.amount,
        currency: receipt.currency,
        ...(input.contributor === undefined ? {} : { contributor: input.contributor }),
        ...(input.message === undefined ? {} : { message: input.message }),
        receipt,
      });
    } catch (error) {
      // The receipt again, after this node stopped between the Contribution and its HostFee: the
      // fee is recorded now. With both on the ledger, the refusal stands.
      const recorded = await this.#contributionOf(error);
      if (recorded === undefined || (await this.#feeFollows(recorded))) throw error;
      contribution = recorded;
    }
    const rate = await this.#feeRate();
    const fee = hostFee(receipt.amount, receipt.currency, rate);
    if (fee === formatAmount(0n, receipt.currency)) return { contribution };
    const feeEntry = await this.#ledger.append({
      kind: 'HostFee',
      contribution: contribution.leafHash,
      amount: fee,
      currency: receipt.currency,
      host: receipt.host,
    });
    return { contribution, fee: feeEntry };
  }

  /** The Contribution that already recorded a receipt, when `error` is that refusal. */
  async #contributionOf(error: unknown): Promise<AppendResult | undefined> {
    if (!(error instanceof AppError) || error.code !== 'LEDGER_ALREADY_RECORDED') return undefined;
    const reason = error.details?.reason as { path?: unknown; first?: unknown } | undefined;
    if (reason?.path !== '/receipt/hostEntry' || typeof reason.first !== 'string') return undefined;
    const recorded = await this.#ledger.getByHash(reason.first);
    return recorded?.entry.kind === 'Contribution' ? recorded : undefined;
  }

  /** Whether a `HostFee` on `contribution` was recorded after it (read from the head down to it). */
  async #feeFollows(contribution: AppendResult): Promise<boolean> {
    let cursor: string | undefined;
    do {
      const page = await this.#ledger.page({ limit: 200, ...(cursor === undefined ? {} : { cursor }) });
      for (const record of page.items) {
        if (record.seq <= contribution.seq) return false;
        const entry = record.entry as SignedEntry<'HostFee'>;
        if (entry.kind === 'HostFee' && entry.contribution === contribution.leafHash) return true;
      }
      cursor = page.next;
    } while (cursor !== undefined);
    return false;
  }

  async #feeRate(): Promise<number> {
    let cursor: string | undefined;
    do {
      const page = await this.#ledger.page({ limit: 200, ...(cursor === undefined ? {} : { cursor }) });
      for (const record of page.items) {
        if (record.entry.kind === 'HostJoined')
          return (record.entry as SignedEntry<'HostJoined'>).feeBasisPoints;
      }
      cursor = page.next;
    } while (cursor !== undefined);
    return 0;
  }

  /** Records the host's countersignature of an approved expense, after checking it names that expense and amount. */
  async recordCountersignature(value: unknown): Promise<AppendResult> {
    const expense = await this.#approved(value, 'approved');
    const countersignature = this.#check(value, 'ExpenseCountersignature', {
      expense: expense.hash,
      amount: formatAmount(BigInt(expense.amount), this.#ledger.balance().currency),
    });
    return this.#ledger.append({ kind: 'ExpenseCountersigned', expense: expense.hash, countersignature });
  }

  /** Records the host's payout of a countersigned expense as `ExpensePaid`. */
  async recordPayout(value: unknown): Promise<AppendResult> {
    const expense = await this.#approved(value, 'countersigned');
    const amount = formatAmount(BigInt(expense.amount), this.#ledger.balance().currency);
    const payout = this.#check(value, 'Payout', { expense: expense.hash, amount });
    return this.#ledger.append({
      kind: 'ExpensePaid',
      expense: expense.hash,
      amount,
      currency: payout.currency,
      payout,
    });
  }

  async #approved(value: unknown, state: 'approved' | 'countersigned') {
    const hash = (value as { expense?: unknown } | null)?.expense;
    const expense = typeof hash === 'string' ? await this.#ledger.expense(hash) : undefined;
    if (expense === undefined) throw new AppError('EXPENSE_NOT_FOUND');
    if (expense.state !== state) throw new AppError('EXPENSE_STATE', undefined, { state: expense.state });
    return expense;
  }

  /** What to send the host for cosigning: the latest checkpoint and the proof from `cosignedSize`. */
  async cosignRequest(cosignedSize = 0): Promise<{ note: string; proof: string[] }> {
    const checkpoint = this.#ledger.checkpoint();
    if (checkpoint === undefined) throw new AppError('CHECKPOINT_NOT_FOUND');
    const proof =
      cosignedSize === 0 ? [] : (await this.#ledger.consistencyProof(cosignedSize, checkpoint.size)).hashes;
    return { note: checkpoint.note, proof };
  }

  /**
   * Checks a cosigned note from the host: signed by this log's checkpoint key and cosigned by the
   * host's witness key. Answers the cosignature's time.
   */
  async checkCosigned(
    cosigned: string,
    witnessKey: NoteVerifierKey,
  ): Promise<{ size: number; time: number }> {
    const genesis = (await this.#ledger.get(0))?.entry as SignedEntry<'Genesis'> | undefined;
    const decoded = genesis === undefined ? undefined : decodeMultikey(genesis.checkpointKey);
    if (genesis === undefined || decoded === undefined || !decoded.ok) throw new AppError('LEDGER_CORRUPT');
    const logKey: NoteVerifierKey = {
      name: genesis.origin,
      keyId: noteKeyId(genesis.origin, SIG_TYPE_ED25519, decoded.publicKey, this.#backend),
      type: SIG_TYPE_ED25519,
      publicKey: decoded.publicKey,
    };
    const result = verifyCosignedCheckpoint(cosigned, {
      logKeys: [logKey],
      witnessKeys: [witnessKey],
      origin: genesis.origin,
    });
    const cosignature = result.ok ? result.cosignatures[0] : undefined;
    if (!result.ok || cosignature === undefined)
      throw refused(result.ok ? { type: 'noCosignature' } : result.reason);
    return { size: result.checkpoint.size, time: cosignature.time };
  }
}
