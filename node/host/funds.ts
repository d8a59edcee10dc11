/**
 * Money in: a supporter pledges to a member collective and gets the host's bank details with a
 * unique structured reference; a host admin confirms the money received, one pledge at a time
 * or from a bank statement. Each confirmation appends the host's own `FundsReceived` (the
 * collective, the amount, the pledge reference, which the host's ledger records once) and signs
 * the `Receipt` the collective embeds in its `Contribution`, whose `hostEntry` names that entry
 * (protocol/host/links.ts). The fee is the host's terms' rate, rounded down.
 */

import type { SignedEntry } from '../../protocol/entry/types.ts';
import { findStructured, formatStructured, parseStructured } from '../../protocol/host/structured.ts';
import { hostFeeMinor } from '../../protocol/host/terms.ts';
import { formatAmount, parseAmount } from '../../protocol/money.ts';
import { AppError } from '../errors.ts';
import type { HostCore } from './core.ts';
import { parseCsv } from './csv.ts';
import type { BooksRecord, PledgeRecord, ReceiptResult } from './types.ts';

/** What a supporter is told after pledging. */
export interface PledgeAnswer {
  reference: string;
  collective: string;
  amount?: string;
  currency: string;
  bankAccount?: { holder: string; iban: string; bic?: string };
}

/** Which statement columns hold what (header names, as in the file). */
export interface StatementMapping {
  amount: string;
  /** A column holding the structured reference; without it, `description` is searched. */
  reference?: string;
  description?: string;
  /** Kept with unmatched lines to help a person find them. */
  date?: string;
  counterparty?: string;
}

/** A statement line that confirmed nothing, and why. */
export interface UnmatchedLine {
  line: number;
  reason: 'noReference' | 'unknownReference' | 'badAmount' | 'notCredit' | 'alreadyReceived' | 'notMember';
  reference?: string;
  amount?: string;
  date?: string;
  counterparty?: string;
}

/** Pledges, confirmations and statements of one host. */
export class Funds {
  readonly #core: HostCore;

  constructor(core: HostCore) {
    this.#core = core;
  }

  /** Records a pledge to an active member; answers the bank details and the unique reference. */
  pledge(input: { collective: string; amount?: string; name?: string }): Promise<PledgeAnswer> {
    const core = this.#core;
    return core.records.exclusive(async () => {
      await core.activeMember(input.collective);
      const amount = input.amount === undefined ? undefined : this.#amount(input.amount);
      const counter = (await core.records.get<number>('meta', 'pledgeCounter')) ?? 0;
      // Sequential numbers are unique by construction; the check digits catch typing mistakes.
      const reference = formatStructured(BigInt(counter + 1));
      const record: PledgeRecord = {
        reference,
        collective: input.collective,
        createdAt: core.stamp(),
        ...(amount === undefined ? {} : { amount }),
        ...(input.name === undefined ? {} : { name: input.name }),
        status: 'awaiting',
      };
      await core.records.put([
        ['meta', 'pledgeCounter', counter + 1],
        ['pledges', reference, record],
      ]);
      return this.#answer(record);
    });
  }

  #answer(record: PledgeRecord): PledgeAnswer {
    const bank = this.#core.terms.bankAccount;
    return {
      reference: record.reference,
      collective: record.collective,
      ...(record.amount === undefined ? {} : { amount: record.amount }),
      currency: this.#core.terms.currency,
      ...(bank === undefined ? {} : { bankAccount: bank }),
    };
  }

  #amount(text: string): string {
    const parsed = parseAmount(text, this.#core.terms.currency);
    if (!parsed.ok || parsed.minor === 0n) {
      throw new AppError('INVALID_AMOUNT', undefined, {
        amount: text,
        reason: parsed.ok ? { type: 'zero' } : parsed.reason,
      });
    }
    return formatAmount(parsed.minor, this.#core.terms.currency);
  }

  /** The pledge with `reference` (any printed form), or `PLEDGE_NOT_FOUND`. */
  async get(reference: string): Promise<PledgeRecord> {
    const parsed = parseStructured(reference);
    const record = parsed.ok
      ? await this.#core.records.get<PledgeRecord>('pledges', parsed.reference)
      : undefined;
    if (record === undefined) throw new AppError('PLEDGE_NOT_FOUND', undefined, { reference });
    return record;
  }

  /** Pledges awaiting money (or all), oldest first. */
  async list(status?: PledgeRecord['status']): Promise<PledgeRecord[]> {
    const all = await this.#core.records.list<PledgeRecord>('pledges');
    return all.filter((p) => status === undefined || p.status === status);
  }

  /**
   * Confirms `amount` received under `reference`. Confirming it again with the same amount answers
   * the same receipt; with another amount, `PLEDGE_ALREADY_RECEIVED`.
   */
  confirm(input: { reference: string; amount: string; by: string }): Promise<ReceiptResult> {
    return this.#core.records.exclusive(() => this.#confirm(input));
  }

  async #confirm(input: { reference: string; amount: string; by: string }): Promise<ReceiptResult> {
    const core = this.#core;
    const pledge = await this.get(input.reference);
    const amount = this.#amount(input.amount);
    if (pledge.received !== undefined) {
      if (pledge.received.amount !== amount) {
        throw new AppError('PLEDGE_ALREADY_RECEIVED', undefined, { amount: pledge.received.amount });
      }
      return result(pledge, pledge.received);
    }
    await core.activeMember(pledge.collective);
    const currency = core.terms.currency;
    // A retry after a crash between this append and the record below finds the entry instead.
    const { record: host, existing } = await core.appendOnce(
      { kind: 'FundsReceived', collective: pledge.collective, amount, currency, reference: pledge.reference },
      input.by,
    );
    const entry = host.entry as SignedEntry<'FundsReceived'>;
    if (existing && (entry.collective !== pledge.collective || entry.amount !== amount)) {
      throw new AppError('PLEDGE_ALREADY_RECEIVED', undefined, {
        amount: entry.amount,
        hostEntry: host.leafHash,
      });
    }
    const receipt = core.signObject('Receipt', pledge.collective, {
      amount,
      currency,
      memo: pledge.reference,
      hostEntry: host.leafHash,
    });
    const minor = core.minor(amount);
    const fee = hostFeeMinor(minor, (await core.activeMember(pledge.collective)).feeBasisPoints);
    const received = {
      amount,
      at: core.stamp(),
      by: entry.by ?? input.by,
      hostEntry: host.leafHash,
      receipt,
      fee: formatAmount(fee, currency),
    };
    const books = await core.books(pledge.collective);
    const updated: BooksRecord = {
      ...books,
      received: (BigInt(books.received) + minor).toString(),
      fees: (BigInt(books.fees) + fee).toString(),
    };
    const done: PledgeRecord = { ...pledge, status: 'received', received };
    await core.records.put([
      ['pledges', pledge.reference, done],
      ['books', pledge.collective, updated],
    ]);
    return result(done, received);
  }

  /**
   * Confirms every credit line of a bank statement whose reference is a pledge awaiting money;
   * lists every other line with the reason. A line already confirmed is listed, never confirmed twice.
   */
  importStatement(
    csv: string,
    mapping: StatementMapping,
    by: string,
  ): Promise<{ confirmed: ReceiptResult[]; unmatched: UnmatchedLine[] }> {
    const core = this.#core;
    return core.records.exclusive(async () => {
      const rows = parseCsv(csv);
      const header = rows[0];
      if (header === undefined) throw new AppError('STATEMENT_INVALID', 'The statement is empty.');
      const column = (name: string | undefined): number | undefined => {
        if (name === undefined) return undefined;
        const index = header.findIndex((h) => h.trim() === name);
        if (index < 0) throw new AppError('STATEMENT_INVALID', `No column named ${name}.`, { column: name });
        return index;
      };
      const at = {
        amount: column(mapping.amount) as number,
        reference: column(mapping.reference),
        description: column(mapping.description),
        date: column(mapping.date),
        counterparty: column(mapping.counterparty),
      };
      if (at.reference === undefined && at.description === undefined) {
        throw new AppError('STATEMENT_INVALID', 'Map a reference or a description column.');
      }
      const confirmed: ReceiptResult[] = [];
      const unmatched: UnmatchedLine[] = [];
      for (let i = 1; i < rows.length; i++) {
        const row = rows[i] as string[];
        const get = (index: number | undefined) => (index === undefined ? undefined : row[index]?.trim());
        const base = {
          line: i + 1,
          ...(get(at.date) ? { date: get(at.date) } : {}),
          ...(get(at.counterparty) ? { counterparty: get(at.counterparty) } : {}),
        };
        const raw = get(at.amount) ?? '';
        const text = raw.includes(',') && !raw.includes('.') ? raw.replace(',', '.') : raw;
        const reference =
          (get(at.reference) && findStructured(get(at.reference) as string)) ??
          (get(at.description) && findStructured(get(at.description) as string)) ??
          undefined;
        if (text.startsWith('-')) {
          unmatched.push({ ...base, reason: 'notCredit', amount: raw });
          continue;
        }
        const parsed = parseAmount(text.replace(/^\+/, ''), core.terms.currency);
        if (!parsed.ok || parsed.minor === 0n) {
          unmatched.push({ ...base, reason: 'badAmount', amount: raw });
          continue;
        }
        const amount = formatAmount(parsed.minor, core.terms.currency);
        if (reference === undefined) {
          unmatched.push({ ...base, reason: 'noReference', amount });
          continue;
        }
        const pledge = await core.records.get<PledgeRecord>('pledges', reference);
        const problem: UnmatchedLine['reason'] | undefined =
          pledge === undefined
            ? 'unknownReference'
            : pledge.status === 'received'
              ? 'alreadyReceived'
              : (await core.member(pledge.collective))?.status !== 'active'
                ? 'notMember'
                : undefined;
        if (problem !== undefined) {
          unmatched.push({ ...base, reason: problem, reference, amount });
          continue;
        }
        confirmed.push(await this.#confirm({ reference, amount, by }));
      }
      return { confirmed, unmatched };
    });
  }
}

function result(pledge: PledgeRecord, received: NonNullable<PledgeRecord['received']>): ReceiptResult {
  return {
    reference: pledge.reference,
    collective: pledge.collective,
    amount: received.amount,
    fee: received.fee,
    receipt: received.receipt,
    hostEntry: received.hostEntry,
  };
}
