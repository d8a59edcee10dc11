/**
 * Folds over ledger entries: the balance, the budget summary (income and spending by kind and by
 * month), the state of each expense, and a host's members with what it received and paid for each. Each works alone over entries the caller already
 * verified, and the chain verifier runs the same code while it checks, so the numbers a page
 * shows are the numbers the auditor checked. Amounts stay in integer minor units.
 */

import type { EntryKind, SignedEntry, UnsignedEntry } from './entry/types.ts';
import { AmountError, formatAmount, parseWireAmount } from './money.ts';

/** Where an expense stands (Open Collective's machine, SPEC.md §5.5). */
export type ExpenseState = 'pending' | 'approved' | 'rejected' | 'countersigned' | 'paid';

/** The entries that move an expense from one state to another. */
export type ExpenseAction = 'ExpenseApproved' | 'ExpenseRejected' | 'ExpenseCountersigned' | 'ExpensePaid';

/**
 * The state after `action` on an expense in state `from`, or undefined when the transition is
 * forbidden. Countersigning needs a host; with a host an expense is paid only once countersigned,
 * without one straight from approved.
 */
export function expenseTransition(
  from: ExpenseState,
  action: ExpenseAction,
  hasHost: boolean,
): ExpenseState | undefined {
  switch (action) {
    case 'ExpenseApproved':
      return from === 'pending' || from === 'rejected' ? 'approved' : undefined;
    case 'ExpenseRejected':
      return from === 'pending' ? 'rejected' : undefined;
    case 'ExpenseCountersigned':
      return hasHost && from === 'approved' ? 'countersigned' : undefined;
    case 'ExpensePaid':
      if (hasHost) return from === 'countersigned' ? 'paid' : undefined;
      return from === 'approved' ? 'paid' : undefined;
  }
}

/** Which way an entry moves money: +1 in, -1 out, 0 for entries that move none. */
export function moneyDirection(entry: UnsignedEntry): 1 | -1 | 0 {
  switch (entry.kind) {
    case 'Contribution':
    case 'FundsReceived':
      return 1;
    case 'ExpensePaid':
    case 'Refund':
    case 'HostFee':
    case 'PayoutMade':
      return -1;
    case 'Transfer':
      return (entry as UnsignedEntry<'Transfer'>).direction === 'in' ? 1 : -1;
    default:
      return 0;
  }
}

/** The amount an entry moves, in minor units of `currency` (0n for entries that move none). */
export function movedAmount(entry: UnsignedEntry, currency: string): bigint {
  if (moneyDirection(entry) === 0) return 0n;
  const parsed = parseWireAmount((entry as { amount?: unknown }).amount, currency);
  if (!parsed.ok) throw new AmountError(parsed.reason);
  return parsed.minor;
}

/** The balance after `entries` (verified, in ledger `currency`); may be negative if they are not. */
export function foldBalance(entries: Iterable<UnsignedEntry>, currency: string): bigint {
  let balance = 0n;
  for (const entry of entries) balance += BigInt(moneyDirection(entry)) * movedAmount(entry, currency);
  return balance;
}

/** Totals in minor units, overall, by entry kind and by month (`YYYY-MM` of `published`). */
export interface Totals {
  total: bigint;
  byKind: Partial<Record<EntryKind, bigint>>;
  byMonth: Record<string, bigint>;
}

/** Income and spending of a ledger. */
export interface BudgetSummary {
  currency: string;
  balance: bigint;
  income: Totals;
  spending: Totals;
}

function emptyTotals(): Totals {
  return { total: 0n, byKind: {}, byMonth: {} };
}

/** Accumulates a {@link BudgetSummary} one entry at a time; memory grows with months only. */
export class BudgetFold {
  readonly #summary: BudgetSummary;

  constructor(currency: string) {
    this.#summary = { currency, balance: 0n, income: emptyTotals(), spending: emptyTotals() };
  }

  /** Adds one entry; entries that move no money are ignored. */
  push(entry: UnsignedEntry): void {
    const direction = moneyDirection(entry);
    if (direction === 0) return;
    const minor = movedAmount(entry, this.#summary.currency);
    const totals = direction === 1 ? this.#summary.income : this.#summary.spending;
    totals.total += minor;
    totals.byKind[entry.kind] = (totals.byKind[entry.kind] ?? 0n) + minor;
    const month = entry.published.slice(0, 7);
    totals.byMonth[month] = (totals.byMonth[month] ?? 0n) + minor;
    this.#summary.balance += BigInt(direction) * minor;
  }

  /** A fold that continues from `summary` (a resumed audit, chain-snapshot.ts). */
  static resume(summary: BudgetSummary): BudgetFold {
    const fold = new BudgetFold(summary.currency);
    const own = fold.#summary;
    own.balance = summary.balance;
    own.income = {
      total: summary.income.total,
      byKind: { ...summary.income.byKind },
      byMonth: { ...summary.income.byMonth },
    };
    own.spending = {
      total: summary.spending.total,
      byKind: { ...summary.spending.byKind },
      byMonth: { ...summary.spending.byMonth },
    };
    return fold;
  }

  /** A copy of the summary so far. */
  summary(): BudgetSummary {
    const s = this.#summary;
    const copy = (t: Totals): Totals => ({
      total: t.total,
      byKind: { ...t.byKind },
      byMonth: { ...t.byMonth },
    });
    return { currency: s.currency, balance: s.balance, income: copy(s.income), spending: copy(s.spending) };
  }
}

/** The budget summary of verified `entries`. */
export function foldBudget(entries: Iterable<UnsignedEntry>, currency: string): BudgetSummary {
  const fold = new BudgetFold(currency);
  for (const entry of entries) fold.push(entry);
  return fold.summary();
}

/** Totals with wire amounts (strings), for JSON output. */
export interface TotalsJson {
  total: string;
  byKind: Record<string, string>;
  byMonth: Record<string, string>;
}

/** A budget summary with wire amounts, ready for JSON. A negative balance gets a leading `-`. */
export function budgetToJson(summary: BudgetSummary): {
  currency: string;
  balance: string;
  income: TotalsJson;
  spending: TotalsJson;
} {
  const c = summary.currency;
  const amount = (minor: bigint): string =>
    minor < 0n ? `-${formatAmount(-minor, c)}` : formatAmount(minor, c);
  const totals = (t: Totals): TotalsJson => ({
    total: amount(t.total),
    byKind: Object.fromEntries(Object.entries(t.byKind).map(([k, v]) => [k, amount(v as bigint)])),
    byMonth: Object.fromEntries(Object.entries(t.byMonth).map(([k, v]) => [k, amount(v)])),
  });
  return {
    currency: c,
    balance: amount(summary.balance),
    income: totals(summary.income),
    spending: totals(summary.spending),
  };
}

/** What the expense fold knows of one expense. */
export interface ExpenseRecord {
  state: ExpenseState;
  /** The total, in minor units. */
  amount: bigint;
  title: string;
  payee: string;
  /** Seq of the `Expense` entry. */
  seq: number;
}

/**
 * Expense states by the expense's leaf hash (hex). It trusts its input: entries that do not
 * follow the state machine are ignored, since only the chain verifier decides validity.
 */
export class ExpenseFold {
  readonly #expenses = new Map<string, ExpenseRecord>();
  #hasHost = false;

  /** Adds one entry; `leafHash` is its hex leaf hash (only `Expense` entries use it). */
  push(entry: SignedEntry | UnsignedEntry, leafHash: string, currency: string): void {
    switch (entry.kind) {
      case 'HostJoined':
        this.#hasHost = true;
        return;
      case 'HostLeft':
        this.#hasHost = false;
        return;
      case 'Expense': {
        const e = entry as UnsignedEntry<'Expense'>;
        const parsed = parseWireAmount(e.amount, currency);
        if (!parsed.ok) return;
        this.#expenses.set(leafHash, {
          state: 'pending',
          amount: parsed.minor,
          title: e.title,
          payee: e.payee,
          seq: e.seq,
        });
        return;
      }
      case 'ExpenseApproved':
      case 'ExpenseRejected':
      case 'ExpenseCountersigned':
      case 'ExpensePaid': {
        const record = this.#expenses.get((entry as { expense: string }).expense);
        if (record === undefined) return;
        const next = expenseTransition(record.state, entry.kind, this.#hasHost);
        if (next !== undefined) record.state = next;
        return;
      }
    }
  }

  /**
   * A fold that continues from `records` (what {@link ExpenseFold.states} answered) and whether
   * the ledger had a host after them: a reader that kept both need not push the older entries again.
   */
  static resume(records: Iterable<readonly [string, ExpenseRecord]>, hasHost: boolean): ExpenseFold {
    const fold = new ExpenseFold();
    for (const [hash, record] of records) fold.#expenses.set(hash, { ...record });
    fold.#hasHost = hasHost;
    return fold;
  }

  /** The record of the expense whose leaf hash is `hash`. */
  get(hash: string): Readonly<ExpenseRecord> | undefined {
    return this.#expenses.get(hash);
  }

  /** Every expense seen, by leaf hash. */
  states(): ReadonlyMap<string, Readonly<ExpenseRecord>> {
    return this.#expenses;
  }
}

/** Expense states of verified entries given with their hex leaf hashes. */
export function foldExpenses(
  entries: Iterable<{ entry: SignedEntry | UnsignedEntry; leafHash: string }>,
  currency: string,
): ReadonlyMap<string, Readonly<ExpenseRecord>> {
  const fold = new ExpenseFold();
  for (const { entry, leafHash } of entries) fold.push(entry, leafHash, currency);
  return fold.states();
}

/** What the member fold knows of one collective on a host's ledger. */
export interface HostMember {
  collective: string;
  status: 'active' | 'left';
  /** The collective's ledger key when it joined (Multikey), and the fee it joined at. */
  collectiveKey: string;
  feeBasisPoints: number;
  /** Leaf hash and seq of the latest `MemberJoined`. */
  joined: string;
  seq: number;
  /** Money received for it (`FundsReceived`) and paid out for it (`PayoutMade`), minor units. */
  received: bigint;
  paid: bigint;
}

/**
 * A host's members by collective id, from its own ledger (SPEC.md §5.6). Like the expense fold it
 * trusts its input: the chain verifier decides validity. A collective that leaves and joins again
 * keeps its totals.
 */
export class MemberFold {
  readonly #members = new Map<string, HostMember>();

  /** Adds one entry; `leafHash` is its hex leaf hash (only `MemberJoined` uses it). */
  push(entry: SignedEntry | UnsignedEntry, leafHash: string, currency: string): void {
    switch (entry.kind) {
      case 'MemberJoined': {
        const m = entry as UnsignedEntry<'MemberJoined'>;
        const before = this.#members.get(m.collective);
        this.#members.set(m.collective, {
          collective: m.collective,
          status: 'active',
          collectiveKey: m.collectiveKey,
          feeBasisPoints: m.feeBasisPoints,
          joined: leafHash,
          seq: m.seq,
          received: before?.received ?? 0n,
          paid: before?.paid ?? 0n,
        });
        return;
      }
      case 'MemberLeft': {
        const record = this.#members.get((entry as UnsignedEntry<'MemberLeft'>).collective);
        if (record !== undefined) record.status = 'left';
        return;
      }
      case 'FundsReceived':
      case 'PayoutMade': {
        const record = this.#members.get((entry as UnsignedEntry<'FundsReceived'>).collective);
        const parsed = parseWireAmount((entry as UnsignedEntry<'FundsReceived'>).amount, currency);
        if (record === undefined || !parsed.ok) return;
        if (entry.kind === 'FundsReceived') record.received += parsed.minor;
        else record.paid += parsed.minor;
        return;
      }
    }
  }

  /** The record of `collective`, or undefined if it never joined. */
  get(collective: string): Readonly<HostMember> | undefined {
    return this.#members.get(collective);
  }

  /** Every collective that ever joined, by id. */
  members(): ReadonlyMap<string, Readonly<HostMember>> {
    return this.#members;
  }
}

/** The members of a host from its verified entries given with their hex leaf hashes. */
export function foldMembers(
  entries: Iterable<{ entry: SignedEntry | UnsignedEntry; leafHash: string }>,
  currency: string,
): ReadonlyMap<string, Readonly<HostMember>> {
  const fold = new MemberFold();
  for (const { entry, leafHash } of entries) fold.push(entry, leafHash, currency);
  return fold.members();
}
