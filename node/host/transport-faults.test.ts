// Faults of the host flows between two real nodes on loopback: the host down while an expense
// waits for it, then up again on the same data; a refusal (insufficient balance) verified and
// kept, recorded on no ledger; a forged countersignature and one from the wrong actor refused;
// duplicate requests answered the same and recorded once; a checkpoint that contradicts the one
// the host cosigned refused over the wire, both kept as evidence and served to anyone.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import t, { type Test } from 'tap';
import { verifyChain } from '../../protocol/chain.ts';
import { signCheckpoint, verifyCheckpoint } from '../../protocol/checkpoint.ts';
import { signHostObject, verificationMethodFor } from '../../protocol/entry/build.ts';
import type { SignedEntry } from '../../protocol/entry/types.ts';
import { noteKeyFromSeed, verifierKeyOf } from '../../protocol/note.ts';
import type { LedgerService } from '../ledger/service.ts';
import { allOf, approveOn, TERMS } from './fixtures.test-helper.ts';
import { hostRoutes } from './routes.ts';
import { type FlowNode, removeData, startFlowNode, until } from './transport.test-helper.ts';
import { CHECKPOINT_DOCUMENT } from './transport-types.ts';

const HOST = 'brussels-together';
const COLLECTIVE = 'repair-cafe';

interface Nodes {
  host: FlowNode;
  collective: FlowNode;
}

async function joined(t: Test, extraHostActors: [string, 'Organization'][] = []): Promise<Nodes> {
  const nodes: Nodes = {
    host: await startFlowNode({ actors: [[HOST, 'Organization'], ...extraHostActors] }),
    collective: await startFlowNode({ actors: [[COLLECTIVE, 'Group']] }),
  };
  t.teardown(async () => {
    for (const node of [nodes.host, nodes.collective]) {
      await node.stop().catch(() => {});
      await removeData(node);
    }
  });
  const hostId = nodes.host.actors.get(HOST)?.record.id ?? '';
  await nodes.collective.transport.apply(COLLECTIVE, { host: hostId, terms: TERMS });
  const host = nodes.host.hosts.get(HOST);
  const [pending] = await until('the application', async () => {
    const list = (await host?.applications.list('pending')) ?? [];
    return list.length > 0 ? list : undefined;
  });
  await nodes.host.transport.decide(HOST, pending?.id ?? '', 'accepted', 'host-admin-1');
  await until('HostJoined', () => nodes.collective.ledger(COLLECTIVE).chainHead()?.host);
  return nodes;
}

async function fund(nodes: Nodes, amount: string): Promise<void> {
  const ledger = nodes.collective.ledger(COLLECTIVE);
  const host = nodes.host.hosts.get(HOST);
  if (host === undefined) throw new Error('no host');
  const before = ledger.head().size;
  const pledge = await host.funds.pledge({ collective: ledger.actor.id, amount });
  await nodes.host.transport.confirm(HOST, { reference: pledge.reference, amount, by: 'host-admin-1' });
  await until('Contribution and HostFee', () => (ledger.head().size >= before + 2 ? true : undefined));
  await cosignedAll(nodes);
}

/**
 * Waits until the host has cosigned the whole collective log: its answer is one more activity
 * handled, which would otherwise land in a later count of answers.
 */
async function cosignedAll(nodes: Nodes): Promise<void> {
  const ledger = nodes.collective.ledger(COLLECTIVE);
  await until('the cosignature of the whole log', async () =>
    (await nodes.collective.transport.cosigned(COLLECTIVE))?.size === ledger.head().size ? true : undefined,
  );
}

const count = async (ledger: LedgerService, kind: string) =>
  (await allOf(ledger)).filter((e) => e.kind === kind).length;

t.test('host down: the expense waits in the queue, proceeds when the host is back', async (t) => {
  const nodes = await joined(t);
  await fund(nodes, '120.00');
  const ledger = nodes.collective.ledger(COLLECTIVE);

  const { dataDir, origin } = nodes.host;
  await nodes.host.stop();
  const expense = await approveOn(ledger, '50.00', 'Solder');
  await nodes.collective.transport.requestCountersign(COLLECTIVE, expense);
  t.same(
    await nodes.collective.transport.countersignStatus(COLLECTIVE, expense),
    { awaiting: true },
    'awaiting host',
  );
  t.equal((await ledger.expense(expense))?.state, 'approved');
  // The first delivery failed: the Offer sits in the durable queue for a retry with backoff.
  await until('the Offer delayed for a retry', async () =>
    ((await nodes.collective.fed.queue.getDepth()).delayed ?? 0) > 0 ? true : undefined,
  );

  // The host comes back on the same address and data: the queued Offer is delivered and answered.
  nodes.host = await startFlowNode({
    actors: [[HOST, 'Organization']],
    dataDir,
    port: Number(new URL(origin).port),
  });
  await until('the countersignature after the host is back', async () =>
    (await ledger.expense(expense))?.state === 'countersigned' ? true : undefined,
  );
  t.same(await nodes.collective.transport.countersignStatus(COLLECTIVE, expense), { awaiting: false });
  t.equal(await count(ledger, 'ExpenseCountersigned'), 1);
  t.ok(verifyChain(await allOf(ledger), { actor: ledger.actor.id }).ok, 'the collective ledger verifies');
});

t.test('a refusal is verified and kept, recorded on no ledger; new money lets it through', async (t) => {
  const nodes = await joined(t);
  const ledger = nodes.collective.ledger(COLLECTIVE);
  const expense = await approveOn(ledger, '50.00', 'Solder');
  await nodes.collective.transport.requestCountersign(COLLECTIVE, expense);
  const status = await until('the refusal', async () => {
    const s = await nodes.collective.transport.countersignStatus(COLLECTIVE, expense);
    return s.refusal === undefined ? undefined : s;
  });
  t.match(status, {
    awaiting: false,
    refusal: { type: 'CountersignRefusal', code: 'insufficientBalance', expense },
  });
  t.equal((await ledger.expense(expense))?.state, 'approved');
  t.equal(await count(ledger, 'ExpenseCountersigned'), 0);

  // Money arrives; the same request is decided again and countersigned.
  await fund(nodes, '120.00');
  await nodes.collective.transport.requestCountersign(COLLECTIVE, expense);
  await until('the countersignature', async () =>
    (await ledger.expense(expense))?.state === 'countersigned' ? true : undefined,
  );
  t.same(await nodes.collective.transport.countersignStatus(COLLECTIVE, expense), { awaiting: false });
});

t.test('duplicate requests get the same answer, recorded once', async (t) => {
  const nodes = await joined(t);
  await fund(nodes, '120.00');
  const ledger = nodes.collective.ledger(COLLECTIVE);
  const expense = await approveOn(ledger, '30.00', 'Solder');
  const before = nodes.collective.transport.handled;
  await nodes.collective.transport.requestCountersign(COLLECTIVE, expense);
  await nodes.collective.transport.requestCountersign(COLLECTIVE, expense);
  // Two Accepts and the cosigning answer after the first is recorded (a duplicate asks for none).
  await until('both answers', () => (nodes.collective.transport.handled >= before + 3 ? true : undefined));
  await cosignedAll(nodes);
  t.equal(await count(ledger, 'ExpenseCountersigned'), 1, 'two Accepts, one ExpenseCountersigned');
  const host = nodes.host.hosts.get(HOST);
  t.equal((await host?.countersigning.list())?.length, 1, 'one request at the host');

  // The same payout sent twice (a host admin marking it paid again): one ExpensePaid.
  const input = { collective: ledger.actor.id, expense, payoutReference: 'KBC-1', by: 'host-admin-1' };
  const handled = nodes.collective.transport.handled;
  const first = await nodes.host.transport.pay(HOST, input);
  t.same(await nodes.host.transport.pay(HOST, input), first, 'the same payout record');
  await until('both payouts', () => (nodes.collective.transport.handled >= handled + 3 ? true : undefined));
  t.equal(await count(ledger, 'ExpensePaid'), 1);
  t.same(nodes.collective.transport.refusals, []);
});

t.test('a forged countersignature, or one from another actor, is refused and not recorded', async (t) => {
  const nodes = await joined(t, [['impostor', 'Organization']]);
  await fund(nodes, '120.00');
  const ledger = nodes.collective.ledger(COLLECTIVE);
  const hostId = nodes.host.actors.get(HOST)?.record.id ?? '';
  // Hold the real request back: the collective only approves; the forgeries arrive first.
  const expense = await approveOn(ledger, '40.00', 'Solder');
  const forged = signHostObject(
    'ExpenseCountersignature',
    { expense, amount: '40.00', currency: 'EUR' },
    {
      host: hostId,
      collective: ledger.actor.id,
      verificationMethod: verificationMethodFor(hostId, 0),
      secretKey: new Uint8Array(randomBytes(32)),
      time: new Date(),
    },
  );
  const before = nodes.collective.transport.handled;
  // Signed over HTTP by the host, but the object's proof is not the host's ledger key.
  await nodes.host.transport.send(HOST, ledger.actor.id, 'Accept', forged);
  // The genuine host's object shape, but the activity comes from another actor.
  await nodes.host.transport.send('impostor', ledger.actor.id, 'Accept', forged);
  await until('both forgeries refused', () =>
    nodes.collective.transport.refusals.length >= 2 && nodes.collective.transport.handled >= before + 2
      ? true
      : undefined,
  );
  t.same(nodes.collective.transport.refusals.map((r) => r.problem).sort(), [
    'hostSignatureInvalid',
    'signerNotHost',
  ]);
  t.equal((await ledger.expense(expense))?.state, 'approved', 'nothing recorded');
  t.equal(await count(ledger, 'ExpenseCountersigned'), 0);
});

t.test('an application sent by another actor than the collective that signed it is refused', async (t) => {
  const host = await startFlowNode({ actors: [[HOST, 'Organization']] });
  const other = await startFlowNode({
    actors: [
      [COLLECTIVE, 'Group'],
      ['impostor', 'Group'],
    ],
  });
  t.teardown(async () => {
    for (const node of [host, other]) {
      await node.stop().catch(() => {});
      await removeData(node);
    }
  });
  const hostId = host.actors.get(HOST)?.record.id ?? '';
  const application = await (await other.transport.side(COLLECTIVE)).application({
    host: hostId,
    terms: TERMS,
  });
  const before = host.transport.handled;
  await other.transport.send('impostor', hostId, 'Offer', application, { target: hostId });
  await until('the refusal', () => (host.transport.handled > before ? true : undefined));
  t.match(host.transport.refusals, [
    { problem: 'signerNotCollective', actor: other.actors.get('impostor')?.record.id },
  ]);
  t.same(await host.hosts.get(HOST)?.applications.list(), [], 'no application recorded');
});

t.test(
  'a checkpoint contradicting the cosigned one: Reject{Document}, both kept and served, nothing recorded',
  async (t) => {
    const nodes = await joined(t);
    await fund(nodes, '120.00');
    const ledger = nodes.collective.ledger(COLLECTIVE);
    const host = nodes.host.hosts.get(HOST);
    if (host === undefined) throw new Error('no host');
    const hostId = host.id;
    const collectiveId = ledger.actor.id;
    // Each receipt recorded sent the checkpoint by itself: wait until the whole log is cosigned.
    const cosigned = await until('the cosignature of the whole log', async () => {
      const c = await nodes.collective.transport.cosigned(COLLECTIVE);
      const last = await host.witness.last(collectiveId);
      return c?.size === ledger.head().size && last?.size === c.size ? c : undefined;
    });
    const last = await host.witness.last(collectiveId);

    // The collective's own checkpoint key signs another root at the cosigned size: a fork.
    const genesis = (await ledger.get(0))?.entry as SignedEntry<'Genesis'>;
    const logKey = noteKeyFromSeed(genesis.origin, ledger.actor.checkpointSecretKey as Uint8Array);
    const fork = signCheckpoint(
      { origin: genesis.origin, size: cosigned.size, rootHash: new Uint8Array(32).fill(1), extensions: [] },
      logKey,
    );
    const size = ledger.head().size;
    const refused = nodes.collective.transport.refusals.length;
    await nodes.collective.transport.send(
      COLLECTIVE,
      hostId,
      'Offer',
      {
        type: 'Document',
        name: CHECKPOINT_DOCUMENT,
        mediaType: 'text/plain; charset=utf-8',
        content: fork,
        consistencyProof: [],
      },
      { target: hostId },
    );
    const refusal = await until('the Reject{Document} recorded', () =>
      nodes.collective.transport.refusals.slice(refused).find((r) => r.problem === 'cosignRefused'),
    );
    t.match(refusal, { actor: hostId, details: { code: 'CHECKPOINT_CONFLICT' } }, 'the host answered Reject');
    t.same(
      await nodes.collective.transport.cosigned(COLLECTIVE),
      cosigned,
      'the collective keeps its cosigned note',
    );
    t.equal(ledger.head().size, size, 'nothing recorded on its ledger');
    t.same(await host.witness.last(collectiveId), last, 'the host still stands by what it cosigned');

    // The evidence, to an anonymous client over HTTP: the host's public route.
    const app = Fastify({ logger: false, forceCloseConnections: true });
    await app.register(hostRoutes, { hosts: { get: async (name) => nodes.host.hosts.get(name) } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    t.teardown(() => app.close());
    const { port } = app.server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/api/hosts/${HOST}/evidence`);
    t.equal(response.status, 200);
    const { items } = (await response.json()) as {
      items: { collective: string; kind: string; cosigned: string; offered: string }[];
    };
    t.match(items, [{ collective: collectiveId, kind: 'fork', cosigned: last?.note, offered: fork }]);
    for (const note of [items[0]?.cosigned, items[0]?.offered]) {
      const checked = verifyCheckpoint(note ?? '', { logKeys: [verifierKeyOf(logKey)] });
      t.ok(
        checked.ok && checked.checkpoint.size === cosigned.size,
        'signed by the collective, at the same size',
      );
    }
    t.not(items[0]?.cosigned, items[0]?.offered, 'two different roots for one size');
  },
);
