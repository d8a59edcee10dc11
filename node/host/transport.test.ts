// The host flows between two real nodes over ActivityPub: each node its own LevelDB, key files,
// Fedify federation and HTTP server on loopback; every message an activity delivered through
// Fedify's durable queue with HTTP signatures. Apply, accept, confirm funds, file, approve,
// countersign, pay, cosign; both ledgers verify with protocol/chain.ts and reconcile.
import t, { type Test } from 'tap';
import { verifyChain } from '../../protocol/chain.ts';
import type { SignedEntry } from '../../protocol/entry/types.ts';
import { checkHostLink } from '../../protocol/host/links.ts';
import type { LedgerService } from '../ledger/service.ts';
import { allOf, approveOn, TERMS } from './fixtures.test-helper.ts';
import { type FlowNode, removeData, startFlowNode, until } from './transport.test-helper.ts';

const HOST = 'brussels-together';
const COLLECTIVE = 'repair-cafe';

async function twoNodes(t: Test) {
  const host = await startFlowNode({ actors: [[HOST, 'Organization']] });
  const collective = await startFlowNode({ actors: [[COLLECTIVE, 'Group']] });
  const nodes = { host, collective };
  t.teardown(async () => {
    for (const node of [nodes.host, nodes.collective]) {
      await node.stop().catch(() => {});
      await removeData(node);
    }
  });
  return nodes;
}

const kinds = async (ledger: LedgerService) => (await allOf(ledger)).map((e) => e.kind);

/** Applies over the wire and is accepted; answers the host id. */
async function join(nodes: { host: FlowNode; collective: FlowNode }): Promise<string> {
  const hostId = nodes.host.actors.get(HOST)?.record.id ?? '';
  await nodes.collective.transport.apply(COLLECTIVE, {
    host: hostId,
    terms: TERMS,
    message: 'We fix things.',
  });
  const host = nodes.host.hosts.get(HOST);
  if (host === undefined) throw new Error('no host');
  const [pending] = await until('the application at the host', async () => {
    const list = await host.applications.list('pending');
    return list.length > 0 ? list : undefined;
  });
  await nodes.host.transport.decide(HOST, pending?.id ?? '', 'accepted', 'host-admin-1');
  await until(
    'HostJoined on the collective ledger',
    () => nodes.collective.ledger(COLLECTIVE).chainHead()?.host,
  );
  return hostId;
}

t.test('the whole story between two nodes over ActivityPub', async (t) => {
  const nodes = await twoNodes(t);
  const { host: h, collective: c } = nodes;
  const ledger = c.ledger(COLLECTIVE);
  const collectiveId = ledger.actor.id;
  const host = h.hosts.get(HOST);
  if (host === undefined) throw new Error('no host');

  const hostId = await join(nodes);
  t.same(
    ledger.chainHead()?.host,
    { id: hostId, key: host.core.hostKey() },
    'HostJoined names the host and its key',
  );
  t.equal(await c.transport.application(COLLECTIVE), undefined, 'the pending application is settled');
  t.match(await host.applications.members(), [{ collective: collectiveId, status: 'active' }]);

  // Money in: the host confirms, the signed receipt travels, Contribution + HostFee land.
  const pledge = await host.funds.pledge({ collective: collectiveId, amount: '120.00', name: 'Alice' });
  const confirmed = await h.transport.confirm(HOST, {
    reference: pledge.reference,
    amount: '120.00',
    by: 'host-admin-1',
  });
  t.equal(confirmed.fee, '6.00');
  await until('the contribution', async () => ((await kinds(ledger)).includes('HostFee') ? true : undefined));
  const contribution = (await allOf(ledger)).find(
    (e) => e.kind === 'Contribution',
  ) as SignedEntry<'Contribution'>;
  t.match(contribution, { amount: '120.00', contributor: 'Alice' });
  t.same(contribution.receipt, confirmed.receipt, 'the receipt is embedded exactly as the host signed it');

  // Confirming again sends the same receipt again: recorded once.
  await h.transport.confirm(HOST, { reference: pledge.reference, amount: '120.00', by: 'host-admin-2' });

  // Money out: approval → Offer → countersignature within the automatic limit → ExpenseCountersigned.
  const expense = await approveOn(ledger, '50.00');
  await c.transport.requestCountersign(COLLECTIVE, expense);
  t.same(await c.transport.countersignStatus(COLLECTIVE, expense), { awaiting: true });
  await until('the countersignature', async () =>
    (await ledger.expense(expense))?.state === 'countersigned' ? true : undefined,
  );
  t.same(await c.transport.countersignStatus(COLLECTIVE, expense), { awaiting: false });
  await t.rejects(
    c.transport.requestCountersign(COLLECTIVE, expense),
    { code: 'EXPENSE_STATE' },
    'a countersigned expense is not sent again',
  );

  const paid = await h.transport.pay(HOST, {
    collective: collectiveId,
    expense,
    payoutReference: 'KBC-2026-0117',
    by: 'host-admin-2',
  });
  t.equal(paid.state, 'paid');
  await until('ExpensePaid', async () =>
    (await ledger.expense(expense))?.state === 'paid' ? true : undefined,
  );

  // Witness: each recorded answer sends the checkpoint to the host (one request at a time), the
  // cosigned note comes back, verified and kept; asking again changes nothing.
  t.equal(ledger.checkpoint()?.size, ledger.head().size, 'the checkpoint is written with the entries');
  await c.transport.requestCosign(COLLECTIVE);
  const cosigned = await until('the cosignature of the whole log', async () => {
    const now = await c.transport.cosigned(COLLECTIVE);
    return now?.size === ledger.head().size ? now : undefined;
  });
  t.ok(
    (await host.witness.last(collectiveId))?.cosigned === cosigned.cosigned,
    'the same note on both sides',
  );

  // A second round after more money moved: consistent, cosigned again.
  const second = await host.funds.pledge({ collective: collectiveId, amount: '80.00' });
  await h.transport.confirm(HOST, { reference: second.reference, amount: '80.00', by: 'host-admin-1' });
  await until('the second contribution', async () =>
    (await kinds(ledger)).filter((k) => k === 'HostFee').length === 2 ? true : undefined,
  );
  const cosigned2 = await until('the second cosignature, by itself', async () => {
    const now = await c.transport.cosigned(COLLECTIVE);
    return now?.size === ledger.head().size ? now : undefined;
  });
  t.ok(cosigned2.size > cosigned.size);
  t.same(await host.witness.evidence(), [], 'no evidence of a fork kept');
  t.same(c.transport.refusals, [], 'the collective refused nothing');
  t.same(h.transport.refusals, [], 'the host refused nothing');

  // Both ledgers verify and every money entry reconciles with its host entry.
  const collectiveEntries = await allOf(ledger);
  const hostEntries = await allOf(h.ledger(HOST));
  const cv = verifyChain(collectiveEntries, { actor: collectiveId });
  const hv = verifyChain(hostEntries, { actor: hostId });
  t.ok(cv.ok, 'the collective ledger verifies');
  t.ok(hv.ok, 'the host ledger verifies');
  if (cv.ok) t.equal(cv.summary.balance, '140.00', '120 + 80 − 6 − 4 − 50');
  if (hv.ok) t.equal(hv.summary.balance, '150.00');
  t.same(
    collectiveEntries.map((e) => e.kind).filter((k) => k !== 'Genesis'),
    [
      'HostJoined',
      'Contribution',
      'HostFee',
      'Expense',
      'ExpenseApproved',
      'ExpenseCountersigned',
      'ExpensePaid',
      'Contribution',
      'HostFee',
    ],
    'each host answer recorded once',
  );
  const byHash = new Map<string, SignedEntry>();
  for (const e of hostEntries) byHash.set((await h.ledger(HOST).get(e.seq))?.leafHash ?? '', e);
  let links = 0;
  for (const e of collectiveEntries) {
    const signed =
      e.kind === 'Contribution'
        ? (e as SignedEntry<'Contribution'>).receipt
        : e.kind === 'ExpensePaid'
          ? (e as SignedEntry<'ExpensePaid'>).payout
          : undefined;
    if (signed === undefined) continue;
    t.equal(
      checkHostLink(signed, byHash.get(signed.hostEntry ?? '')),
      undefined,
      `${e.kind} #${e.seq} reconciles`,
    );
    links += 1;
  }
  t.equal(links, 3);
});
