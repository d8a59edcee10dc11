/**
 * The host's decision on an approved expense, as a pure function of facts the node gathers
 * (membership, the collective's verified chain, the expense's state, balances): refuse with a
 * reason, or countersign after 0, 1 or 2 host admins approve. The order of the checks is the
 * order of the reasons below, so a collective always learns the most basic problem first.
 */
import type { ChainFailure } from '../chain.ts';
import type { ExpenseState } from '../fold.ts';
import { formatAmount } from '../money.ts';
import type { ParsedTerms } from './terms.ts';

/** What the host knows when it decides. */
export interface CountersignFacts {
  /** The collective is a current member of this host. */
  member: boolean;
  /** The collective's ledger, verified with protocol/chain.ts up to the approval. */
  chain: { ok: true } | { ok: false; reason: ChainFailure };
  /** The ledger's current host is this host, with this host's key. */
  hostDeclared: boolean;
  /** The expense as the chain shows it; undefined when the ledger has no such expense. */
  expense: { state: ExpenseState; amount: bigint; currency: string } | undefined;
  /** The collective's balance at its head, minor units. */
  balance: bigint;
  /** Expenses already countersigned and not yet paid: money promised away. */
  committed: bigint;
  /** What the host holds for the collective by its own books, when it keeps them. */
  held?: bigint;
}

/** Why the host will not countersign. */
export type CountersignRefusalReason =
  | { type: 'notMember' }
  | { type: 'chainInvalid'; failure: ChainFailure }
  | { type: 'hostNotDeclared' }
  | { type: 'unknownExpense' }
  | { type: 'currencyMismatch'; expected: string; actual: string }
  | { type: 'notApproved'; state: ExpenseState }
  | { type: 'insufficientBalance'; available: bigint; amount: bigint };

/**
 * The decision: `approvals` host admins must approve before the host signs (0: at once, within
 * the automatic limit; 1: above it; 2: above the two-admin threshold).
 */
export type CountersignDecision =
  | { ok: true; approvals: 0 | 1 | 2; available: bigint }
  | { ok: false; reason: CountersignRefusalReason };

/** Decides on an expense under `terms`. */
export function decideCountersign(facts: CountersignFacts, terms: ParsedTerms): CountersignDecision {
  if (!facts.member) return refuse({ type: 'notMember' });
  if (!facts.chain.ok) return refuse({ type: 'chainInvalid', failure: facts.chain.reason });
  if (!facts.hostDeclared) return refuse({ type: 'hostNotDeclared' });
  const expense = facts.expense;
  if (expense === undefined) return refuse({ type: 'unknownExpense' });
  if (expense.currency !== terms.currency) {
    return refuse({ type: 'currencyMismatch', expected: terms.currency, actual: expense.currency });
  }
  if (expense.state !== 'approved') return refuse({ type: 'notApproved', state: expense.state });
  const funds = facts.held === undefined || facts.held > facts.balance ? facts.balance : facts.held;
  const available = funds - facts.committed;
  if (expense.amount > available) {
    return refuse({
      type: 'insufficientBalance',
      available: available < 0n ? 0n : available,
      amount: expense.amount,
    });
  }
  const approvals = expense.amount > terms.twoAdminMinor ? 2 : expense.amount > terms.autoLimitMinor ? 1 : 0;
  return { ok: true, approvals, available };
}

function refuse(reason: CountersignRefusalReason): CountersignDecision {
  return { ok: false, reason };
}

/** A sentence for people (English) about a refusal, amounts in `currency`. */
export function describeRefusal(reason: CountersignRefusalReason, currency: string): string {
  switch (reason.type) {
    case 'notMember':
      return 'The collective is not a member of this host.';
    case 'chainInvalid':
      return `The collective's ledger does not verify at entry ${reason.failure.seq} (${reason.failure.type}).`;
    case 'hostNotDeclared':
      return "The collective's ledger does not name this host with this host's key.";
    case 'unknownExpense':
      return "The expense is not in the collective's ledger.";
    case 'currencyMismatch':
      return `The expense is in ${reason.actual}; this host holds ${reason.expected}.`;
    case 'notApproved':
      return `The expense is ${reason.state}, not approved by the collective.`;
    case 'insufficientBalance':
      return `The collective has ${formatAmount(reason.available, currency)} available, less than ${formatAmount(reason.amount, currency)}.`;
  }
}
