/**
 * What a verified ledger amounts to, in the wire form an audit report prints: entries, balance,
 * income and spending by kind and month, pending expenses, and the host.
 */
import type { ChainSummary } from '../chain.ts';
import { budgetToJson, type TotalsJson } from '../fold.ts';

/** Amounts by kind in wire form. */
export interface AuditTotals {
  total: string;
  byKind: Record<string, string>;
  byMonth: Record<string, string>;
}

/** What a verified ledger amounts to, ready for JSON. */
export interface AuditSummary {
  actor: string;
  currency: string;
  entries: number;
  balance: string;
  income: AuditTotals;
  spending: AuditTotals;
  /** Expenses filed and not yet paid (pending, approved or countersigned). */
  pendingExpenses: number;
  /** The host, when one is declared (latest `HostJoined` not followed by `HostLeft`). */
  host?: string;
}

/** The summary of `actor`'s ledger from the chain verifier's, with its current host if any. */
export function toSummary(actor: string, chain: ChainSummary, host: string | undefined): AuditSummary {
  const budget = budgetToJson(chain.budget);
  const totals = (t: TotalsJson): AuditTotals => ({ total: t.total, byKind: t.byKind, byMonth: t.byMonth });
  return {
    actor,
    currency: budget.currency,
    entries: chain.entries,
    balance: chain.balance,
    income: totals(budget.income),
    spending: totals(budget.spending),
    pendingExpenses: chain.openExpenses,
    ...(host === undefined ? {} : { host }),
  };
}
