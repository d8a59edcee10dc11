/**
 * Money out: the countersign queue and payouts. An approved expense sent by a member collective
 * is decided by protocol/host/policy.ts on facts read from the collective's verified ledger and
 * the host's books: refused (a signed `CountersignRefusal`), countersigned at once within the
 * automatic limit, or queued for one or two host admins. A host admin then marks a countersigned
 * expense paid with the bank's payout reference: the host appends its `PayoutMade` (which its
 * ledger records once per expense) and signs the `Payout` the collective embeds in `ExpensePaid`,
 * whose `hostEntry` names that entry.
 */

import type { SignedEntry } from '../../protocol/entry/types.ts';
import { type CountersignFacts, decideCountersign, describeRefusal } from '../../protocol/host/policy.ts';
import { formatAmount } from '../../protocol/money.ts';
import { AppError } from '../errors.ts';
import type { HostCore } from './core.ts';
import type { BooksRecord, CountersignRecord, CountersignState } from './types.ts';

const key = (collective: string, expense: string) => `${collective} ${expense}`;

/** The countersign queue and payouts of one host. */
export class Countersigning {
  readonly #core: HostCore;

  constructor(core: HostCore) {
    this.#core = core;
  }

  /**
   * A collective asks for its approved expense to be countersigned. The same request again gets
   * the same answer; a refusal is decided again once the collective's ledger has grown (new money
   * may have come in), and answered the same while it has not.
   */
  request(input: { collective: string; expense: string }): Promise<CountersignRecord> {
    const core = this.#core;
    return core.records.exclusive(async () => {
      const existing = await this.#get(input.collective, input.expense);
      const view = await core.readChain(input.collective);
      if (existing !== undefined && (existing.state !== 'refused' || existing.decidedAtSize === view.size)) {
        return existing;
      }
      const member = await core.member(input.collective);
      const record = view.expenses.get(input.expense);
      const facts: CountersignFacts = {
        member: member?.status === 'active',
        chain: view.chain,
        hostDeclared: view.host?.id === core.id && view.host.key === core.hostKey(),
        expense:
          record === undefined
            ? undefined
            : { state: record.state, amount: record.amount, currency: view.currency ?? '' },
        balance: view.balance,
        committed: await this.#committed(input.collective),
        held: await core.held(input.collective),
      };
      const decision = decideCountersign(facts, core.terms);
      const base = {
        collective: input.collective,
        expense: input.expense,
        amount: record === undefined ? '0' : formatAmount(record.amount, core.terms.currency),
        title: record?.title ?? '',
        payee: record?.payee ?? '',
        approvedBy: [],
        decidedAtSize: view.size,
      };
      let next: CountersignRecord;
      if (!decision.ok) {
        next = { ...base, state: 'refused', approvals: 0, refusal: this.#refusal(input, decision.reason) };
      } else if (decision.approvals === 0) {
        next = { ...base, state: 'countersigned', approvals: 0, countersignature: this.#sign(base) };
      } else {
        next = { ...base, state: 'review', approvals: decision.approvals };
      }
      await core.records.put([['countersign', key(input.collective, input.expense), next]]);
      return next;
    });
  }

  #refusal(input: { collective: string; expense: string }, reason: Parameters<typeof describeRefusal>[0]) {
    return this.#core.signMessage('CountersignRefusal', {
      host: this.#core.id,
      collective: input.collective,
      expense: input.expense,
      code: reason.type,
      reason: describeRefusal(reason, this.#core.terms.currency),
    });
  }

  #sign(record: { collective: string; expense: string; amount: string }) {
    return this.#core.signObject('ExpenseCountersignature', record.collective, {
      expense: record.expense,
      amount: record.amount,
      currency: this.#core.terms.currency,
    });
  }

  /** Sum of what this host countersigned for `collective` and has not paid yet, minor units. */
  async #committed(collective: string): Promise<bigint> {
    let total = 0n;
    for (const r of await this.#core.records.list<CountersignRecord>('countersign', `${collective} `)) {
      if (r.state === 'countersigned') total += this.#core.minor(r.amount);
    }
    return total;
  }

  async #get(collective: string, expense: string): Promise<CountersignRecord | undefined> {
    return this.#core.records.get<CountersignRecord>('countersign', key(collective, expense));
  }

  /** The request for that expense, or `COUNTERSIGN_NOT_FOUND`. */
  async get(collective: string, expense: string): Promise<CountersignRecord> {
    const record = await this.#get(collective, expense);
    if (record === undefined) throw new AppError('COUNTERSIGN_NOT_FOUND');
    return record;
  }

  /** Requests in `state` (or all). */
  async list(state?: CountersignState): Promise<CountersignRecord[]> {
    const all = await this.#core.records.list<CountersignRecord>('countersign');
    return all.filter((r) => state === undefined || r.state === state);
  }

  /**
   * A host admin approves or refuses an expense waiting for review. When the last approval needed
   * arrives, the facts are checked again (money may have moved since) before the host signs.
   */
  review(input: {
    collective: string;
    expense: string;
    by: string;
    approve: boolean;
    reason?: string;
  }): Promise<CountersignRecord> {
    const core = this.#core;
    return core.records.exclusive(async () => {
      const record = await this.get(input.collective, input.expense);
      if (record.state !== 'review')
        throw new AppError('COUNTERSIGN_STATE', undefined, { state: record.state });
      let next: CountersignRecord;
      if (!input.approve) {
        const refusal = core.signMessage('CountersignRefusal', {
          host: core.id,
          collective: record.collective,
          expense: record.expense,
          code: 'hostAdminRefused',
          reason: input.reason ?? 'A host admin refused this expense.',
        });
        // A person's refusal stands until a new request after the ledger grows.
        next = { ...record, state: 'refused', refusal };
      } else {
        if (record.approvedBy.includes(input.by)) throw new AppError('COUNTERSIGN_SAME_ADMIN');
        const approvedBy = [...record.approvedBy, input.by];
        next = { ...record, approvedBy };
        if (approvedBy.length >= record.approvals) {
          const view = await core.readChain(record.collective);
          const expense = view.expenses.get(record.expense);
          const decision = decideCountersign(
            {
              member: (await core.member(record.collective))?.status === 'active',
              chain: view.chain,
              hostDeclared: view.host?.id === core.id && view.host.key === core.hostKey(),
              expense:
                expense === undefined
                  ? undefined
                  : { state: expense.state, amount: expense.amount, currency: view.currency ?? '' },
              balance: view.balance,
              committed: await this.#committed(record.collective),
              held: await core.held(record.collective),
            },
            core.terms,
          );
          next = decision.ok
            ? { ...next, state: 'countersigned', countersignature: this.#sign(record) }
            : {
                ...next,
                state: 'refused',
                refusal: this.#refusal(record, decision.reason),
                decidedAtSize: view.size,
              };
        }
      }
      await core.records.put([['countersign', key(record.collective, record.expense), next]]);
      return next;
    });
  }

  /**
   * Marks a countersigned expense paid with the bank's payout reference. Marking it again answers
   * the same payout record.
   */
  pay(input: {
    collective: string;
    expense: string;
    payoutReference: string;
    by: string;
  }): Promise<CountersignRecord> {
    const core = this.#core;
    return core.records.exclusive(async () => {
      const record = await this.get(input.collective, input.expense);
      if (record.state === 'paid') return record;
      if (record.state !== 'countersigned')
        throw new AppError('COUNTERSIGN_STATE', undefined, { state: record.state });
      await core.activeMember(record.collective);
      const currency = core.terms.currency;
      // A retry after a crash between this append and the record below finds the entry instead,
      // and the payout reference it recorded stands.
      const { record: host } = await core.appendOnce(
        {
          kind: 'PayoutMade',
          collective: record.collective,
          expense: record.expense,
          amount: record.amount,
          currency,
          reference: input.payoutReference.trim(),
        },
        input.by,
      );
      const entry = host.entry as SignedEntry<'PayoutMade'>;
      const payout = core.signObject('Payout', record.collective, {
        expense: record.expense,
        amount: entry.amount,
        currency,
        memo: entry.reference,
        hostEntry: host.leafHash,
      });
      const books = await core.books(record.collective);
      const updated: BooksRecord = {
        ...books,
        paid: (BigInt(books.paid) + core.minor(record.amount)).toString(),
      };
      const paid: CountersignRecord = {
        ...record,
        state: 'paid',
        payout,
        hostEntry: host.leafHash,
        paidBy: entry.by ?? input.by,
      };
      await core.records.put([
        ['countersign', key(record.collective, record.expense), paid],
        ['books', record.collective, updated],
      ]);
      return paid;
    });
  }
}
