/**
 * Fedify's circuit breaker as the node runs it (federation.ts): after 5 failed deliveries to a
 * host, the next one is held for 30 minutes, its state kept in the node's LevelDB. Tests that
 * make deliveries fail on purpose (node/server.test.ts, the host flows) must stay under that,
 * or turn it off: both are pinned here, against an inbox on a loopback port nobody listens on.
 */
import { createExponentialBackoffPolicy } from '@fedify/fedify';
import t from 'tap';
import { freePort } from '../../test-support/free-port.ts';
import type { BuildFederationOptions } from './federation.ts';
import { startTestNode, type TestNode } from './test-node.ts';

const MINUTE = 60_000;

/** A node whose failed deliveries are retried within milliseconds, counted as they fail. */
async function failingNode(t: { teardown(fn: () => unknown): void }, options: BuildFederationOptions) {
  const failed: unknown[] = [];
  const node = await startTestNode({
    federation: {
      ...options,
      outboxRetryPolicy: createExponentialBackoffPolicy({
        initialDelay: { milliseconds: 1 },
        maxDelay: { milliseconds: 4 },
        maxAttempts: 6,
      }),
      onOutboxError: (error) => {
        failed.push(error);
      },
    },
  });
  t.teardown(() => node.close());
  await node.addActor('garden');
  node.startQueue();
  return { node, failed };
}

/** Queues one Create to `inbox`, as publish.ts does. */
async function deliver(node: TestNode, inbox: string): Promise<void> {
  const actorId = `${node.origin}/actors/garden`;
  const keys = await node.fed.keys.get('garden');
  if (keys === undefined) throw new Error('no keys');
  const id = `${actorId}/ledger/1/create`;
  const privateKey = await crypto.subtle.exportKey('jwk', keys.http.privateKey);
  await node.fed.queue.enqueue({
    type: 'outbox',
    id: crypto.randomUUID(),
    baseUrl: node.origin,
    keys: [{ keyId: `${actorId}#main-key`, privateKey }],
    activity: {
      '@context': 'https://www.w3.org/ns/activitystreams',
      id,
      type: 'Create',
      actor: actorId,
      object: { id: `${actorId}/ledger/1`, type: 'Note', content: 'Seeds' },
    },
    activityId: id,
    activityType: 'https://www.w3.org/ns/activitystreams#Create',
    inbox,
    sharedInbox: false,
    started: new Date().toISOString(),
    attempt: 0,
    headers: {},
    traceContext: {},
  });
}

/** Due times (ms) of the messages on disk, once `done` holds for them. */
async function queuedWhen(node: TestNode, done: (due: number[]) => boolean): Promise<number[]> {
  for (;;) {
    const due: number[] = [];
    for await (const key of node.store.sublevel('fedify', 'queue').keys()) due.push(Number(key.slice(0, 16)));
    if (done(due)) return due;
    await new Promise((r) => setImmediate(r));
  }
}

t.test('by default, the 5th failed delivery to a host holds the next for 30 minutes', async (t) => {
  const { node, failed } = await failingNode(t, {});
  // Free a moment ago, so nothing answers there: every delivery fails.
  const port = await freePort();
  await deliver(node, `http://127.0.0.1:${port}/users/alice/inbox`);
  const [due = 0] = await queuedWhen(
    node,
    ([first, ...rest]) => rest.length === 0 && (first ?? 0) > Date.now() + 20 * MINUTE,
  );
  t.equal(failed.length, 5, 'five attempts, then no more');
  t.ok(due >= Date.now() + 29 * MINUTE, 'the delivery waits half an hour');
  const state = await node.fed.kv.get<{ state?: string }>(['_fedify', 'circuit', `127.0.0.1:${port}`]);
  t.equal(state?.state, 'open', "the host's circuit is open, in the node's LevelDB");
});

t.test('circuitBreaker: false lets the retry policy run to its end', async (t) => {
  const { node, failed } = await failingNode(t, { circuitBreaker: false });
  await deliver(node, `http://127.0.0.1:${await freePort()}/users/alice/inbox`);
  await queuedWhen(node, (due) => due.length === 0 && failed.length > 0);
  t.equal(failed.length, 7, 'the first attempt and its 6 retries, none held');
});
