// The host's crash window: it appended its own entry, then died before saving its record. After
// a restart (a new HostService over the same LevelDB store and ledger) the same request finds the
// entry already on the host's ledger (the ledger records each of these facts once) and answers
// from it: one host entry per movement, the signed object names it, the books count it once.
// The collective side records each receipt once, and the HostFee of one it recorded before stopping.
import t, { type Test } from 'tap';
import { verifyChain } from '../../protocol/chain.ts';
import type { SignedEntry } from '../../protocol/entry/types.ts';
import { checkHostLink } from '../../protocol/host/links.ts';
import { allOf, approvedExpense, fund, joinHost, type Story, story, TERMS } from './fixtures.test-helper.ts';

/** The next write of the host's records fails as if the process died just before it. */
function crashBeforeNextSave(s: Story): void {
  s.host.core.records.put = async () => {
    throw new Error('the host process died before saving its record');
  };
}

async function hostKinds(s: Story, kind: SignedEntry['kind']): Promise<SignedEntry[]> {
  return (await allOf(s.hostLedger)).filter((e) => e.kind === kind);
}

async function bothVerify(t: Test, s: Story): Promise<void> {
  t.ok(
    verifyChain(await allOf(s.collective), { actor: s.collective.actor.id }).ok,
    'the collective ledger verifies',
  );
  t.ok(verifyChain(await allOf(s.hostLedger), { actor: s.host.id }).ok, 'the host ledger verifies');
}

t.test('accepting a collective: MemberJoined appended, the host died, the decision retried', async (t) => {
  const s = await story(t);
  const application = await s.side.application({ host: s.host.id, terms: TERMS });
  const { id } = await s.host.applications.receive(application);
  crashBeforeNextSave(s);
  await t.rejects(s.host.applications.decide(id, 'accepted', 'host-admin-1'), /died/);
  t.equal((await hostKinds(s, 'MemberJoined')).length, 1, 'the entry is on the ledger');
  t.equal((await s.host.applications.get(id)).status, 'pending', 'the record is not');

  const host = s.restartHost();
  const membership = await host.applications.decide(id, 'accepted', 'host-admin-1');
  const joined = await hostKinds(s, 'MemberJoined');
  t.equal(joined.length, 1, 'not appended again');
  const [member] = await host.applications.members();
  t.equal(member?.hostEntry, (await s.hostLedger.get(joined[0]?.seq ?? -1))?.leafHash, 'the record names it');
  await s.side.recordMembership(membership, { host: s.host.id, hostPublicKey: s.hostPublicKey, application });
  t.equal(s.collective.chainHead()?.host?.id, s.host.id);
  await bothVerify(t, s);
});

t.test('confirming money: FundsReceived appended, the host died, the confirmation retried', async (t) => {
  const s = await story(t);
  await joinHost(s);
  const collective = s.collective.actor.id;
  const pledge = await s.host.funds.pledge({ collective, amount: '120.00', name: 'Alice' });
  crashBeforeNextSave(s);
  await t.rejects(
    s.host.funds.confirm({ reference: pledge.reference, amount: '120.00', by: 'host-admin-1' }),
  );
  t.equal((await hostKinds(s, 'FundsReceived')).length, 1, 'the entry is on the ledger');
  t.equal((await s.host.funds.get(pledge.reference)).status, 'awaiting', 'the record is not');

  const host = s.restartHost();
  await t.rejects(host.funds.confirm({ reference: pledge.reference, amount: '12.00', by: 'host-admin-2' }), {
    code: 'PLEDGE_ALREADY_RECEIVED',
    details: { amount: '120.00' },
  });
  const confirmed = await host.funds.confirm({
    reference: pledge.reference,
    amount: '120.00',
    by: 'host-admin-2',
  });
  const received = await hostKinds(s, 'FundsReceived');
  t.equal(received.length, 1, 'not appended again');
  const entry = await s.hostLedger.getByHash(confirmed.hostEntry);
  t.equal(entry?.seq, received[0]?.seq, 'the receipt names the entry appended before the crash');
  t.equal(confirmed.receipt.hostEntry, confirmed.hostEntry);
  t.equal(checkHostLink(confirmed.receipt, entry?.entry), undefined, 'and reconciles with it');
  t.equal(
    (await host.funds.get(pledge.reference)).received?.by,
    'host-admin-1',
    'who confirmed is who appended',
  );
  t.equal(await host.core.held(collective), 11400n, 'the books count it once: 120 − 6 fee');
  t.same(
    await host.funds.confirm({ reference: pledge.reference, amount: '120.00', by: 'x' }),
    confirmed,
    'and answer the same receipt after that',
  );

  // The collective records it once: a redelivered receipt is refused and nothing is recorded.
  const recorded = await s.side.recordReceipt(confirmed.receipt, { contributor: 'Alice' });
  const size = s.collective.head().size;
  await t.rejects(s.side.recordReceipt(confirmed.receipt, { contributor: 'Alice' }), {
    code: 'LEDGER_ALREADY_RECORDED',
    details: { reason: { path: '/receipt/hostEntry', first: recorded.contribution.leafHash } },
  });
  t.equal(s.collective.head().size, size, 'no second Contribution, no second HostFee');
  t.equal(s.collective.balance().amount, '114.00');
  const cosigned = await host.witness.cosign({ collective, ...(await s.side.cosignRequest(0)) });
  t.equal(cosigned.size, size, 'the witness finds the receipt on its ledger');
  await bothVerify(t, s);
});

t.test('paying an expense: PayoutMade appended, the host died, the payout retried', async (t) => {
  const s = await story(t);
  await joinHost(s);
  await fund(s, '200.00');
  const collective = s.collective.actor.id;
  const expense = await approvedExpense(s, '50.00');
  const answer = await s.host.countersigning.request({ collective, expense });
  await s.side.recordCountersignature(answer.countersignature);
  crashBeforeNextSave(s);
  await t.rejects(
    s.host.countersigning.pay({ collective, expense, payoutReference: 'KBC-2026-0117', by: 'host-admin-1' }),
  );
  t.equal((await hostKinds(s, 'PayoutMade')).length, 1, 'the entry is on the ledger');
  t.equal((await s.host.countersigning.get(collective, expense)).state, 'countersigned', 'the record is not');

  const host = s.restartHost();
  const paid = await host.countersigning.pay({
    collective,
    expense,
    payoutReference: 'typed again differently',
    by: 'host-admin-2',
  });
  const payouts = await hostKinds(s, 'PayoutMade');
  t.equal(payouts.length, 1, 'not appended again');
  t.match(payouts[0], { reference: 'KBC-2026-0117', expense, collective, by: 'host-admin-1' });
  t.equal(paid.payout?.memo, 'KBC-2026-0117', 'the reference the ledger recorded stands');
  t.equal(paid.paidBy, 'host-admin-1');
  t.equal(paid.hostEntry, paid.payout?.hostEntry);
  t.equal(await host.core.held(collective), 14000n, 'the books count it once: 200 − 10 fee − 50');
  await s.side.recordPayout(paid.payout);
  t.equal((await s.collective.expense(expense))?.state, 'paid');
  const cosigned = await host.witness.cosign({ collective, ...(await s.side.cosignRequest(0)) });
  t.equal(cosigned.size, s.collective.head().size, 'the witness finds the payout on its ledger');
  await bothVerify(t, s);
});

t.test('a collective leaving: MemberLeft appended, the host died, the departure retried', async (t) => {
  const s = await story(t);
  await joinHost(s);
  const collective = s.collective.actor.id;
  crashBeforeNextSave(s);
  await t.rejects(s.host.applications.leave(collective, 'host-admin-1'));
  t.equal((await s.host.core.member(collective))?.status, 'active', 'the record is not saved');
  const host = s.restartHost();
  t.equal((await host.applications.leave(collective, 'host-admin-1')).status, 'left');
  t.equal((await hostKinds(s, 'MemberLeft')).length, 1, 'not appended again');
  await t.rejects(host.funds.pledge({ collective }), { code: 'HOST_NOT_MEMBER' });
  await bothVerify(t, s);
});

t.test(
  'the collective stopped between a Contribution and its HostFee: the receipt again records the fee',
  async (t) => {
    const s = await story(t);
    await joinHost(s);
    const collective = s.collective.actor.id;
    const pledge = await s.host.funds.pledge({ collective, amount: '120.00', name: 'Alice' });
    const { receipt } = await s.host.funds.confirm({
      reference: pledge.reference,
      amount: '120.00',
      by: 'host-admin-1',
    });
    // What the first delivery left behind: the Contribution is durable, the HostFee never written.
    const contribution = await s.collective.append({
      kind: 'Contribution',
      amount: '120.00',
      currency: 'EUR',
      receipt,
    });
    t.equal(s.collective.balance().amount, '120.00', 'no fee taken yet');

    const again = await s.side.recordReceipt(receipt, { contributor: 'Alice' });
    t.equal(
      again.contribution.leafHash,
      contribution.leafHash,
      'the Contribution is the one recorded before',
    );
    const fee = again.fee?.entry as SignedEntry<'HostFee'> | undefined;
    t.match(fee, { kind: 'HostFee', contribution: contribution.leafHash, amount: '6.00', host: s.host.id });
    t.equal(s.collective.balance().amount, '114.00', '120 − 6 fee');

    const size = s.collective.head().size;
    await t.rejects(s.side.recordReceipt(receipt, { contributor: 'Alice' }), {
      code: 'LEDGER_ALREADY_RECORDED',
      details: { reason: { path: '/receipt/hostEntry', first: contribution.leafHash } },
    });
    t.equal(
      s.collective.head().size,
      size,
      'a third delivery records nothing: the fee follows its Contribution',
    );
    await bothVerify(t, s);
  },
);
