// The whole story between a host and a collective, in process on two real LevelDB stores:
// apply, accept, pledge, confirm funds (one and by statement), file, approve, countersign, pay,
// cosign checkpoints; both ledgers verify with protocol/chain.ts and reconcile.
import t from 'tap';
import { verifyChain } from '../../protocol/chain.ts';
import type { SignedEntry } from '../../protocol/entry/types.ts';
import { foldMembers } from '../../protocol/fold.ts';
import { checkHostLink } from '../../protocol/host/links.ts';
import { isHostMessageValid } from '../../protocol/host/messages.ts';
import { parseStructured } from '../../protocol/host/structured.ts';
import { allOf, approvedExpense, fund, story, TERMS } from './fixtures.test-helper.ts';

t.test('apply, accept, fund, countersign, pay, cosign: both ledgers verify and reconcile', async (t) => {
  const s = await story(t);
  const collectiveId = s.collective.actor.id;

  // Membership: the application is checked against the collective's ledger, then accepted.
  const application = await s.side.application({ host: s.host.id, terms: TERMS, message: 'We fix things.' });
  const received = await s.host.applications.receive(application);
  t.equal(received.status, 'pending');
  t.same(await s.host.applications.receive(application), received, 'the same application, the same record');
  t.same(
    (await s.host.applications.list('pending')).map((a) => a.id),
    [received.id],
  );
  const membership = await s.host.applications.decide(received.id, 'accepted', 'host-admin-1');
  t.same(await s.host.applications.decide(received.id, 'accepted', 'host-admin-2'), membership, 'idempotent');
  t.ok(isHostMessageValid(membership, 'HostMembership', { publicKey: s.hostPublicKey }));
  const joined = await s.side.recordMembership(membership, {
    host: s.host.id,
    hostPublicKey: s.hostPublicKey,
    application,
  });
  t.equal(joined?.entry.kind, 'HostJoined');
  t.same(s.collective.chainHead()?.host, { id: s.host.id, key: s.host.core.hostKey() });
  t.match(await s.host.applications.members(), [
    { collective: collectiveId, status: 'active', feeBasisPoints: 500 },
  ]);

  // Money in, one pledge: a valid structured reference and the host's bank details.
  const { pledge, confirmed, recorded } = await fund(s, '120.00');
  t.ok(parseStructured(pledge.reference).ok, pledge.reference);
  t.same(pledge.bankAccount, TERMS.bankAccount);
  t.equal(confirmed.fee, '6.00', '5 % of 120.00');
  t.same(
    await s.host.funds.confirm({ reference: pledge.reference, amount: '120.00', by: 'host-admin-2' }),
    confirmed,
    'confirming again answers the same receipt',
  );
  await t.rejects(s.host.funds.confirm({ reference: pledge.reference, amount: '12.00', by: 'x' }), {
    code: 'PLEDGE_ALREADY_RECEIVED',
  });
  t.equal(recorded.contribution.entry.kind, 'Contribution');
  t.match(recorded.fee?.entry, {
    kind: 'HostFee',
    amount: '6.00',
    contribution: recorded.contribution.leafHash,
  });

  // Money in by bank statement: matched by reference, the rest listed with a reason.
  const second = await s.host.funds.pledge({ collective: collectiveId, name: 'Dries' });
  const third = await s.host.funds.pledge({ collective: collectiveId });
  t.not(second.reference, third.reference, 'references are unique');
  t.same(
    (await s.host.funds.list('awaiting')).map((p) => p.reference),
    [second.reference, third.reference],
  );
  const digits = second.reference.replace(/\D/g, '');
  const csv = [
    'Date;Montant;Contrepartie;Communication',
    `2026-11-28;80,00;D. Peeters;COMMUNICATION ***${digits.slice(0, 3)}/${digits.slice(3, 7)}/${digits.slice(7)}***`,
    '2026-11-28;15,00;X;+++000/0999/99926+++',
    '2026-11-28;20,00;Y;merci pour tout',
    '2026-11-29;-30,00;Landlord;rent',
    `2026-11-29;80,00;D. Peeters;${pledge.reference}`,
  ].join('\n');
  const statement = await s.host.funds.importStatement(
    csv,
    { amount: 'Montant', description: 'Communication', date: 'Date', counterparty: 'Contrepartie' },
    'host-admin-1',
  );
  t.same(
    statement.confirmed.map((c) => [c.reference, c.amount, c.fee]),
    [[second.reference, '80.00', '4.00']],
  );
  t.same(
    statement.unmatched.map((u) => [u.line, u.reason]),
    [
      [3, 'unknownReference'],
      [4, 'noReference'],
      [5, 'notCredit'],
      [6, 'alreadyReceived'],
    ],
  );
  t.match(statement.unmatched[0], { date: '2026-11-28', counterparty: 'X', amount: '15.00' });
  const viaStatement = statement.confirmed[0];
  if (viaStatement === undefined) throw new Error('no confirmation');
  await s.side.recordReceipt(viaStatement.receipt, { contributor: 'Dries' });
  t.same(
    (await s.host.funds.list('awaiting')).map((p) => p.reference),
    [third.reference],
  );

  // First cosigned checkpoint, from nothing.
  const first = await s.side.cosignRequest(0);
  const cosigned1 = await s.host.witness.cosign({ collective: collectiveId, ...first });
  const checked1 = await s.side.checkCosigned(cosigned1.cosigned, s.host.witness.key());
  t.equal(checked1.size, s.collective.head().size);
  t.ok(
    checked1.time >= Date.parse('2026-11-27T10:00:00Z') / 1000 &&
      checked1.time < Date.parse('2026-11-28T00:00:00Z') / 1000,
    'the cosignature carries the host clock',
  );

  // Money out: within the automatic limit.
  const expense = await approvedExpense(s, '50.00');
  const answer = await s.host.countersigning.request({ collective: collectiveId, expense });
  t.equal(answer.state, 'countersigned');
  t.equal(answer.approvals, 0);
  t.same(await s.host.countersigning.request({ collective: collectiveId, expense }), answer, 'same answer');
  await s.side.recordCountersignature(answer.countersignature);
  t.same(
    (await s.host.countersigning.list('countersigned')).map((r) => r.expense),
    [expense],
  );
  const paid = await s.host.countersigning.pay({
    collective: collectiveId,
    expense,
    payoutReference: 'KBC-2026-0117',
    by: 'host-admin-2',
  });
  t.equal(paid.state, 'paid');
  t.same(
    await s.host.countersigning.pay({ collective: collectiveId, expense, payoutReference: 'other', by: 'x' }),
    paid,
    'marking paid again answers the same payout',
  );
  await s.side.recordPayout(paid.payout);
  t.equal((await s.collective.expense(expense))?.state, 'paid');

  // Second checkpoint: consistent with the first, every new money entry attested.
  const second2 = await s.side.cosignRequest(cosigned1.size);
  t.ok(second2.proof.length > 0);
  const cosigned2 = await s.host.witness.cosign({ collective: collectiveId, ...second2 });
  t.equal(cosigned2.size, s.collective.head().size);
  t.same(
    await s.host.witness.cosign({ collective: collectiveId, ...second2 }),
    cosigned2,
    'same checkpoint, same cosignature',
  );
  await s.side.checkCosigned(cosigned2.cosigned, s.host.witness.key());

  // Both ledgers verify end to end.
  const collectiveEntries = await allOf(s.collective);
  const hostEntries = await allOf(s.hostLedger);
  const c = verifyChain(collectiveEntries, { actor: collectiveId });
  const h = verifyChain(hostEntries, { actor: s.host.id });
  t.ok(c.ok, 'the collective ledger verifies');
  t.ok(h.ok, 'the host ledger verifies');
  if (!c.ok || !h.ok) return;
  t.equal(c.summary.balance, '140.00', '120 + 80 − 6 − 4 − 50');
  t.equal(h.summary.balance, '150.00', 'the host holds 120 + 80 − 50 (its fees are its own)');
  t.equal(await s.host.core.held(collectiveId), 14000n, 'its books agree with the collective balance');

  // Double entry: every money entry of the collective names its host entry (typed `hostEntry`),
  // which records the same movement; and every host money entry is named exactly once.
  const byHash = new Map<string, SignedEntry>();
  for (const e of hostEntries) byHash.set((await s.hostLedger.get(e.seq))?.leafHash ?? '', e);
  const named = new Set<string>();
  for (const e of collectiveEntries) {
    const signed =
      e.kind === 'Contribution'
        ? (e as SignedEntry<'Contribution'>).receipt
        : e.kind === 'ExpensePaid'
          ? (e as SignedEntry<'ExpensePaid'>).payout
          : undefined;
    if (signed === undefined) continue;
    const hostEntry = byHash.get(signed.hostEntry ?? '');
    t.equal(checkHostLink(signed, hostEntry), undefined, `${e.kind} #${e.seq} reconciles`);
    t.notOk(named.has(signed.hostEntry ?? ''), 'each host entry is named once');
    named.add(signed.hostEntry ?? '');
    if (e.kind === 'ExpensePaid')
      t.match(hostEntry, {
        kind: 'PayoutMade',
        expense,
        reference: 'KBC-2026-0117',
        collective: collectiveId,
      });
    else t.match(hostEntry, { kind: 'FundsReceived', collective: collectiveId });
  }
  const hostMoney = hostEntries.filter((e) => e.kind === 'FundsReceived' || e.kind === 'PayoutMade');
  t.equal(named.size, 3, 'two contributions and one payout, each on both ledgers');
  t.equal(hostMoney.length, named.size, 'and nothing else moved on the host ledger');

  // The host ledger says who its members are and what it holds for each.
  const members = foldMembers(
    await Promise.all(
      hostEntries.map(async (entry) => ({
        entry,
        leafHash: (await s.hostLedger.get(entry.seq))?.leafHash ?? '',
      })),
    ),
    'EUR',
  );
  t.match(members.get(collectiveId), {
    status: 'active',
    collectiveKey: application.ledgerKey,
    feeBasisPoints: 500,
    received: 20000n,
    paid: 5000n,
  });
  t.equal(members.get(collectiveId)?.joined, (await s.host.applications.members())[0]?.hostEntry);
});
