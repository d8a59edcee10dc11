// A host's own ledger (MemberJoined / MemberLeft / FundsReceived / PayoutMade) and the facts a
// ledger may record only once, on both sides: real keys, real signatures, the chain verifier.
import t, { type Test } from 'tap';
import { ACTOR, clone, HOST, hostKeys, LedgerWriter, seed } from '../test-support/ledger.ts';
import { type ChainFailure, verifyChain } from './chain.ts';
import { keyPairFromSeed } from './crypto.ts';
import { concatBytes, toBase58, toHex } from './encoding.ts';
import { type BuiltEntry, buildEntry, buildGenesis, type ChainHead } from './entry/build.ts';
import type { EntryBody, EntryKind, SignedEntry } from './entry/types.ts';
import { budgetToJson, foldMembers } from './fold.ts';
import { encodeMultikey } from './multikey.ts';

const OTHER = 'https://garden.example/actors/garden';
const COLLECTIVE_KEY = encodeMultikey(keyPairFromSeed(seed(1)).publicKey);
const EXPENSE = 'e1'.repeat(32);

/** The host's ledger, signed with the host's ledger key, one hour per entry. */
class HostWriter {
  readonly built: BuiltEntry[] = [];
  head: ChainHead;
  #time = Date.UTC(2026, 0, 1, 9);

  constructor() {
    const genesis = buildGenesis(
      {
        actor: HOST,
        actorType: 'Organization',
        name: 'Brussels Together',
        currency: 'EUR',
        checkpointKey: encodeMultikey(keyPairFromSeed(seed(251)).publicKey),
        origin: 'host.example/actors/brussels-together',
      },
      { time: this.#tick(), secretKey: hostKeys.secretKey },
    );
    this.built.push(genesis);
    this.head = genesis.head;
  }

  #tick(): Date {
    const time = new Date(this.#time);
    this.#time += 3_600_000;
    return time;
  }

  append<K extends EntryKind>(body: EntryBody<K>): BuiltEntry<K> {
    const built = buildEntry(this.head, body, { time: this.#tick(), secretKey: hostKeys.secretKey });
    this.built.push(built);
    this.head = built.head;
    return built;
  }

  join(collective = ACTOR) {
    return this.append({
      kind: 'MemberJoined',
      collective,
      collectiveKey: COLLECTIVE_KEY,
      feeBasisPoints: 500,
      application: 'a1'.repeat(32),
      terms: 'b2'.repeat(32),
    });
  }

  received(amount: string, reference: string, collective = ACTOR) {
    return this.append({ kind: 'FundsReceived', collective, amount, currency: 'EUR', reference });
  }

  paid(amount: string, expense = EXPENSE, collective = ACTOR) {
    return this.append({
      kind: 'PayoutMade',
      collective,
      expense,
      amount,
      currency: 'EUR',
      reference: 'KBC-2026-0117',
    });
  }

  get entries(): SignedEntry[] {
    return this.built.map((b) => b.entry);
  }

  hash(built: BuiltEntry): string {
    return toHex(built.leafHash);
  }
}

function fails(t: Test, entries: unknown[], type: ChainFailure['type'], seq: number) {
  const result = verifyChain(entries);
  t.equal(result.ok, false, `fails with ${type}`);
  if (result.ok) return undefined;
  t.equal(result.reason.type, type, JSON.stringify(result.reason).slice(0, 300));
  t.equal(result.seq, seq, 'at the right seq');
  return result.reason;
}

t.test('a host ledger: members join and leave, money received and paid out for them', async (t) => {
  const h = new HostWriter();
  h.join();
  const r1 = h.received('100.00', '+++090/9337/55493+++');
  h.paid('30.00');
  h.append({ kind: 'MemberLeft', collective: ACTOR, reason: 'Moved to another host' });
  const again = h.join();
  h.received('5.00', '+++000/0000/00202+++');
  h.join(OTHER);
  h.received('7.50', '+++000/0000/00303+++', OTHER);
  const result = verifyChain(h.entries, { actor: HOST });
  t.ok(result.ok, result.ok ? 'verifies' : JSON.stringify(result.reason));
  if (!result.ok) return;
  t.equal(result.summary.balance, '82.50', '100 − 30 + 5 + 7.50');
  const budget = budgetToJson(result.summary.budget);
  t.same(budget.income.byKind, { FundsReceived: '112.50' });
  t.same(budget.spending.byKind, { PayoutMade: '30.00' });

  const members = foldMembers(
    h.built.map((b) => ({ entry: b.entry, leafHash: toHex(b.leafHash) })),
    'EUR',
  );
  t.match(members.get(ACTOR), {
    status: 'active',
    collectiveKey: COLLECTIVE_KEY,
    feeBasisPoints: 500,
    joined: h.hash(again),
    received: 10500n,
    paid: 3000n,
  });
  t.match(members.get(OTHER), { status: 'active', received: 750n, paid: 0n });

  t.equal(
    r1.entry.content,
    `<p>Brussels Together received €100.00 for ${ACTOR} (+++090/9337/55493+++). <a href="${r1.entry.id}">#${r1.entry.seq}</a></p>`,
  );
  t.match(
    h.built[1]?.entry.content,
    /^<p>Brussels Together accepted https:\/\/repair\.example\S+ as a member \(fee 5\.00%\)\./,
  );
  t.match(h.built[3]?.entry.content, /paid €30\.00 for expense e1e1e1e1 of https:\/\/repair\.example/);
  t.match(
    h.built[4]?.entry.content,
    /^<p>https:\/\/repair\.example\/actors\/repair-cafe left Brussels Together\./,
  );
});

t.test('what a host ledger refuses', async (t) => {
  t.test('a second MemberJoined for a current member names the first', async (t) => {
    const h = new HostWriter();
    const first = h.join();
    h.join();
    const reason = fails(t, h.entries, 'alreadyRecorded', 2);
    t.match(reason, { path: '/collective', key: `member ${ACTOR}`, first: h.hash(first) });
  });
  t.test('MemberLeft for a collective that is not a member', async (t) => {
    const h = new HostWriter();
    h.append({ kind: 'MemberLeft', collective: ACTOR });
    t.match(fails(t, h.entries, 'forbiddenTransition', 1), { rule: 'notAMember', reference: ACTOR });
  });
  t.test('money for a collective that never joined, or that left', async (t) => {
    const h = new HostWriter();
    h.join(OTHER);
    h.received('10.00', 'REF-1');
    t.match(fails(t, h.entries, 'forbiddenTransition', 2), { rule: 'notAMember', reference: ACTOR });
    const g = new HostWriter();
    g.join();
    g.received('10.00', 'REF-1');
    g.append({ kind: 'MemberLeft', collective: ACTOR });
    g.paid('5.00');
    t.match(fails(t, g.entries, 'forbiddenTransition', 4), { rule: 'notAMember' });
  });
  t.test('a receipt reference recorded twice, even for another member', async (t) => {
    const h = new HostWriter();
    h.join();
    h.join(OTHER);
    const first = h.received('10.00', '+++090/9337/55493+++');
    h.received('12.00', '+++090/9337/55493+++', OTHER);
    t.match(fails(t, h.entries, 'alreadyRecorded', 4), {
      path: '/reference',
      key: 'received +++090/9337/55493+++',
      first: h.hash(first),
    });
  });
  t.test('an expense paid twice reads as recorded, not as a balance too low', async (t) => {
    const h = new HostWriter();
    h.join();
    h.received('40.00', 'REF-1');
    const first = h.paid('30.00');
    h.paid('30.00'); // 10.00 left: a second payout could not be paid anyway
    t.match(fails(t, h.entries, 'alreadyRecorded', 4), {
      path: '/expense',
      key: `paid ${ACTOR} ${EXPENSE}`,
      first: h.hash(first),
    });
    const g = new HostWriter();
    g.join();
    g.received('80.00', 'REF-1');
    g.paid('30.00');
    g.paid('30.00', 'e2'.repeat(32));
    t.ok(verifyChain(g.entries).ok, 'another expense of the same collective is paid');
  });
  t.test('a host cannot be its own member', async (t) => {
    const h = new HostWriter();
    h.join(HOST);
    t.match(fails(t, h.entries, 'forbiddenTransition', 1), { rule: 'selfMembership' });
  });
  t.test('the collective key must be an Ed25519 Multikey', async (t) => {
    const h = new HostWriter();
    // A secp256k1 multicodec prefix (0xe7 0x01): the pattern matches, the key does not decode.
    const notEd25519 = `z${toBase58(concatBytes(Uint8Array.of(0xe7, 0x01), new Uint8Array(33).fill(2)))}`;
    t.throws(
      () =>
        h.append({
          kind: 'MemberJoined',
          collective: ACTOR,
          collectiveKey: notEd25519,
          feeBasisPoints: 0,
          application: 'a1'.repeat(32),
          terms: 'b2'.repeat(32),
        }),
      { code: 'schemaViolation', path: '/collectiveKey' },
    );
  });
});

t.test('a collective records each host entry once', async (t) => {
  t.test('the same receipt twice', async (t) => {
    const w = new LedgerWriter();
    w.joinHost();
    const receipt = w.hostSign('Receipt', { amount: '25.00', currency: 'EUR', memo: '+++090/9337/55493+++' });
    const first = w.append({ kind: 'Contribution', amount: '25.00', currency: 'EUR', receipt });
    w.append({ kind: 'Contribution', amount: '25.00', currency: 'EUR', receipt: clone(receipt) });
    t.match(fails(t, w.entries, 'alreadyRecorded', 3), {
      path: '/receipt/hostEntry',
      key: `hostEntry ${receipt.hostEntry}`,
      first: w.hash(first.entry.seq),
    });
  });
  t.test('two receipts the host signed for one host entry', async (t) => {
    const w = new LedgerWriter();
    w.joinHost();
    const hostEntry = 'f0'.repeat(32);
    w.append({
      kind: 'Contribution',
      amount: '25.00',
      currency: 'EUR',
      receipt: w.hostSign('Receipt', { amount: '25.00', currency: 'EUR', hostEntry }),
    });
    const again = w.hostSign('Receipt', { amount: '25.00', currency: 'EUR', hostEntry });
    t.not(again.proof.proofValue, (w.entries[2] as SignedEntry<'Contribution'>).receipt?.proof.proofValue);
    w.append({ kind: 'Contribution', amount: '25.00', currency: 'EUR', receipt: again });
    t.match(fails(t, w.entries, 'alreadyRecorded', 3), { path: '/receipt/hostEntry' });
  });
  // A funded collective with an expense countersigned.
  const countersigned = () => {
    const w = new LedgerWriter();
    w.joinHost();
    const receipt = w.hostSign('Receipt', { amount: '90.00', currency: 'EUR' });
    w.append({ kind: 'Contribution', amount: '90.00', currency: 'EUR', receipt });
    const filed = w.append({
      kind: 'Expense',
      expenseType: 'receipt',
      title: 'Glue',
      payee: 'Bob',
      items: [{ description: 'Glue', amount: '9.00', incurredOn: '2026-01-02' }],
      amount: '9.00',
      currency: 'EUR',
      commitments: {},
      attachments: [],
    });
    const expense = w.hash(filed.entry.seq);
    w.append({ kind: 'ExpenseApproved', expense });
    const countersignature = w.hostSign('ExpenseCountersignature', {
      expense,
      amount: '9.00',
      currency: 'EUR',
    });
    w.append({ kind: 'ExpenseCountersigned', expense, countersignature });
    return { w, receipt, expense, countersignature };
  };
  t.test('a payout naming a host entry a receipt named', async (t) => {
    const { w, receipt, expense } = countersigned();
    t.ok(verifyChain(w.entries).ok, 'so far so good');
    const payout = w.hostSign('Payout', {
      expense,
      amount: '9.00',
      currency: 'EUR',
      hostEntry: receipt.hostEntry as string,
    });
    w.append({ kind: 'ExpensePaid', expense, amount: '9.00', currency: 'EUR', payout });
    t.match(fails(t, w.entries, 'alreadyRecorded', 6), { path: '/payout/hostEntry' });
  });
  t.test('a countersignature or a payout replayed: the expense moves once', async (t) => {
    const { w, expense, countersignature } = countersigned();
    w.append({ kind: 'ExpenseCountersigned', expense, countersignature: clone(countersignature) });
    t.match(fails(t, w.entries, 'forbiddenTransition', 6), { rule: 'expenseState', from: 'countersigned' });
    const paid = countersigned();
    const payout = paid.w.hostSign('Payout', { expense: paid.expense, amount: '9.00', currency: 'EUR' });
    const body = {
      kind: 'ExpensePaid',
      expense: paid.expense,
      amount: '9.00',
      currency: 'EUR',
      payout,
    } as const;
    paid.w.append(body);
    paid.w.append(clone(body));
    t.match(fails(t, paid.w.entries, 'alreadyRecorded', 7), { path: '/payout/hostEntry' });
  });
  t.test('receipts and payouts must name their host entry; a countersignature names none', async (t) => {
    const w = new LedgerWriter();
    w.joinHost();
    const receipt = w.hostSign('Receipt', { amount: '25.00', currency: 'EUR' });
    const { hostEntry: _, ...withoutEntry } = receipt;
    w.forge({ kind: 'Contribution', amount: '25.00', currency: 'EUR', receipt: withoutEntry });
    t.match(fails(t, w.entries, 'schemaViolation', 2), { path: '/receipt/hostEntry' });
    const v = new LedgerWriter();
    v.joinHost();
    t.throws(
      () =>
        v.hostSign('ExpenseCountersignature', {
          expense: EXPENSE,
          amount: '1.00',
          currency: 'EUR',
          hostEntry: 'f0'.repeat(32),
        }),
      { code: 'schemaViolation', path: '/hostEntry' },
    );
  });
});
