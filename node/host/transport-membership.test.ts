// Ending a membership between real nodes over ActivityPub (each its own LevelDB, keys, Fedify
// federation and HTTP server on loopback): the collective leaves, or the host lets it go; each
// side records it once; forged, misattributed and late messages are refused and recorded nowhere;
// the collective joins another host and the flows work with it. Both ledgers verify and reconcile.
import { randomBytes } from 'node:crypto';
import t, { type Test } from 'tap';
import { HostReconciliation } from '../../protocol/audit/reconcile.ts';
import { verifyChain } from '../../protocol/chain.ts';
import { buildEntry } from '../../protocol/entry/build.ts';
import type { SignedEntry } from '../../protocol/entry/types.ts';
import type { LedgerService } from '../ledger/service.ts';
import { allOf, approveOn, TERMS } from './fixtures.test-helper.ts';
import { type FlowNode, removeData, startFlowNode, until } from './transport.test-helper.ts';
import { CHECKPOINT_DOCUMENT } from './transport.ts';
import { leaveHost, letGo } from './transport-membership.ts';

const HOST = 'brussels-together';
const OTHER = 'ghent-commons';
const COLLECTIVE = 'repair-cafe';

async function nodes(t: Test, specs: [string, 'Group' | 'Organization'][][]): Promise<FlowNode[]> {
  const started: FlowNode[] = [];
  t.teardown(async () => {
    for (const node of started) {
      await node.stop().catch(() => {});
      await removeData(node);
    }
  });
  for (const actors of specs) started.push(await startFlowNode({ actors }));
  return started;
}

const hostOf = (node: FlowNode, name: string) => {
  const host = node.hosts.get(name);
  if (host === undefined) throw new Error(`no host ${name}`);
  return host;
};
const count = async (ledger: LedgerService, kind: string) =>
  (await allOf(ledger)).filter((e) => e.kind === kind).length;
/** Waits until `node` has settled `n` more host-flow activities than `before`. */
const settled = (node: FlowNode, before: number, n: number) =>
  until(`${n} activities settled`, () => (node.transport.handled >= before + n ? true : undefined));

/** The collective applies to host `name` on `h` over the wire and is accepted. */
async function join(h: FlowNode, name: string, c: FlowNode): Promise<string> {
  const host = hostOf(h, name);
  await c.transport.apply(COLLECTIVE, { host: host.id, terms: TERMS });
  const pending = await until('the application', async () => (await host.applications.list('pending'))[0]);
  await h.transport.decide(name, pending.id, 'accepted', 'host-admin-1');
  await until('HostJoined', () =>
    c.ledger(COLLECTIVE).chainHead()?.host?.id === host.id ? true : undefined,
  );
  return host.id;
}

/** Waits until the host cosigned the collective's whole log: no cosigning round trip is left out. */
const cosignedAll = (c: FlowNode) =>
  until('the cosignature of the whole log', async () =>
    (await c.transport.cosigned(COLLECTIVE))?.size === c.ledger(COLLECTIVE).head().size ? true : undefined,
  );
/** Money in through host `name`: pledge, confirmation, the receipt recorded. */
async function fund(h: FlowNode, name: string, c: FlowNode, amount: string) {
  const ledger = c.ledger(COLLECTIVE);
  const fees = await count(ledger, 'HostFee');
  const pledge = await hostOf(h, name).funds.pledge({ collective: ledger.actor.id, amount });
  const result = await h.transport.confirm(name, { reference: pledge.reference, amount, by: 'host-admin-1' });
  await until('the contribution', async () => ((await count(ledger, 'HostFee')) > fees ? true : undefined));
  await cosignedAll(c);
  return result;
}

async function approvalOf(ledger: LedgerService, expense: string): Promise<SignedEntry<'ExpenseApproved'>> {
  const found = (await allOf(ledger)).find(
    (e) => e.kind === 'ExpenseApproved' && (e as SignedEntry<'ExpenseApproved'>).expense === expense,
  );
  if (found === undefined) throw new Error('no approval');
  return found as SignedEntry<'ExpenseApproved'>;
}

/** Reconciles the collective's ledger with host `name`'s (protocol/audit/reconcile.ts). */
async function reconcile(h: FlowNode, name: string, c: FlowNode) {
  const match = new HostReconciliation(c.ledger(COLLECTIVE).actor.id);
  for (const e of await allOf(c.ledger(COLLECTIVE))) match.collectiveEntry(e.seq, e);
  const hostLedger = h.ledger(name);
  for (const e of await allOf(hostLedger))
    match.hostEntry(e.seq, e, (await hostLedger.get(e.seq))?.leafHash ?? '');
  return match.finish({ host: hostOf(h, name).id });
}

t.test(
  'a collective leaves its host: both ledgers record it once; what is not its own departure is refused',
  async (t) => {
    const [h, c] = (await nodes(t, [
      [[HOST, 'Organization']],
      [
        [COLLECTIVE, 'Group'],
        ['impostor', 'Group'],
      ],
    ])) as [FlowNode, FlowNode];
    const ledger = c.ledger(COLLECTIVE);
    const collectiveId = ledger.actor.id;
    const host = hostOf(h, HOST);
    const hostId = await join(h, HOST, c);
    await fund(h, HOST, c, '120.00');
    const pledge = await host.funds.pledge({ collective: collectiveId, amount: '10.00' });

    // An approval whose proof is not the collective's: refused before anything is decided or signed.
    const expense = await approveOn(ledger, '30.00', 'Solder');
    const approval = await approvalOf(ledger, expense);
    const forgedApproval = { ...approval, expense: '0'.repeat(64) };
    let before = h.transport.handled;
    await c.transport.send(COLLECTIVE, hostId, 'Offer', forgedApproval, { target: hostId });
    await settled(h, before, 1);
    t.match(h.transport.refusals, [{ problem: 'approvalSignatureInvalid', details: { type: 'proof' } }]);
    t.same(await host.countersigning.list(), [], 'no countersigning request recorded');

    // Departures that are not the collective's own, on its ledger: each refused, the member stays.
    const head = ledger.chainHead();
    const secretKey = ledger.actor.ledgerSecretKey;
    if (head === undefined || secretKey === undefined) throw new Error('no head');
    const time = new Date();
    const unsent = buildEntry(head, { kind: 'HostLeft', host: hostId }, { time, secretKey }).entry;
    const badKey = buildEntry(
      head,
      { kind: 'HostLeft', host: hostId },
      { time, secretKey: new Uint8Array(randomBytes(32)) },
    ).entry;
    before = h.transport.handled;
    await c.transport.send('impostor', hostId, 'Leave', unsent, { target: hostId });
    await c.transport.send(COLLECTIVE, hostId, 'Leave', badKey, { target: hostId });
    await c.transport.send(COLLECTIVE, hostId, 'Leave', unsent, { target: hostId });
    await settled(h, before, 3);
    t.same(h.transport.refusals.map((r) => r.problem).sort(), [
      'approvalSignatureInvalid',
      'departureInvalid',
      'signerNotCollective',
      'stillDeclared',
    ]);
    t.match(
      h.transport.refusals.find((r) => r.problem === 'signerNotCollective'),
      {
        actor: c.actors.get('impostor')?.record.id,
      },
    );
    t.match(await host.core.member(collectiveId), { status: 'active' }, 'still a member');
    t.equal(await count(h.ledger(HOST), 'MemberLeft'), 0);

    // The collective leaves; leaving again sends the same entry again, recorded once at the host.
    const refusals = h.transport.refusals.length;
    before = h.transport.handled;
    const left = await leaveHost(c.transport, COLLECTIVE);
    t.match(left, { host: hostId, entry: { entry: { kind: 'HostLeft', host: hostId } } });
    t.equal(ledger.chainHead()?.host, undefined, 'the collective has no host');
    const again = await leaveHost(c.transport, COLLECTIVE);
    t.equal(again.entry.leafHash, left.entry.leafHash, 'the same HostLeft sent again');
    await settled(h, before, 2);
    t.match(await host.core.member(collectiveId), { status: 'left' });
    t.equal(await count(h.ledger(HOST), 'MemberLeft'), 1, 'MemberLeft once');
    t.equal(await count(ledger, 'HostLeft'), 1, 'HostLeft once');
    t.equal(h.transport.refusals.length, refusals, 'the duplicate is no refusal');

    // The host no longer takes money in, countersigns or cosigns for it.
    await t.rejects(
      host.funds.confirm({ reference: pledge.reference, amount: '10.00', by: 'host-admin-1' }),
      { code: 'HOST_NOT_MEMBER' },
    );
    await t.rejects(host.funds.pledge({ collective: collectiveId }), { code: 'HOST_NOT_MEMBER' });
    await t.rejects(c.transport.requestCountersign(COLLECTIVE, expense), { code: 'HOST_NOT_MEMBER' });
    const cosignedBefore = await host.witness.last(collectiveId);
    const request = await (await c.transport.side(COLLECTIVE)).cosignRequest(0);
    before = h.transport.handled;
    const collectiveBefore = c.transport.handled;
    await c.transport.send(COLLECTIVE, hostId, 'Offer', approval, { target: hostId });
    await c.transport.send(
      COLLECTIVE,
      hostId,
      'Offer',
      { type: 'Document', name: CHECKPOINT_DOCUMENT, content: request.note, consistencyProof: request.proof },
      { target: hostId },
    );
    await settled(h, before, 2);
    t.equal(h.transport.refusals.at(-1)?.problem, 'memberLeft', 'the countersigning request is refused');
    t.same(await host.countersigning.list(), [], 'and recorded nowhere');
    t.same(await host.witness.last(collectiveId), cosignedBefore, 'nothing more cosigned');
    // The host's answer to the checkpoint is a refusal, which the collective (no host now) refuses.
    await settled(c, collectiveBefore, 1);
    t.match(c.transport.refusals.at(-1), { problem: 'noHost', actor: hostId });

    const cv = verifyChain(await allOf(ledger), { actor: collectiveId });
    const hv = verifyChain(await allOf(h.ledger(HOST)), { actor: hostId });
    t.ok(cv.ok, 'the collective ledger verifies');
    t.ok(hv.ok, 'the host ledger verifies');
    t.match(await reconcile(h, HOST, c), { ok: true, matched: 1, otherHosts: 0 });
  },
);

t.test('a host lets a member go; the old host is refused; the collective joins another host', async (t) => {
  const [h, b, c] = (await nodes(t, [
    [[HOST, 'Organization']],
    [[OTHER, 'Organization']],
    [[COLLECTIVE, 'Group']],
  ])) as [FlowNode, FlowNode, FlowNode];
  const ledger = c.ledger(COLLECTIVE);
  const collectiveId = ledger.actor.id;
  const hostA = hostOf(h, HOST);
  const hostId = await join(h, HOST, c);
  const received = await fund(h, HOST, c, '120.00');
  const first = await approveOn(ledger, '50.00', 'Solder');
  await c.transport.requestCountersign(COLLECTIVE, first);
  await until('the countersignature', async () =>
    (await ledger.expense(first))?.state === 'countersigned' ? true : undefined,
  );
  await cosignedAll(c);

  // Let go by a host admin, with a reason; the notice sent twice is recorded once.
  let before = c.transport.handled;
  const gone = await letGo(h.transport, HOST, {
    collective: collectiveId,
    by: 'host-admin-1',
    reason: 'The collective moved to Ghent.',
  });
  t.match(gone, {
    member: { status: 'left' },
    entry: {
      entry: { kind: 'MemberLeft', collective: collectiveId, reason: 'The collective moved to Ghent.' },
    },
  });
  const resent = await letGo(h.transport, HOST, { collective: collectiveId, by: 'host-admin-2' });
  t.equal(resent.entry.leafHash, gone.entry.leafHash, 'the same MemberLeft sent again');
  await settled(c, before, 2);
  t.equal(ledger.chainHead()?.host, undefined, 'HostLeft recorded');
  t.equal(await count(ledger, 'HostLeft'), 1, 'once');
  t.equal(await count(h.ledger(HOST), 'MemberLeft'), 1);
  t.same(c.transport.refusals, []);
  await t.rejects(
    letGo(h.transport, HOST, { collective: 'http://127.0.0.1:1/actors/nobody', by: 'host-admin-1' }),
    { code: 'HOST_NOT_MEMBER' },
  );

  // Another host: apply, accepted, money in, an expense countersigned and paid by it.
  const hostB = hostOf(b, OTHER);
  const otherId = await join(b, OTHER, c);
  t.same(ledger.chainHead()?.host, { id: otherId, key: hostB.core.hostKey() });
  await fund(b, OTHER, c, '200.00');
  const second = await approveOn(ledger, '30.00', 'Flux');
  await c.transport.requestCountersign(COLLECTIVE, second);
  await until('the countersignature of the new host', async () =>
    (await ledger.expense(second))?.state === 'countersigned' ? true : undefined,
  );
  const countersigned = (await allOf(ledger)).find(
    (e) => e.kind === 'ExpenseCountersigned' && (e as SignedEntry<'ExpenseCountersigned'>).expense === second,
  ) as SignedEntry<'ExpenseCountersigned'>;
  t.equal(countersigned.countersignature.host, otherId, 'countersigned by the new host');
  await b.transport.pay(OTHER, {
    collective: collectiveId,
    expense: second,
    payoutReference: 'ARGENTA-7',
    by: 'host-admin-b',
  });
  await until('ExpensePaid', async () =>
    (await ledger.expense(second))?.state === 'paid' ? true : undefined,
  );
  await cosignedAll(c);

  // Late messages from the old host, each validly signed by it: refused, recorded nowhere.
  const third = await approveOn(ledger, '20.00', 'Glue');
  const currency = 'EUR';
  const lateCountersignature = hostA.core.signObject('ExpenseCountersignature', collectiveId, {
    expense: third,
    amount: '20.00',
    currency,
  });
  const hostHead = h.ledger(HOST).head().leafHash ?? '';
  const lateReceipt = hostA.core.signObject('Receipt', collectiveId, {
    amount: '40.00',
    currency,
    memo: 'late',
    hostEntry: hostHead,
  });
  const latePayout = hostA.core.signObject('Payout', collectiveId, {
    expense: first,
    amount: '50.00',
    currency,
    hostEntry: hostHead,
  });
  const contributions = await count(ledger, 'Contribution');
  const size = ledger.head().size;
  before = c.transport.handled;
  await h.transport.send(HOST, collectiveId, 'Accept', lateCountersignature);
  await h.transport.send(HOST, collectiveId, 'Create', lateReceipt);
  await h.transport.send(HOST, collectiveId, 'Create', received.receipt);
  await h.transport.send(HOST, collectiveId, 'Create', latePayout);
  await settled(c, before, 4);
  await until('four refusals', () => (c.transport.refusals.length >= 4 ? true : undefined));
  t.same(
    c.transport.refusals.map((r) => r.problem),
    ['signerNotHost', 'signerNotHost', 'signerNotHost', 'signerNotHost'],
  );
  t.equal(ledger.head().size, size, 'nothing recorded');
  t.equal(await count(ledger, 'Contribution'), contributions);
  t.equal((await ledger.expense(third))?.state, 'approved');
  t.equal((await ledger.expense(first))?.state, 'countersigned', 'the old host cannot pay it now');

  // The old host's departure notice again: the collective left it already, nothing to do.
  before = c.transport.handled;
  await letGo(h.transport, HOST, { collective: collectiveId, by: 'host-admin-1' });
  await settled(c, before, 1);
  t.equal(ledger.chainHead()?.host?.id, otherId, 'still with the new host');
  t.equal(c.transport.refusals.length, 4);

  const entries = await allOf(ledger);
  const cv = verifyChain(entries, { actor: collectiveId });
  t.ok(cv.ok, 'the collective ledger verifies');
  if (cv.ok)
    t.equal(
      cv.summary.balance,
      '274.00',
      '120 − 6 + 200 − 10 − 30 (the 50 countersigned by the old host stays unpaid)',
    );
  t.same(
    entries.map((e) => e.kind).filter((k) => k.startsWith('Host')),
    ['HostJoined', 'HostFee', 'HostLeft', 'HostJoined', 'HostFee'],
  );
  t.ok(verifyChain(await allOf(h.ledger(HOST)), { actor: hostId }).ok, 'the old host ledger verifies');
  t.ok(verifyChain(await allOf(b.ledger(OTHER)), { actor: otherId }).ok, 'the new host ledger verifies');
  t.match(await reconcile(h, HOST, c), { ok: true, matched: 1, otherHosts: 2 }, 'with the old host');
  t.match(await reconcile(b, OTHER, c), { ok: true, matched: 2, otherHosts: 1 }, 'with the new host');
});
