// Property tests: random valid ledgers verify, and any single change fails with the reason and
// seq written down below for that change.
import fc from 'fast-check';
import t from 'tap';
import { ALICE, BOB, clone, HOST, LedgerWriter, seed } from '../test-support/ledger.ts';
import { type ChainFailure, verifyChain } from './chain.ts';
import { keyPairFromSeed } from './crypto.ts';
import type { SignedEntry } from './entry/types.ts';
import { formatAmount } from './money.ts';
import { encodeMultikey } from './multikey.ts';

const USERS = [ALICE, BOB, 'https://repair.example/users/carol'];

interface Model {
  balance: bigint;
  expenses: { hash: string; amount: bigint; by: string; state: string }[];
  contributions: { hash: string; left: bigint }[];
  host: boolean;
  keys: number;
}

type Action = { op: number; a: number; b: number };

const eur = (minor: bigint) => formatAmount(minor, 'EUR');

/** Interprets actions as valid entries; an action that does not fit the state becomes an Update. */
function randomLedger(actions: Action[]): { writer: LedgerWriter; model: Model } {
  const w = new LedgerWriter();
  const m: Model = { balance: 0n, expenses: [], contributions: [], host: false, keys: 1 };
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
    }
    w.append({ kind: 'Update', title: `Note ${a}`, body: `Body ${b} "quoted"` });
  }
  return { writer: w, model: m };
}

const actionArb = fc.record({ op: fc.integer({ min: 0, max: 12 }), a: fc.nat(1_000_000), b: fc.nat(1_000) });
const ledgerArb = fc.array(actionArb, { minLength: 9, maxLength: 59 });

type Mutation = (entries: SignedEntry[]) => { entries: unknown[]; type: ChainFailure['type']; seq: number };

/** Each mutation, with the reason and seq it must give. `k` picks an entry (never the last for drops). */
function mutations(k: number, j: number, text: string): Record<string, Mutation> {
  const at = (entries: unknown[]) => k % entries.length;
  const tail = (entries: unknown[]) => 1 + (k % (entries.length - 1));
  return {
    // A flipped character in the sentence: the signature no longer covers the entry.
    flipContent: (entries) => {
      const copy = clone(entries);
      const i = at(copy);
      const e = copy[i] as { content: string };
      const p = j % e.content.length;
      e.content = e.content.slice(0, p) + (e.content[p] === 'x' ? 'y' : 'x') + e.content.slice(p + 1);
      return { entries: copy, type: proofReason(copy[i]), seq: i };
    },
    // A changed field that stays well-formed (the link text): still only the signature sees it.
    changeContent: (entries) => {
      const copy = clone(entries);
      const i = at(copy);
      (copy[i] as { content: string }).content += ` ${text}`;
      return { entries: copy, type: proofReason(copy[i]), seq: i };
    },
    flipProofValue: (entries) => {
      const copy = clone(entries);
      const i = at(copy);
      const proof = (copy[i] as SignedEntry).proof;
      const p = 1 + (j % (proof.proofValue.length - 1));
      const c = proof.proofValue[p] === '2' ? '3' : '2';
      proof.proofValue = proof.proofValue.slice(0, p) + c + proof.proofValue.slice(p + 1);
      return { entries: copy, type: proofReason(copy[i]), seq: i };
    },
    flipPrev: (entries) => {
      const copy = clone(entries);
      const i = tail(copy);
      const e = copy[i] as { prev: string };
      const p = j % 64;
      e.prev = e.prev.slice(0, p) + (e.prev[p] === '0' ? '1' : '0') + e.prev.slice(p + 1);
      return { entries: copy, type: 'prevMismatch', seq: i };
    },
    changeSeq: (entries) => {
      const copy = clone(entries);
      const i = at(copy);
      (copy[i] as { seq: number }).seq += 1 + (j % 3);
      return { entries: copy, type: 'seqGap', seq: i };
    },
    changeActor: (entries) => {
      const copy = clone(entries);
      const i = tail(copy);
      (copy[i] as { attributedTo: string }).attributedTo = 'https://evil.example/actors/x';
      return { entries: copy, type: 'wrongActor', seq: i };
    },
    changeKind: (entries) => {
      const copy = clone(entries);
      const i = at(copy);
      (copy[i] as { kind: string }).kind = `X${text}`;
      return { entries: copy, type: 'unknownKind', seq: i };
    },
    addMember: (entries) => {
      const copy = clone(entries);
      const i = at(copy);
      (copy[i] as unknown as Record<string, unknown>).note = text;
      return { entries: copy, type: 'schemaViolation', seq: i };
    },
    changePublished: (entries) => {
      const copy = clone(entries);
      const i = at(copy);
      (copy[i] as { published: string }).published = '1999-12-31T23:59:59Z';
      return { entries: copy, type: 'schemaViolation', seq: i };
    },
    // Another key id: the key check comes before the signature, and a rotation names its own reason.
    changeKeyId: (entries) => {
      const copy = clone(entries);
      const i = at(copy);
      const e = copy[i] as SignedEntry;
      e.proof.verificationMethod = `${e.attributedTo}#ledger-key-${99 + j}`;
      return {
        entries: copy,
        type: e.kind === 'KeyRotated' ? 'keyRotationInvalid' : 'keyNotLedgers',
        seq: i,
      };
    },
    // Swapping i < m: position i now holds seq m, a gap.
    reorder: (entries) => {
      const copy = clone(entries);
      const i = k % (copy.length - 1);
      const m = i + 1 + (j % (copy.length - 1 - i));
      [copy[i], copy[m]] = [copy[m] as SignedEntry, copy[i] as SignedEntry];
      return { entries: copy, type: 'seqGap', seq: i };
    },
    // Dropping any entry but the last (dropping the last leaves a valid prefix).
    drop: (entries) => {
      const copy = clone(entries);
      const i = k % (copy.length - 1);
      copy.splice(i, 1);
      return { entries: copy, type: 'seqGap', seq: i };
    },
    duplicate: (entries) => {
      const copy = clone(entries);
      const i = at(copy);
      copy.splice(i + 1, 0, clone(copy[i] as SignedEntry));
      return { entries: copy, type: 'seqDuplicate', seq: i + 1 };
    },
  };
}

/** A change only the signature sees: `badProof`, or for a rotation its own reason. */
function proofReason(entry: unknown): ChainFailure['type'] {
  return (entry as SignedEntry).kind === 'KeyRotated' ? 'keyRotationInvalid' : 'badProof';
}

const MUTATIONS = Object.keys(mutations(0, 0, ''));

t.test('random valid ledgers verify, and their balance is the model’s', async (t) => {
  fc.assert(
    fc.property(ledgerArb, (actions) => {
      const { writer, model } = randomLedger(actions);
      const result = verifyChain(writer.entries, { backend: writer.backend });
      if (!result.ok) throw new Error(JSON.stringify(result.reason));
      return result.summary.balance === eur(model.balance) && result.summary.entries === actions.length + 1;
    }),
    { numRuns: 25, seed: 20260101 },
  );
  t.pass('25 random ledgers verified');
});

t.test('any single change fails with the right reason at the right seq', async (t) => {
  const seen = new Set<string>();
  fc.assert(
    fc.property(
      ledgerArb,
      fc.constantFrom(...MUTATIONS),
      fc.nat(10_000),
      fc.nat(10_000),
      fc.string({ minLength: 1, maxLength: 8, unit: 'grapheme-ascii' }),
      (actions, name, k, j, text) => {
        const { writer } = randomLedger(actions);
        const mutate = mutations(k, j, text.replace(/[^A-Za-z0-9]/g, 'z'))[name] as Mutation;
        const { entries, type, seq } = mutate(writer.entries);
        const result = verifyChain(entries, { backend: writer.backend });
        seen.add(name);
        if (result.ok) throw new Error(`${name} at ${seq} still verifies`);
        if (result.reason.type !== type || result.seq !== seq) {
          throw new Error(`${name}: expected ${type} at ${seq}, got ${JSON.stringify(result.reason)}`);
        }
      },
    ),
    { numRuns: 250, seed: 42 },
  );
  t.same([...seen].sort(), [...MUTATIONS].sort(), 'every mutation was tried');
});
