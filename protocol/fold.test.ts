import t from 'tap';
import { ALICE, BOB, LedgerWriter } from '../test-support/ledger.ts';
import {
  budgetToJson,
  type ExpenseState,
  expenseTransition,
  foldBalance,
  foldBudget,
  foldExpenses,
} from './fold.ts';

t.test('the expense state machine, with and without a host', async (t) => {
  const states: ExpenseState[] = ['pending', 'approved', 'rejected', 'countersigned', 'paid'];
  const allowed: string[] = [];
  for (const hasHost of [false, true]) {
    for (const from of states) {
      for (const action of [
        'ExpenseApproved',
        'ExpenseRejected',
        'ExpenseCountersigned',
        'ExpensePaid',
      ] as const) {
        const to = expenseTransition(from, action, hasHost);
        if (to !== undefined) allowed.push(`${hasHost ? 'host' : 'alone'}: ${from} -${action}-> ${to}`);
      }
    }
  }
  t.same(allowed.sort(), [
    'alone: approved -ExpensePaid-> paid',
    'alone: pending -ExpenseApproved-> approved',
    'alone: pending -ExpenseRejected-> rejected',
    'alone: rejected -ExpenseApproved-> approved',
    'host: approved -ExpenseCountersigned-> countersigned',
    'host: countersigned -ExpensePaid-> paid',
    'host: pending -ExpenseApproved-> approved',
    'host: pending -ExpenseRejected-> rejected',
    'host: rejected -ExpenseApproved-> approved',
  ]);
});

t.test('balance, budget by kind and month, expense states', async (t) => {
  const w = new LedgerWriter();
  w.append({ kind: 'Contribution', amount: '0.10', currency: 'EUR' });
  w.append({ kind: 'Contribution', amount: '0.20', currency: 'EUR' });
  const e = w.append({
    kind: 'Expense',
    by: ALICE,
    expenseType: 'receipt',
    title: 'Glue',
    payee: 'Alice',
    items: [{ description: 'Glue', amount: '0.25', incurredOn: '2026-01-01' }],
    amount: '0.25',
    currency: 'EUR',
    commitments: {},
    attachments: [],
  });
  const hash = w.hash(e.entry.seq);
  w.append({ kind: 'ExpenseApproved', by: BOB, expense: hash });
  w.append({ kind: 'ExpensePaid', expense: hash, amount: '0.25', currency: 'EUR' });
  w.append({
    kind: 'Transfer',
    amount: '0.05',
    currency: 'EUR',
    direction: 'in',
    counterparty: 'https://o.example/a',
  });
  t.equal(foldBalance(w.entries, 'EUR'), 10n, '0.10 + 0.20 - 0.25 + 0.05, exactly');
  const budget = budgetToJson(foldBudget(w.entries, 'EUR'));
  t.same(budget, {
    currency: 'EUR',
    balance: '0.10',
    income: {
      total: '0.35',
      byKind: { Contribution: '0.30', Transfer: '0.05' },
      byMonth: { '2026-01': '0.35' },
    },
    spending: { total: '0.25', byKind: { ExpensePaid: '0.25' }, byMonth: { '2026-01': '0.25' } },
  });
  const states = foldExpenses(
    w.built.map((b) => ({ entry: b.entry, leafHash: Buffer.from(b.leafHash).toString('hex') })),
    'EUR',
  );
  t.same(
    [...states.entries()],
    [[hash, { state: 'paid', amount: 25n, title: 'Glue', payee: 'Alice', seq: 3 }]],
  );
});
