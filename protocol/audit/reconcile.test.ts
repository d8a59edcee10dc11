// Matching two verified ledgers: both directions, in either order, failures tagged with the side
// and seq, entries in flight, twins recorded before a resumed audit, and other hosts' objects.
// Entries are plain objects: reconciliation reads fields only, the audits check signatures.
import t from 'tap';
import type { SignedEntry } from '../entry/types.ts';
import { HostReconciliation, type ReconcileResult } from './reconcile.ts';

const HOST = 'https://host.example/actors/brussels-together';
const COLLECTIVE = 'https://repair.example/actors/repair-cafe';
const hash = (n: number) => n.toString(16).padStart(64, '0');
const EXPENSE = hash(0xe);

const funds = (amount: string, published = '2026-11-27T10:00:00Z', collective = COLLECTIVE) =>
  ({
    kind: 'FundsReceived',
    attributedTo: HOST,
    collective,
    amount,
    currency: 'EUR',
    published,
  }) as unknown as SignedEntry;
const payoutMade = (amount: string) =>
  ({
    kind: 'PayoutMade',
    attributedTo: HOST,
    collective: COLLECTIVE,
    expense: EXPENSE,
    amount,
    currency: 'EUR',
    published: '2026-11-27T10:00:00Z',
  }) as unknown as SignedEntry;
const signed = (type: 'Receipt' | 'Payout', amount: string, hostEntry: string, host = HOST) => ({
  type,
  host,
  collective: COLLECTIVE,
  amount,
  currency: 'EUR',
  hostEntry,
  ...(type === 'Payout' ? { expense: EXPENSE } : {}),
});
const contribution = (amount: string, hostEntry: string, host = HOST) =>
  ({
    kind: 'Contribution',
    amount,
    currency: 'EUR',
    receipt: signed('Receipt', amount, hostEntry, host),
  }) as unknown as SignedEntry;
const paid = (amount: string, hostEntry: string) =>
  ({
    kind: 'ExpensePaid',
    expense: EXPENSE,
    amount,
    currency: 'EUR',
    payout: signed('Payout', amount, hostEntry),
  }) as unknown as SignedEntry;

type Feed = ['c' | 'h', number, SignedEntry, string?];
function run(
  feeds: Feed[],
  finish: Partial<Parameters<HostReconciliation['finish']>[0]> = {},
): ReconcileResult {
  const r = new HostReconciliation(COLLECTIVE);
  for (const [side, seq, entry, leaf] of feeds) {
    if (side === 'c') r.collectiveEntry(seq, entry);
    else r.hostEntry(seq, entry, leaf as string);
  }
  return r.finish({ host: HOST, ...finish });
}

const good: Feed[] = [
  ['h', 3, funds('120.00'), hash(1)],
  ['h', 4, funds('9.00', '2026-11-27T10:00:00Z', 'https://other.example/actors/x'), hash(9)],
  ['h', 5, payoutMade('50.00'), hash(2)],
  ['c', 7, contribution('120.00', hash(1))],
  ['c', 9, paid('50.00', hash(2))],
];

t.test('both directions match, in either order; other collectives are not this one', async (t) => {
  t.match(run(good), { ok: true, matched: 2, otherHosts: 0, inFlight: [] });
  t.match(run([...good].reverse()), { ok: true, matched: 2 });
});

t.test('a receipt or payout whose host entry is missing or records another movement', async (t) => {
  const missing = run(good.filter(([, seq]) => seq !== 3));
  t.match(missing, {
    ok: false,
    failures: 1,
    failure: {
      type: 'hostLinkInvalid',
      side: 'collective',
      seq: 7,
      path: '/receipt',
      problem: { type: 'hostEntryNotFound' },
    },
  });
  const amount = run([...good.filter(([, seq]) => seq !== 9), ['c', 9, paid('55.00', hash(2))]]);
  t.match(amount.ok ? undefined : amount.failure, {
    type: 'hostLinkInvalid',
    seq: 9,
    hostSeq: 5,
    path: '/payout',
    problem: { type: 'mismatch', field: 'amount' },
  });
  const kind = run([
    ['h', 5, payoutMade('50.00'), hash(2)],
    ['c', 7, contribution('50.00', hash(2))],
  ]);
  t.match(kind.ok ? undefined : kind.failure, {
    seq: 7,
    problem: { type: 'wrongKind', expected: 'FundsReceived', actual: 'PayoutMade' },
  });
});

t.test(
  'a host entry with no twin fails on the host side unless it is in flight or recorded before',
  async (t) => {
    const twinless = run([...good, ['h', 11, funds('30.00', '2026-11-27T12:00:00Z'), hash(3)]]);
    t.match(twinless, {
      ok: false,
      failure: {
        type: 'twinMissing',
        side: 'host',
        seq: 11,
        kind: 'FundsReceived',
        hostEntry: hash(3),
        amount: '30.00',
      },
    });
    const flying = run([...good, ['h', 11, funds('30.00', '2026-11-27T12:00:00Z'), hash(3)]], {
      inFlightAfter: '2026-11-27T11:00:00Z',
    });
    t.match(flying, { ok: true, matched: 2, inFlight: [{ seq: 11, hostEntry: hash(3), amount: '30.00' }] });
    const resumed = run(
      good.filter(([side]) => side === 'h'),
      { recordedBefore: (h) => h === hash(1) || h === hash(2) },
    );
    t.match(resumed, { ok: true, matched: 0, earlier: 2 });
  },
);

t.test('the collective side is reported first; objects of another host are counted apart', async (t) => {
  const both = run([
    ['h', 1, funds('5.00'), hash(5)],
    ['c', 20, contribution('6.00', hash(6))],
  ]);
  t.match(both, { ok: false, failures: 2, failure: { side: 'collective', seq: 20 } });
  const earlierHost = run([
    ...good,
    ['c', 2, contribution('1.00', hash(7), 'https://old-host.example/actors/h')],
  ]);
  t.match(earlierHost, { ok: true, matched: 2, otherHosts: 1 });
});
