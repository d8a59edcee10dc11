/**
 * Membership at the host: a collective's signed application is checked against the
 * collective's own ledger (its current ledger key signed it, its genesis names the checkpoint
 * key and origin, it has no host yet) and the host's terms (currency, fee, the digest of the
 * terms); a host admin accepts or rejects it. The answer is a signed `HostMembership` the
 * collective verifies before recording `HostJoined`; the host's ledger records `MemberJoined`
 * (and `MemberLeft` when the collective goes), which the chain allows once per membership.
 */

import type { SignedEntry } from '../../protocol/entry/types.ts';
import { type HostMessage, jsonDigest, verifyHostMessage } from '../../protocol/host/messages.ts';
import { decodeMultikey } from '../../protocol/multikey.ts';
import { AppError } from '../errors.ts';
import type { EntryRecord } from '../ledger/types.ts';
import type { HostCore } from './core.ts';
import type { ApplicationRecord, MemberRecord } from './types.ts';

/** The digest of the host's terms, as an application names them. */
export function termsDigest(core: HostCore): string {
  const { autoLimitMinor: _a, twoAdminMinor: _b, ...terms } = core.terms;
  return jsonDigest(terms, core.backend);
}

function invalid(problem: string, details: Record<string, unknown> = {}): AppError {
  return new AppError('HOST_APPLICATION_INVALID', `The application is refused: ${problem}.`, {
    problem,
    ...details,
  });
}

/** Applications and members of one host. */
export class Applications {
  readonly #core: HostCore;

  constructor(core: HostCore) {
    this.#core = core;
  }

  /**
   * Receives an application. The same application again answers the record it already has
   * (pending or decided).
   */
  receive(value: unknown): Promise<ApplicationRecord> {
    const core = this.#core;
    return core.records.exclusive(async () => {
      const collective = (value as { collective?: unknown } | null)?.collective;
      if (typeof collective !== 'string') throw invalid('no collective');
      let id: string;
      try {
        id = jsonDigest(value, core.backend);
      } catch {
        throw invalid('not JSON');
      }
      const existing = await core.records.get<ApplicationRecord>('applications', id);
      if (existing !== undefined) return existing;

      const view = await core.readChain(collective);
      if (!view.chain.ok)
        throw invalid('the collective ledger does not verify', { chain: view.chain.reason });
      if (view.ledgerKey === undefined || view.genesis === undefined)
        throw invalid('the collective has no ledger');
      const key = decodeMultikey(view.ledgerKey);
      if (!key.ok) throw invalid('the collective ledger key does not decode');
      const verified = verifyHostMessage(value, 'HostApplication', {
        publicKey: key.publicKey,
        backend: core.backend,
      });
      if (!verified.ok) throw invalid('the signature or shape', { reason: verified.reason });
      const application = verified.message;
      const checks: [boolean, string][] = [
        [application.host === core.id, 'it is addressed to another host'],
        [application.ledgerKey === view.ledgerKey, 'the ledger key is not the current one'],
        [
          application.checkpointKey === view.genesis.checkpointKey,
          'the checkpoint key is not the genesis one',
        ],
        [application.origin === view.genesis.origin, 'the origin is not the genesis one'],
        [application.currency === view.currency && view.currency === core.terms.currency, 'the currency'],
        [application.feeBasisPoints === core.terms.feeBasisPoints, 'the fee is not the host fee'],
        [application.terms === termsDigest(core), 'the terms are not the current terms'],
        [view.host === undefined, 'the collective already has a host'],
      ];
      for (const [ok, problem] of checks) if (!ok) throw invalid(problem);
      const record: ApplicationRecord = {
        id,
        collective,
        status: 'pending',
        application,
        receivedAt: core.stamp(),
      };
      await core.records.put([['applications', id, record]]);
      return record;
    });
  }

  /** The application `id`, or `HOST_APPLICATION_NOT_FOUND`. */
  async get(id: string): Promise<ApplicationRecord> {
    const record = await this.#core.records.get<ApplicationRecord>('applications', id);
    if (record === undefined) throw new AppError('HOST_APPLICATION_NOT_FOUND');
    return record;
  }

  /** Applications, optionally in one status, oldest received first. */
  async list(status?: ApplicationRecord['status']): Promise<ApplicationRecord[]> {
    const all = await this.#core.records.list<ApplicationRecord>('applications');
    return all
      .filter((a) => status === undefined || a.status === status)
      .sort((a, b) => a.receivedAt.localeCompare(b.receivedAt));
  }

  /**
   * A host admin's decision. Accepting signs the membership, records the member and appends the
   * event to the host's ledger. The same decision again answers the same signed membership.
   */
  decide(
    id: string,
    decision: 'accepted' | 'rejected',
    by: string,
    reason?: string,
  ): Promise<HostMessage<'HostMembership'>> {
    const core = this.#core;
    return core.records.exclusive(async () => {
      const record = await this.get(id);
      if (record.membership !== undefined) {
        if (record.status !== decision)
          throw new AppError('HOST_APPLICATION_DECIDED', undefined, { status: record.status });
        return record.membership;
      }
      const application = record.application;
      if (decision === 'accepted') {
        const current = await core.member(record.collective);
        if (current?.status === 'active')
          throw new AppError('HOST_APPLICATION_DECIDED', 'The collective is already a member.');
      }
      const membership = core.signMessage('HostMembership', {
        host: core.id,
        collective: record.collective,
        application: id,
        decision,
        hostKey: core.hostKey(),
        feeBasisPoints: application.feeBasisPoints,
        ...(reason === undefined ? {} : { reason }),
      });
      const decided: ApplicationRecord = { ...record, status: decision, membership, decidedBy: by };
      if (decision === 'rejected') {
        await core.records.put([['applications', id, decided]]);
        return membership;
      }
      // A retry after a crash between this append and the records below finds the entry instead.
      const { record: joined } = await core.appendOnce(
        {
          kind: 'MemberJoined',
          collective: record.collective,
          collectiveKey: application.ledgerKey,
          feeBasisPoints: application.feeBasisPoints,
          application: id,
          terms: application.terms,
        },
        by,
      );
      const member: MemberRecord = {
        collective: record.collective,
        status: 'active',
        since: core.stamp(),
        application: id,
        currency: application.currency,
        ledgerKey: application.ledgerKey,
        checkpointKey: application.checkpointKey,
        origin: application.origin,
        feeBasisPoints: application.feeBasisPoints,
        hostEntry: joined.leafHash,
      };
      await core.records.put([
        ['applications', id, decided],
        ['members', record.collective, member],
      ]);
      return membership;
    });
  }

  /**
   * The collective leaves (or is let go). It keeps its ledger and records `HostLeft` itself; the
   * host stops countersigning, receiving and cosigning for it.
   */
  leave(collective: string, by: string, reason?: string): Promise<MemberRecord> {
    const core = this.#core;
    return core.records.exclusive(async () => {
      const member = await core.activeMember(collective);
      try {
        await core.ledger.append(
          { kind: 'MemberLeft', collective, ...(reason === undefined ? {} : { reason }) },
          by,
        );
      } catch (error) {
        // A retry after a crash between the append and the record: the ledger already says so.
        const reason = error instanceof AppError ? (error.details?.reason as { rule?: unknown }) : undefined;
        if (reason?.rule !== 'notAMember') throw error;
      }
      const left: MemberRecord = { ...member, status: 'left' };
      await core.records.put([['members', collective, left]]);
      return left;
    });
  }

  /**
   * The host's latest `MemberLeft` entry for `collective`, if any: the signed notice the
   * collective receives when it is let go, found again when the notice is sent again.
   */
  async leftEntry(collective: string): Promise<EntryRecord | undefined> {
    let cursor: string | undefined;
    do {
      const page = await this.#core.ledger.page({ limit: 200, ...(cursor === undefined ? {} : { cursor }) });
      for (const record of page.items) {
        const entry = record.entry as SignedEntry<'MemberLeft' | 'MemberJoined'>;
        if (entry.collective !== collective) continue;
        if (entry.kind === 'MemberLeft') return record;
        // Joined again since: the last departure is not this membership's.
        if (entry.kind === 'MemberJoined') return undefined;
      }
      cursor = page.next;
    } while (cursor !== undefined);
    return undefined;
  }

  /** Every member, active or not. */
  members(): Promise<MemberRecord[]> {
    return this.#core.records.list<MemberRecord>('members');
  }
}
