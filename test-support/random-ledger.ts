// Random valid ledgers for property tests: real keys, real signatures (test-support/ledger.ts),
// and a model of what they amount to.
import fc from 'fast-check';
import { keyPairFromSeed } from '../protocol/crypto.ts';
import { toHex, utf8 } from '../protocol/encoding.ts';
import { formatAmount } from '../protocol/money.ts';
import { encodeMultikey } from '../protocol/multikey.ts';
import { ALICE, BOB, HOST, LedgerWriter, seed } from './ledger.ts';

const COLLECTIVES = [
  'https://garden.example/actors/garden',
  'https://choir.example/actors/choir',
  'https://repair.example/actors/bikes',
];
const COLLECTIVE_KEY = encodeMultikey(keyPairFromSeed(seed(100)).publicKey);
const USERS = [ALICE, BOB, 'https://repair.example/users/carol'];

/** What the generator expects the ledger to amount to. */
export interface Model {
  balance: bigint;
  expenses: { hash: string; amount: bigint; by: string; state: string }[];
  contributions: { hash: string; left: bigint }[];
  host: boolean;
  keys: number;
  /** Host-ledger kinds: current members, and a counter for unique references and expenses. */
  members: string[];
  hostFacts: number;
}

/** One random step: `op` picks the kind, `a` and `b` its details. */
export type Action = { op: number; a: number; b: number };

/** `minor` euro cents in wire form. */
export const eur = (minor: bigint) => formatAmount(minor, 'EUR');

/**
 * Interprets actions as valid entries; an action that does not fit the state becomes an Update.
 * Ops 13 to 16 are a host's own kinds (MemberJoined, MemberLeft, FundsReceived, PayoutMade), so
 * that the ledger also keeps a member list and references recorded once.
 */
export function randomLedger(actions: Action[]): { writer: LedgerWriter; model: Model } {
  const w = new LedgerWriter();
  const m: Model = {
    balance: 0n,
    expenses: [],
    contributions: [],
    host: false,
    keys: 1,
    members: [],
    hostFacts: 0,
  };
  for (const { op, a, b } of actions) {
    const pick = <T>(list: T[]): T | undefined => (list.length === 0 ? undefined : list[a % list.length]);
    switch (op) {
      case 0: {
        const minor = BigInt((a % 100_000) + 1);
        const amount = eur(minor);
        const receipt = m.host ? { receipt: w.hostSign('Receipt', { amount, currency: 'EUR' }) } : {};
        const built = w.append({
          kind: 'Contribution',
          amount,
          currency: 'EUR',
          ...(b % 2 === 0 ? { contributor: `Friend ${b}` } : {}),
          ...receipt,
        });
        m.balance += minor;
        m.contributions.push({ hash: w.hash(built.entry.seq), left: minor });
        continue;
      }
      case 1: {
        const items = Array.from({ length: (b % 3) + 1 }, (_, i) => BigInt((a % 5_000) + i + 1));
        const total = items.reduce((x, y) => x + y, 0n);
        const by = USERS[b % USERS.length] as string;
        const built = w.append({
          kind: 'Expense',
          by,
          expenseType: 'invoice',
          title: `Expense ${a}`,
          payee: 'Someone & Co',
          items: items.map((minor, i) => ({
            description: `item ${i}`,
            amount: eur(minor),
            incurredOn: '2026-02-01',
          })),
          amount: eur(total),
          currency: 'EUR',
          commitments: {},
          attachments: [],
        });
        m.expenses.push({ hash: w.hash(built.entry.seq), amount: total, by, state: 'pending' });
        continue;
      }
      case 2: {
        const e = pick(m.expenses.filter((x) => x.state === 'pending' || x.state === 'rejected'));
        if (e === undefined) break;
        const by = USERS.find((u) => u !== e.by) as string;
        w.append({ kind: 'ExpenseApproved', by, expense: e.hash });
        e.state = 'approved';
        continue;
      }
      case 3: {
        const e = pick(m.expenses.filter((x) => x.state === 'pending'));
        if (e === undefined) break;
        w.append({ kind: 'ExpenseRejected', by: BOB, expense: e.hash, comment: 'Not <this> one' });
        e.state = 'rejected';
        continue;
      }
      case 4: {
        const e = pick(m.expenses.filter((x) => x.state === 'approved'));
        if (e === undefined || !m.host) break;
        const fields = { amount: eur(e.amount), currency: 'EUR', expense: e.hash };
        w.append({
          kind: 'ExpenseCountersigned',
          expense: e.hash,
          countersignature: w.hostSign('ExpenseCountersignature', fields),
        });
        e.state = 'countersigned';
        continue;
      }
      case 5: {
        const ready = m.expenses.filter((x) => x.state === (m.host ? 'countersigned' : 'approved'));
        const e = pick(ready.filter((x) => x.amount <= m.balance));
        if (e === undefined) break;
        const fields = { amount: eur(e.amount), currency: 'EUR', expense: e.hash };
        w.append({
          kind: 'ExpensePaid',
          ...fields,
          ...(m.host ? { payout: w.hostSign('Payout', { ...fields, memo: 'SEPA' }) } : {}),
        });
        e.state = 'paid';
        m.balance -= e.amount;
        continue;
      }
      case 6:
      case 7: {
        const c = pick(m.contributions.filter((x) => x.left > 0n));
        if (c === undefined || m.balance === 0n || (op === 7 && !m.host)) break;
        const cap = c.left < m.balance ? c.left : m.balance;
        const minor = (BigInt(b) % cap) + 1n;
        const common = { contribution: c.hash, amount: eur(minor), currency: 'EUR' };
        if (op === 6) w.append({ kind: 'Refund', ...common });
        else w.append({ kind: 'HostFee', ...common, host: HOST });
        c.left -= minor;
        m.balance -= minor;
        continue;
      }
      case 8: {
        const out = b % 2 === 1 && m.balance > 0n;
        const minor = out ? (BigInt(a) % m.balance) + 1n : BigInt((a % 1000) + 1);
        w.append({
          kind: 'Transfer',
          amount: eur(minor),
          currency: 'EUR',
          direction: out ? 'out' : 'in',
          counterparty: 'https://other.example/actors/x',
        });
        m.balance += out ? -minor : minor;
        continue;
      }
      case 9:
        w.append({
          kind: 'KeyRotated',
          ledgerKey: encodeMultikey(keyPairFromSeed(seed(m.keys + 1)).publicKey),
        });
        m.keys++;
        continue;
      case 10:
        if (m.host) {
          w.append({ kind: 'HostLeft', host: HOST });
          m.host = false;
        } else {
          w.joinHost();
          m.host = true;
        }
        continue;
      case 11:
        w.append({
          kind: 'Event',
          name: `Day ${a}`,
          startTime: '2026-03-01T09:00:00Z',
          endTime: '2026-03-01T17:00:00Z',
          timeZone: 'Europe/Brussels',
          place: 'Hall',
          description: 'Come',
        });
        continue;
      case 13:
      case 14:
      case 15:
      case 16:
        if (hostKind(w, m, op, a, b)) continue;
        break;
    }
    w.append({ kind: 'Update', title: `Note ${a}`, body: `Body ${b} "quoted"` });
  }
  return { writer: w, model: m };
}

function hostKind(w: LedgerWriter, m: Model, op: number, a: number, b: number): boolean {
  const member = m.members.length === 0 ? undefined : m.members[a % m.members.length];
  switch (op) {
    case 13: {
      const collective = COLLECTIVES[a % COLLECTIVES.length] as string;
      if (m.members.includes(collective)) return false;
      w.append({
        kind: 'MemberJoined',
        collective,
        collectiveKey: COLLECTIVE_KEY,
        feeBasisPoints: b % 1000,
        application: 'a1'.repeat(32),
        terms: 'b2'.repeat(32),
      });
      m.members.push(collective);
      return true;
    }
    case 14:
      if (member === undefined) return false;
      w.append({ kind: 'MemberLeft', collective: member });
      m.members = m.members.filter((x) => x !== member);
      return true;
    case 15: {
      if (member === undefined) return false;
      const minor = BigInt((a % 50_000) + 1);
      const reference = `RF${++m.hostFacts}`;
      w.append({ kind: 'FundsReceived', collective: member, amount: eur(minor), currency: 'EUR', reference });
      m.balance += minor;
      return true;
    }
    default: {
      if (member === undefined || m.balance === 0n) return false;
      const minor = (BigInt(b) % m.balance) + 1n;
      const expense = toHex(w.backend.sha256(utf8(`expense ${++m.hostFacts}`)));
      const common = { collective: member, amount: eur(minor), currency: 'EUR' };
      w.append({ kind: 'PayoutMade', ...common, expense, reference: `PO${m.hostFacts}` });
      m.balance -= minor;
      return true;
    }
  }
}

/** One action of a collective's ledger (ops 0 to 12). */
export const actionArb = fc.record({
  op: fc.integer({ min: 0, max: 12 }),
  a: fc.nat(1_000_000),
  b: fc.nat(1_000),
});
/** A collective's ledger of 10 to 60 entries. */
export const ledgerArb = fc.array(actionArb, { minLength: 9, maxLength: 59 });
/** A ledger that also carries a host's own kinds (ops 13 to 16). */
export const mixedLedgerArb = fc.array(
  fc.record({ op: fc.integer({ min: 0, max: 16 }), a: fc.nat(1_000_000), b: fc.nat(1_000) }),
  { minLength: 9, maxLength: 79 },
);
