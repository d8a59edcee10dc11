import t, { type Test } from 'tap';
import { ACTOR, ALICE, BOB, clone, HOST, hostKeys, LedgerWriter, seed } from '../test-support/ledger.ts';
import { type ChainFailure, ChainVerifier, isChainValid, verifyChain, verifyChainAsync } from './chain.ts';
import { keyPairFromSeed, nobleBackend } from './crypto.ts';
import type { EntryBody } from './entry/types.ts';
import { budgetToJson } from './fold.ts';
import { encodeMultikey } from './multikey.ts';

const expense = (title = 'Soldering irons', amount = '120.00', by = ALICE): EntryBody<'Expense'> => ({
  kind: 'Expense',
  by,
  expenseType: 'receipt',
  title,
  payee: 'Alice',
  items: [
    { description: 'Irons', amount: '100.00', incurredOn: '2026-01-02' },
    { description: 'Tin', amount: (Number(amount) - 100).toFixed(2), incurredOn: '2026-01-02' },
  ],
  amount,
  currency: 'EUR',
  commitments: { payout: 'ab'.repeat(32) },
  attachments: [{ sha256: 'cd'.repeat(32), mediaType: 'image/jpeg', size: 12345 }],
});

function expectFailure(
  t: Test,
  writer: LedgerWriter | unknown[],
  type: ChainFailure['type'],
  seq: number,
): ChainFailure | undefined {
  const entries = Array.isArray(writer) ? writer : writer.entries;
  const result = verifyChain(entries);
  t.equal(result.ok, false, `fails with ${type}`);
  if (result.ok) return undefined;
  t.equal(result.reason.type, type, `reason ${JSON.stringify(result.reason).slice(0, 300)}`);
  t.equal(result.seq, seq, 'at the right seq');
  t.equal(result.reason.seq, seq);
  return result.reason;
}

/** A ledger with a host, where every kind appears once, and its expense paid. */
function fullLedger(backend = undefined as undefined | typeof nobleBackend): LedgerWriter {
  const w = new LedgerWriter(backend === undefined ? {} : { backend });
  w.joinHost();
  const c = w.append({
    kind: 'Contribution',
    amount: '500.00',
    currency: 'EUR',
    contributor: 'Bob <b>',
    message: 'For the café',
    receipt: w.hostSign('Receipt', { amount: '500.00', currency: 'EUR', memo: 'REF 42' }),
  });
  const cHash = w.hash(c.entry.seq);
  const e = w.append(expense());
  const eHash = w.hash(e.entry.seq);
  w.append({ kind: 'ExpenseRejected', by: BOB, expense: eHash, comment: 'Need the receipt' });
  w.append({ kind: 'ExpenseApproved', by: BOB, expense: eHash, comment: 'OK now' });
  w.append({
    kind: 'ExpenseCountersigned',
    expense: eHash,
    countersignature: w.hostSign('ExpenseCountersignature', {
      amount: '120.00',
      currency: 'EUR',
      expense: eHash,
    }),
  });
  w.append({
    kind: 'ExpensePaid',
    expense: eHash,
    amount: '120.00',
    currency: 'EUR',
    payout: w.hostSign('Payout', { amount: '120.00', currency: 'EUR', expense: eHash, memo: 'SEPA 7' }),
  });
  w.append({ kind: 'Refund', contribution: cHash, amount: '10.00', currency: 'EUR', reason: 'Asked back' });
  w.append({ kind: 'HostFee', contribution: cHash, amount: '25.00', currency: 'EUR', host: HOST });
  w.append({
    kind: 'Transfer',
    amount: '40.00',
    currency: 'EUR',
    direction: 'out',
    counterparty: 'https://x.example/a',
  });
  w.append({
    kind: 'Transfer',
    amount: '5.00',
    currency: 'EUR',
    direction: 'in',
    counterparty: 'https://x.example/a',
  });
  w.append({ kind: 'KeyRotated', ledgerKey: encodeMultikey(keyPairFromSeed(seed(2)).publicKey) });
  w.append({ kind: 'Update', title: 'News', body: 'We fixed 40 toasters.' });
  w.append({
    kind: 'Event',
    name: 'Repair day',
    startTime: '2026-03-01T09:00:00Z',
    endTime: '2026-03-01T17:00:00Z',
    timeZone: 'Europe/Brussels',
    place: 'Rue Haute 1',
    description: 'Bring your broken things.',
  });
  w.append({ kind: 'HostLeft', host: HOST });
  return w;
}

t.test('a ledger with every kind verifies, with both backends', async (t) => {
  for (const backend of [undefined, nobleBackend]) {
    const w = fullLedger(backend);
    const result = verifyChain(w.entries, { actor: ACTOR, backend: w.backend });
    t.ok(result.ok, JSON.stringify(result.ok ? '' : result.reason));
    if (!result.ok) continue;
    t.equal(result.summary.entries, 16);
    t.equal(result.summary.balance, '310.00'); // 500 - 120 - 10 - 25 - 40 + 5
    t.equal(result.summary.openExpenses, 0);
    t.equal(result.head.keyIndex, 1);
    t.equal(result.head.host, undefined);
    t.same(result.head, w.head, 'the verifier rebuilds the writer’s head');
    const budget = budgetToJson(result.summary.budget);
    t.same(budget.income, {
      total: '505.00',
      byKind: { Contribution: '500.00', Transfer: '5.00' },
      byMonth: { '2026-01': '505.00' },
    });
    t.equal(budget.spending.total, '195.00');
    t.equal(budget.spending.byKind.ExpensePaid, '120.00');
  }
  const w = fullLedger();
  async function* stream() {
    for (const e of w.entries) yield clone(e);
  }
  t.ok((await verifyChainAsync(stream(), { backend: w.backend })).ok, 'async stream of parsed JSON');
  t.ok(
    isChainValid(
      w.entries.map((e) => JSON.parse(JSON.stringify(e))),
      { backend: w.backend },
    ),
  );
});

t.test('each failure reason', async (t) => {
  t.test('badProof', async (t) => {
    const w = fullLedger();
    const entries = clone(w.entries);
    (entries[3] as { content: string }).content += ' ';
    const r = expectFailure(t, entries, 'badProof', 3);
    t.match(r, { proof: { type: 'invalidSignature' } });
  });
  t.test('keyNotLedgers: signed by a key the ledger never introduced', async (t) => {
    const w = new LedgerWriter();
    w.forge({ kind: 'Update', title: 'x', body: 'y' }, {}, 5);
    expectFailure(t, w, 'keyNotLedgers', 1);
  });
  t.test('keyNotLedgers: the old key after a rotation', async (t) => {
    const w = new LedgerWriter();
    w.append({ kind: 'KeyRotated', ledgerKey: encodeMultikey(keyPairFromSeed(seed(2)).publicKey) });
    w.forge({ kind: 'Update', title: 'x', body: 'y' }, {}, 0);
    expectFailure(t, w, 'keyNotLedgers', 2);
  });
  t.test('prevMismatch', async (t) => {
    const w = new LedgerWriter();
    w.forge({ kind: 'Update', title: 'x', body: 'y' }, { prev: '00'.repeat(32) });
    expectFailure(t, w, 'prevMismatch', 1);
  });
  t.test('seqGap and seqDuplicate', async (t) => {
    const w = fullLedger();
    const e = w.entries;
    expectFailure(t, [e[0], e[1], e[3]], 'seqGap', 2);
    expectFailure(t, [e[0], e[1], e[1]], 'seqDuplicate', 2);
    expectFailure(t, [e[0], e[2], e[1]], 'seqGap', 1);
  });
  t.test('unknownKind', async (t) => {
    const w = new LedgerWriter();
    w.forge({ kind: 'Donation', amount: '1.00' });
    expectFailure(t, w, 'unknownKind', 1);
  });
  t.test('schemaViolation: an unknown member, a lone surrogate, published ≠ created', async (t) => {
    const w = new LedgerWriter();
    w.forge({ kind: 'Update', title: 'x', body: 'y', color: 'red' });
    const r = expectFailure(t, w, 'schemaViolation', 1);
    t.match(r, { path: '/color' });
    const entries = clone(w.entries.slice(0, 1));
    const update = clone(entries[0]) as unknown as Record<string, unknown>;
    entries.push(update as never);
    update.name = JSON.parse('"\\ud800"');
    const r2 = expectFailure(t, [entries[0], update], 'schemaViolation', 1);
    t.match(r2, { path: '/name' });
    const w3 = new LedgerWriter();
    w3.forge({ kind: 'Update', title: 'x', body: 'y' });
    const third = clone(w3.entries);
    (third[1] as { published: string }).published = '2020-01-01T00:00:00Z';
    t.match(expectFailure(t, third, 'schemaViolation', 1), { path: '/published' });
  });
  t.test('balanceBelowZero', async (t) => {
    const w = new LedgerWriter();
    w.append({ kind: 'Contribution', amount: '10.00', currency: 'EUR' });
    w.append({ kind: 'Transfer', amount: '10.01', currency: 'EUR', direction: 'out', counterparty: HOST });
    t.match(expectFailure(t, w, 'balanceBelowZero', 2), { balance: '10.00', amount: '10.01' });
  });
  t.test('forbiddenTransition', async (t) => {
    const hosted = new LedgerWriter();
    hosted.joinHost();
    hosted.append({ kind: 'Contribution', amount: '500.00', currency: 'EUR' });
    const e = hosted.hash(hosted.append(expense()).entry.seq);
    hosted.append({ kind: 'ExpenseApproved', by: BOB, expense: e });
    hosted.append({
      kind: 'ExpensePaid',
      expense: e,
      amount: '120.00',
      currency: 'EUR',
      payout: hosted.hostSign('Payout', { amount: '120.00', currency: 'EUR', expense: e }),
    });
    t.match(expectFailure(t, hosted, 'forbiddenTransition', 5), { from: 'approved', to: 'ExpensePaid' });

    const twice = new LedgerWriter();
    const e2 = twice.hash(twice.append(expense()).entry.seq);
    twice.append({ kind: 'ExpenseApproved', by: BOB, expense: e2 });
    twice.append({ kind: 'ExpenseApproved', by: BOB, expense: e2 });
    t.match(expectFailure(t, twice, 'forbiddenTransition', 3), { rule: 'expenseState', from: 'approved' });

    const unknown = new LedgerWriter();
    unknown.append({ kind: 'ExpenseApproved', by: BOB, expense: 'ee'.repeat(32) });
    t.match(expectFailure(t, unknown, 'forbiddenTransition', 1), { rule: 'unknownExpense' });

    const noHost = new LedgerWriter();
    const e3 = noHost.hash(noHost.append(expense()).entry.seq);
    noHost.append({ kind: 'ExpenseApproved', by: BOB, expense: e3 });
    noHost.forge({
      kind: 'ExpenseCountersigned',
      expense: e3,
      countersignature: noHost.hostSign('ExpenseCountersignature', {
        amount: '120.00',
        currency: 'EUR',
        expense: e3,
      }),
    });
    t.match(expectFailure(t, noHost, 'forbiddenTransition', 3), { rule: 'expenseState', from: 'approved' });

    const refund = new LedgerWriter();
    refund.append({ kind: 'Contribution', amount: '10.00', currency: 'EUR' });
    refund.append({ kind: 'Refund', contribution: refund.hash(0), amount: '1.00', currency: 'EUR' });
    t.match(expectFailure(t, refund, 'forbiddenTransition', 2), { rule: 'unknownContribution' });

    const over = new LedgerWriter();
    over.append({ kind: 'Contribution', amount: '10.00', currency: 'EUR' });
    over.append({ kind: 'Contribution', amount: '10.00', currency: 'EUR' });
    over.append({ kind: 'Refund', contribution: over.hash(1), amount: '10.01', currency: 'EUR' });
    t.match(expectFailure(t, over, 'forbiddenTransition', 3), { rule: 'exceedsContribution' });
  });
  t.test('selfApproval', async (t) => {
    const w = new LedgerWriter();
    const e = w.hash(w.append(expense()).entry.seq);
    w.append({ kind: 'ExpenseApproved', by: ALICE, expense: e });
    t.match(expectFailure(t, w, 'selfApproval', 2), { by: ALICE, expense: e });
  });
  t.test('keyRotationInvalid', async (t) => {
    const next = encodeMultikey(keyPairFromSeed(seed(2)).publicKey);
    const byNewKey = new LedgerWriter();
    byNewKey.forge({ kind: 'KeyRotated', ledgerKey: next }, {}, 1);
    expectFailure(t, byNewKey, 'keyRotationInvalid', 1);
    const wrongSigner = new LedgerWriter();
    const forged = wrongSigner.forge({ kind: 'KeyRotated', ledgerKey: next }, {}, 0);
    const tampered = clone(wrongSigner.entries);
    (tampered[1] as { ledgerKey: string }).ledgerKey = encodeMultikey(keyPairFromSeed(seed(3)).publicKey);
    t.ok(forged);
    t.match(expectFailure(t, tampered, 'keyRotationInvalid', 1), { proof: { type: 'invalidSignature' } });
    const same = new LedgerWriter();
    same.append({ kind: 'KeyRotated', ledgerKey: same.head.ledgerKey });
    t.match(expectFailure(t, same, 'keyRotationInvalid', 1), { problem: 'same key' });
  });
  t.test('wrongActor', async (t) => {
    const w = new LedgerWriter();
    w.forge({ kind: 'Update', title: 'x', body: 'y' }, { attributedTo: 'https://evil.example/a' });
    t.match(expectFailure(t, w, 'wrongActor', 1), { field: 'attributedTo' });
    const id = new LedgerWriter();
    id.forge({ kind: 'Update', title: 'x', body: 'y' }, { id: `${ACTOR}/ledger/7` });
    t.match(expectFailure(t, id, 'wrongActor', 1), { field: 'id' });
    const r = verifyChain(new LedgerWriter().entries, { actor: 'https://other.example/a' });
    t.match(r, { ok: false, seq: 0, reason: { type: 'wrongActor' } });
  });
  t.test('currencyMismatch and badAmount', async (t) => {
    const w = new LedgerWriter();
    w.forge({ kind: 'Contribution', amount: '10.00', currency: 'USD' });
    expectFailure(t, w, 'currencyMismatch', 1);
    const bad = new LedgerWriter();
    bad.forge({ kind: 'Contribution', amount: '10.0', currency: 'EUR' });
    t.match(expectFailure(t, bad, 'badAmount', 1), { amount: { type: 'missingDecimals' } });
  });
  t.test('amountMismatch: items, and a payment of another amount', async (t) => {
    const w = new LedgerWriter();
    w.forge({ ...expense(), amount: '121.00' });
    expectFailure(t, w, 'amountMismatch', 1);
    const paid = new LedgerWriter();
    paid.append({ kind: 'Contribution', amount: '500.00', currency: 'EUR' });
    const e = paid.hash(paid.append(expense()).entry.seq);
    paid.append({ kind: 'ExpenseApproved', by: BOB, expense: e });
    paid.append({ kind: 'ExpensePaid', expense: e, amount: '119.00', currency: 'EUR' });
    expectFailure(t, paid, 'amountMismatch', 4);
  });
  t.test('leafTooLarge', async (t) => {
    const w = new LedgerWriter();
    w.forge({ kind: 'Update', title: 'x', body: 'y'.repeat(70_000) });
    t.match(expectFailure(t, w, 'leafTooLarge', 1), { size: Number });
  });
  t.test('hostSignatureInvalid', async (t) => {
    const other = keyPairFromSeed(seed(201));
    const setup = () => {
      const w = new LedgerWriter();
      w.joinHost();
      w.append({ kind: 'Contribution', amount: '500.00', currency: 'EUR' });
      const e = w.hash(w.append(expense()).entry.seq);
      w.append({ kind: 'ExpenseApproved', by: BOB, expense: e });
      return { w, e };
    };
    const a = setup();
    a.w.forge({
      kind: 'ExpenseCountersigned',
      expense: a.e,
      countersignature: a.w.hostSign(
        'ExpenseCountersignature',
        { amount: '120.00', currency: 'EUR', expense: a.e },
        other.secretKey,
      ),
    });
    t.match(expectFailure(t, a.w, 'hostSignatureInvalid', 5), { problem: { type: 'proof' } });
    const b = setup();
    b.w.forge({
      kind: 'ExpenseCountersigned',
      expense: b.e,
      countersignature: b.w.hostSign('ExpenseCountersignature', {
        amount: '12.00',
        currency: 'EUR',
        expense: b.e,
      }),
    });
    t.match(expectFailure(t, b.w, 'hostSignatureInvalid', 5), {
      problem: { type: 'wrongReference', field: 'amount' },
    });
    const c = setup();
    c.w.append({
      kind: 'ExpenseCountersigned',
      expense: c.e,
      countersignature: c.w.hostSign('ExpenseCountersignature', {
        amount: '120.00',
        currency: 'EUR',
        expense: c.e,
      }),
    });
    c.w.forge({ kind: 'ExpensePaid', expense: c.e, amount: '120.00', currency: 'EUR' });
    t.match(expectFailure(t, c.w, 'hostSignatureInvalid', 6), { problem: { type: 'missing' } });
    const d = new LedgerWriter();
    d.forge({
      kind: 'Contribution',
      amount: '5.00',
      currency: 'EUR',
      receipt: d.hostSign('Receipt', { amount: '5.00', currency: 'EUR' }),
    });
    t.match(expectFailure(t, d, 'hostSignatureInvalid', 1), { problem: { type: 'noHost' } });
    t.ok(hostKeys.publicKey);
  });
  t.test('genesisInvalid', async (t) => {
    const w = fullLedger();
    expectFailure(
      t,
      w.entries.slice(1).map((e) => e),
      'seqGap',
      0,
    );
    const second = new LedgerWriter();
    const g = second.entries[0] as unknown as Record<string, unknown>;
    const fields = ['kind', 'actorType', 'name', 'currency', 'ledgerKey', 'checkpointKey', 'origin'];
    second.forge(Object.fromEntries(fields.map((f) => [f, g[f]])));
    t.match(expectFailure(t, second, 'genesisInvalid', 1), { problem: 'a second Genesis' });
    const forged = new LedgerWriter();
    forged.head = { ...forged.head, nextSeq: 0, prevHash: undefined } as never;
    forged.built.length = 0;
    forged.forge({ kind: 'Update', title: 'x', body: 'y' });
    expectFailure(t, forged, 'genesisInvalid', 0);
    t.match(verifyChain([]), { ok: false, seq: 0, reason: { type: 'genesisInvalid' } });
  });
});

t.test('the verifier stops at the first failure and stays failed', async (t) => {
  const w = fullLedger();
  const v = new ChainVerifier({ backend: w.backend });
  const entries = clone(w.entries);
  (entries[2] as { content: string }).content = 'x';
  t.ok(v.push(entries[0]).ok);
  t.ok(v.push(entries[1]).ok);
  const failed = v.push(entries[2]);
  t.notOk(failed.ok);
  t.same(v.push(entries[3]), failed);
  t.equal(v.summary().entries, 2);
});
