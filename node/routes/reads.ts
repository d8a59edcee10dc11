/**
 * Derived reads (balance, budget summary, expenses by state) as the API shows them: the ledger
 * service keeps them incrementally; this module only turns minor units into wire amounts.
 */
import { budgetToJson, type ExpenseState } from '../../protocol/fold.ts';
import { formatAmount } from '../../protocol/money.ts';
import type { ActorHandle } from './context.ts';

/** Expense states (SPEC.md §5.5, Open Collective's machine). */
export const EXPENSE_STATES: readonly ExpenseState[] = [
  'pending',
  'approved',
  'rejected',
  'countersigned',
  'paid',
];

const AMOUNT_MAP = { type: 'object', additionalProperties: { type: 'string' } } as const;
const TOTALS = {
  type: 'object',
  required: ['total', 'byKind', 'byMonth'],
  properties: { total: { type: 'string' }, byKind: AMOUNT_MAP, byMonth: AMOUNT_MAP },
} as const;

export const balanceSchema = {
  type: 'object',
  required: ['currency', 'balance', 'size'],
  properties: {
    currency: { type: 'string' },
    balance: { type: 'string', description: 'Decimal string with the currency minor digits.' },
    size: { type: 'integer', description: 'Entries the balance covers.' },
  },
} as const;

export const budgetSchema = {
  type: 'object',
  required: ['currency', 'balance', 'size', 'income', 'spending'],
  properties: {
    currency: { type: 'string' },
    balance: { type: 'string' },
    size: { type: 'integer' },
    income: TOTALS,
    spending: TOTALS,
    expenses: {
      type: 'object',
      description: 'Number of expenses in each state.',
      additionalProperties: { type: 'integer' },
    },
  },
} as const;

export const expenseStatusSchema = {
  type: 'object',
  required: ['hash', 'seq', 'state', 'amount', 'currency', 'title', 'payee'],
  properties: {
    hash: { type: 'string' },
    seq: { type: 'integer' },
    state: { type: 'string', enum: EXPENSE_STATES },
    amount: { type: 'string' },
    currency: { type: 'string' },
    title: { type: 'string' },
    payee: { type: 'string' },
    by: { type: 'string' },
    updatedSeq: { type: 'integer', description: 'Seq of the entry that set the current state.' },
  },
} as const;

export function readBalance(handle: ActorHandle) {
  const balance = handle.ledger.balance();
  return { currency: handle.info.currency, balance: balance.amount, size: handle.ledger.head().size };
}

export async function readBudget(handle: ActorHandle) {
  const expenses: Record<string, number> = {};
  for (const state of EXPENSE_STATES) {
    // Counting walks the state index; fine for a collective's size, cached later if needed.
    let count = 0;
    let cursor: string | undefined;
    do {
      const page = await handle.ledger.expenses(state, {
        limit: 500,
        ...(cursor !== undefined ? { cursor } : {}),
      });
      count += page.items.length;
      cursor = page.next;
    } while (cursor !== undefined);
    expenses[state] = count;
  }
  const budget = budgetToJson(handle.ledger.budget());
  return { ...budget, currency: handle.info.currency, size: handle.ledger.head().size, expenses };
}

export async function readExpenses(
  handle: ActorHandle,
  query: { state: ExpenseState; cursor?: string; limit?: number; order?: 'newest' | 'oldest' },
) {
  const page = await handle.ledger.expenses(query.state, query);
  const currency = handle.info.currency;
  return {
    items: page.items.map((status) => ({
      ...status,
      amount: formatAmount(BigInt(status.amount), currency),
      currency,
    })),
    ...(page.next !== undefined ? { next: page.next } : {}),
  };
}

/** The state of the expense with leaf hash `hash`, or undefined when it is not an expense. */
export async function expenseState(handle: ActorHandle, hash: string): Promise<ExpenseState | undefined> {
  return (await handle.ledger.expense(hash))?.state;
}
