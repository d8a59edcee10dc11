/**
 * The writer's history rules and derived data, kept incrementally so that neither an append nor a
 * restart re-folds the ledger. The rules are protocol/fold.ts's (expense transitions, money
 * direction, amounts, budget), protocol/entry/rules.ts's (host object references) and
 * protocol/entry/claims.ts's (facts recorded once, a host's members), applied in the order
 * protocol/chain.ts applies them; the tests check every ledger the writer produces with
 * the chain verifier itself, so the two cannot drift apart unnoticed.
 *
 * Why not the ChainVerifier itself: its first failure is final (the writer must refuse one entry
 * and go on), it re-verifies every proof the writer just made, and its state lives in memory
 * only, so a restart would have to replay the whole ledger.
 */

import {
  applyClaims,
  type ClaimLookup,
  type ClaimSink,
  checkClaims,
  memberKey,
  membershipStep,
  onceClaims,
} from '../../protocol/entry/claims.ts';
import { hostObjectReferences } from '../../protocol/entry/rules.ts';
import type { SignedEntry } from '../../protocol/entry/types.ts';
import {
  type BudgetSummary,
  type ExpenseAction,
  type ExpenseState,
  expenseTransition,
  foldBudget,
  moneyDirection,
  movedAmount,
  type Totals,
} from '../../protocol/fold.ts';
import { AmountError, formatAmount, parseWireAmount } from '../../protocol/money.ts';
import { jsonValue, parseJsonValue } from '../storage/codec.ts';
import type { BatchOp } from '../storage/types.ts';
import { expenseStateKey, type LedgerSublevels, META } from './layout.ts';

/** Where an expense stands, as the `expenses` sublevel keeps it. */
export interface ExpenseStatus {
  /** Leaf hash of the `Expense` entry. */
  hash: string;
  seq: number;
  state: ExpenseState;
  /** Total in minor units (decimal string: JSON has no bigint). */
  amount: string;
  title: string;
  payee: string;
  by?: string;
  /** Seq of the entry that set the current state. */
  updatedSeq: number;
}

/** Why the history rules refuse an entry (the chain verifier's failure types, without seq). */
export type RuleFailure =
  | { type: 'forbiddenTransition'; rule: string; reference?: string; from?: ExpenseState; to?: string }
  | { type: 'selfApproval'; expense: string; by: string }
  | { type: 'amountMismatch'; path: string; expected: string; actual: string }
  | { type: 'hostSignatureInvalid'; path: string; problem: unknown }
  | { type: 'balanceBelowZero'; balance: string; amount: string }
  | { type: 'alreadyRecorded'; path: string; key: string; first: string };

interface Summary {
  balance: bigint;
  budget: BudgetSummary;
}

/** JSON form of the summary in `meta/fold`. */
interface SummaryJson {
  balance: string;
  budget: { currency: string; balance: string; income: TotalsJson; spending: TotalsJson };
}
type TotalsJson = { total: string; byKind: Record<string, string>; byMonth: Record<string, string> };

const totalsToJson = (t: Totals): TotalsJson => ({
  total: t.total.toString(),
  byKind: Object.fromEntries(Object.entries(t.byKind).map(([k, v]) => [k, (v as bigint).toString()])),
  byMonth: Object.fromEntries(Object.entries(t.byMonth).map(([k, v]) => [k, v.toString()])),
});
const totalsFromJson = (t: TotalsJson): Totals => ({
  total: BigInt(t.total),
  byKind: Object.fromEntries(Object.entries(t.byKind).map(([k, v]) => [k, BigInt(v)])),
  byMonth: Object.fromEntries(Object.entries(t.byMonth).map(([k, v]) => [k, BigInt(v)])),
});

function addTotals(a: Totals, b: Totals): Totals {
  const byKind: Record<string, bigint> = { ...a.byKind } as Record<string, bigint>;
  for (const [k, v] of Object.entries(b.byKind)) byKind[k] = (byKind[k] ?? 0n) + (v as bigint);
  const byMonth = { ...a.byMonth };
  for (const [k, v] of Object.entries(b.byMonth)) byMonth[k] = (byMonth[k] ?? 0n) + v;
  return { total: a.total + b.total, byKind, byMonth };
}

/** An empty summary in `currency`. */
export function emptySummary(currency: string): Summary {
  return { balance: 0n, budget: foldBudget([], currency) };
}

/** Parses `meta/fold`. */
export function parseSummary(bytes: Uint8Array): Summary {
  const json = parseJsonValue<SummaryJson>(bytes);
  return {
    balance: BigInt(json.balance),
    budget: {
      currency: json.budget.currency,
      balance: BigInt(json.budget.balance),
      income: totalsFromJson(json.budget.income),
      spending: totalsFromJson(json.budget.spending),
    },
  };
}

function summaryBytes(summary: Summary): Uint8Array {
  const b = summary.budget;
  const json: SummaryJson = {
    balance: summary.balance.toString(),
    budget: {
      currency: b.currency,
      balance: b.balance.toString(),
      income: totalsToJson(b.income),
      spending: totalsToJson(b.spending),
    },
  };
  return jsonValue(json);
}

/**
 * The derived state of one batch in progress: reads go to the batch's own changes first, then to
 * what was prefetched from the store. {@link apply} checks an entry against the history rules
 * and records its effects only when it passes, so a refused entry leaves no trace.
 */
export class BatchState {
  summary: Summary;
  currency: string;
  readonly #expenses = new Map<string, ExpenseStatus | undefined>();
  readonly #contributions = new Map<string, bigint | undefined>();
  /** Claim keys (protocol/entry/claims.ts: once keys and member keys) → the leaf hash that holds each. */
  readonly #claims = new Map<string, string | undefined>();
  readonly #lookup: ClaimLookup = {
    once: (key) => this.#claims.get(key),
    member: (collective) => this.#claims.get(memberKey(collective)),
  };
  readonly #sink: ClaimSink = {
    setOnce: (key, hash) => this.#setClaim(key, hash),
    setMember: (collective, hash) => this.#setClaim(memberKey(collective), hash),
  };
  readonly #ops: BatchOp[] = [];
  readonly #subs: LedgerSublevels;

  /** A batch written before this one whose changes are not yet in the store. */
  #parent: BatchState | undefined;

  /**
   * `parent`, when given, is the batch just before this one, still being written: what it read
   * or changed is taken from it rather than from the store, which does not hold it yet.
   */
  constructor(subs: LedgerSublevels, summary: Summary, currency: string, parent?: BatchState) {
    this.#subs = subs;
    this.summary = summary;
    this.currency = currency;
    this.#parent = parent;
  }

  /**
   * Loads what `references` (from {@link referencesOf}) may name: the expenses and contributions
   * of leaf hashes, and the claims of claim keys.
   */
  async prefetch(references: Iterable<string>): Promise<void> {
    const unique = [...new Set(references)];
    const parent = this.#parent;
    // Dropped once used, so that batches never hold a chain of their predecessors.
    this.#parent = undefined;
    if (parent !== undefined) {
      // The parent's view is the store's plus its own changes; only what it never saw is read.
      // It sets both maps for what it read, and one for what it created (which the other lacks).
      for (const key of unique) {
        if (parent.#claims.has(key) && !this.#claims.has(key)) this.#claims.set(key, parent.#claims.get(key));
        if ((parent.#expenses.has(key) || parent.#contributions.has(key)) && !this.#expenses.has(key)) {
          this.#expenses.set(key, parent.#expenses.get(key));
          this.#contributions.set(key, parent.#contributions.get(key));
        }
      }
    }
    const wanted = unique.filter((h) => /^[0-9a-f]{64}$/.test(h) && !this.#expenses.has(h));
    const claims = unique.filter((k) => !/^[0-9a-f]{64}$/.test(k) && !this.#claims.has(k));
    if (claims.length > 0) {
      const values = await this.#subs.claims.getMany(claims);
      claims.forEach((key, i) => {
        const value = values[i];
        this.#claims.set(key, value === undefined ? undefined : parseJsonValue<string>(value));
      });
    }
    if (wanted.length === 0) return;
    const [expenses, contributions] = await Promise.all([
      this.#subs.expenses.getMany(wanted),
      this.#subs.contributions.getMany(wanted),
    ]);
    wanted.forEach((hash, i) => {
      const e = expenses[i];
      const c = contributions[i];
      this.#expenses.set(hash, e === undefined ? undefined : parseJsonValue<ExpenseStatus>(e));
      this.#contributions.set(hash, c === undefined ? undefined : BigInt(parseJsonValue<string>(c)));
    });
  }

  /**
   * Checks `entry` (signed, with hex `leafHash`) against the history rules given whether the ledger
   * has a host before it; on success records its effects and returns undefined.
   */
  apply(entry: SignedEntry, leafHash: string, hasHost: boolean): RuleFailure | undefined {
    // First, as the chain verifier does: a retried payout must read as recorded, not as money
    // the ledger no longer has.
    const claim = checkClaims(entry, entry.attributedTo, this.#lookup);
    if (claim !== undefined) return claim;
    const currency = this.currency;
    const minor = movedAmount(entry, currency);
    const direction = moneyDirection(entry);
    let balance = this.summary.balance;
    if (direction !== 0) {
      balance += BigInt(direction) * minor;
      if (balance < 0n) {
        return {
          type: 'balanceBelowZero',
          balance: formatAmount(this.summary.balance, currency),
          amount: formatAmount(minor, currency),
        };
      }
    }
    const pending: (() => void)[] = [];
    switch (entry.kind) {
      case 'Contribution':
        pending.push(() => this.#setContribution(leafHash, minor));
        break;
      case 'Refund':
      case 'HostFee': {
        const reference = (entry as SignedEntry<'Refund'>).contribution;
        const left = this.#contributions.get(reference);
        if (left === undefined)
          return { type: 'forbiddenTransition', rule: 'unknownContribution', reference };
        if (minor > left) return { type: 'forbiddenTransition', rule: 'exceedsContribution', reference };
        pending.push(() => this.#setContribution(reference, left - minor));
        break;
      }
      case 'Expense': {
        const e = entry as SignedEntry<'Expense'>;
        const status: ExpenseStatus = {
          hash: leafHash,
          seq: e.seq,
          state: 'pending',
          amount: expenseTotal(e, currency).toString(),
          title: e.title,
          payee: e.payee,
          ...(e.by === undefined ? {} : { by: e.by }),
          updatedSeq: e.seq,
        };
        pending.push(() => this.#setExpense(undefined, status));
        break;
      }
      case 'ExpenseApproved':
      case 'ExpenseRejected':
      case 'ExpenseCountersigned':
      case 'ExpensePaid': {
        const result = this.#expenseStep(entry, minor, hasHost);
        if ('type' in result) return result;
        pending.push(() => this.#setExpense(result.before, result.after));
        break;
      }
    }
    for (const effect of pending) effect();
    applyClaims(entry, leafHash, this.#sink);
    const delta = foldBudget([entry], currency);
    this.summary = {
      balance,
      budget: {
        currency,
        balance: this.summary.budget.balance + delta.balance,
        income: addTotals(this.summary.budget.income, delta.income),
        spending: addTotals(this.summary.budget.spending, delta.spending),
      },
    };
    return undefined;
  }

  #expenseStep(
    entry: SignedEntry,
    minor: bigint,
    hasHost: boolean,
  ): RuleFailure | { before: ExpenseStatus; after: ExpenseStatus } {
    const action = entry.kind as ExpenseAction;
    const reference = (entry as SignedEntry<'ExpenseApproved'>).expense;
    const open = this.#expenses.get(reference);
    if (open === undefined)
      return { type: 'forbiddenTransition', rule: 'unknownExpense', reference, to: action };
    if (action === 'ExpenseApproved' && open.by !== undefined && entry.by === open.by) {
      return { type: 'selfApproval', expense: reference, by: open.by };
    }
    const next = expenseTransition(open.state, action, hasHost);
    if (next === undefined)
      return { type: 'forbiddenTransition', rule: 'expenseState', reference, from: open.state, to: action };
    const amount = formatAmount(BigInt(open.amount), this.currency);
    if (action === 'ExpenseCountersigned') {
      const signed = (entry as SignedEntry<'ExpenseCountersigned'>).countersignature;
      const problem = hostObjectReferences(signed, {
        actor: entry.attributedTo,
        currency: this.currency,
        amount,
        expense: reference,
      });
      if (problem !== undefined) return { type: 'hostSignatureInvalid', path: '/countersignature', problem };
    }
    if (action === 'ExpensePaid' && minor !== BigInt(open.amount)) {
      return {
        type: 'amountMismatch',
        path: '/amount',
        expected: amount,
        actual: (entry as SignedEntry<'ExpensePaid'>).amount,
      };
    }
    return { before: open, after: { ...open, state: next, updatedSeq: entry.seq } };
  }

  #setClaim(key: string, hash: string | undefined): void {
    this.#claims.set(key, hash);
    this.#ops.push(
      hash === undefined
        ? { type: 'del', sublevel: this.#subs.claims, key }
        : { type: 'put', sublevel: this.#subs.claims, key, value: jsonValue(hash) },
    );
  }

  #setContribution(hash: string, left: bigint): void {
    this.#contributions.set(hash, left);
    this.#ops.push({
      type: 'put',
      sublevel: this.#subs.contributions,
      key: hash,
      value: jsonValue(left.toString()),
    });
  }

  #setExpense(before: ExpenseStatus | undefined, after: ExpenseStatus): void {
    const byState = this.#subs.expensesByState;
    this.#expenses.set(after.hash, after);
    if (before !== undefined)
      this.#ops.push({ type: 'del', sublevel: byState, key: expenseStateKey(before.state, before.seq) });
    this.#ops.push(
      {
        type: 'put',
        sublevel: byState,
        key: expenseStateKey(after.state, after.seq),
        value: jsonValue(after.hash),
      },
      { type: 'put', sublevel: this.#subs.expenses, key: after.hash, value: jsonValue(after) },
    );
  }

  /** The writes of every applied entry, and the summary. */
  ops(): BatchOp[] {
    return [
      ...this.#ops,
      { type: 'put', sublevel: this.#subs.meta, key: META.fold, value: summaryBytes(this.summary) },
    ];
  }
}

function expenseTotal(entry: SignedEntry<'Expense'>, currency: string): bigint {
  // The builder has already checked the amount; a failure here is a bug, not bad input.
  const parsed = parseWireAmount(entry.amount, currency);
  if (!parsed.ok) throw new AmountError(parsed.reason);
  return parsed.minor;
}

/**
 * What an entry body names, for {@link BatchState.prefetch}: the leaf hashes of expenses and
 * contributions, and its claim keys (the facts it records once, the member it needs).
 */
export function referencesOf(body: unknown): string[] {
  if (typeof body !== 'object' || body === null) return [];
  const out: string[] = [];
  const { kind, expense, contribution } = body as {
    kind?: unknown;
    expense?: unknown;
    contribution?: unknown;
  };
  if (typeof expense === 'string') out.push(expense);
  if (typeof contribution === 'string') out.push(contribution);
  if (typeof kind !== 'string') return out;
  for (const claim of onceClaims({ kind, ...(body as object) })) out.push(claim.key);
  const membership = membershipStep({ kind, ...(body as object) });
  if (membership !== undefined) out.push(memberKey(membership.collective));
  return out;
}
