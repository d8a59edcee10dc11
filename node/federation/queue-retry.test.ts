/**
 * A crash while a handler runs, after it enqueued what comes next: Fedify hands a failed delivery
 * over to a retry (the same message, `attempt + 1`, delayed) from inside the handler, and the
 * queue deletes the failed one only when the handler returns. A process killed in between kept
 * both, and each went on retrying on its own: two deliveries for one, and twice the failures
 * against the remote host's circuit breaker (which holds a host's deliveries for 30 minutes after
 * 5 failures). Handlers here never return, standing for the process that died.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Temporal } from '@js-temporal/polyfill';
import t from 'tap';
import { openLevelStore } from '../storage/level.ts';
import type { Store } from '../storage/types.ts';
import { LevelMessageQueue } from './queue.ts';

const HOUR = Temporal.Duration.from({ hours: 1 });

async function tempDb(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cagnotte-mq-retry-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return join(dir, 'db');
}

/**
 * Runs `message` through a queue whose handler calls `during` and then never returns, and closes
 * the store under it: what a SIGKILL leaves on disk.
 */
async function crashWhileHandling(
  location: string,
  message: unknown,
  during: (queue: LevelMessageQueue) => Promise<void>,
): Promise<void> {
  const store = await openLevelStore(location);
  const queue = new LevelMessageQueue(store);
  const controller = new AbortController();
  let handed!: () => void;
  const done = new Promise<void>((resolve) => {
    handed = resolve;
  });
  const listening = queue.listen(
    async () => {
      await during(queue);
      handed();
      await new Promise<void>(() => {});
    },
    { signal: controller.signal },
  );
  await queue.enqueue(message);
  await done;
  controller.abort();
  await listening;
  await store.close();
}

/** Every message waiting in the queue at `location`, due or not, oldest due first. */
async function waiting(location: string, t: { teardown(fn: () => unknown): void }): Promise<unknown[]> {
  const store: Store = await openLevelStore(location);
  t.teardown(() => store.close());
  // A clock a day ahead makes every delayed message due, so one listener sees them all.
  const queue = new LevelMessageQueue(store, { now: () => Date.now() + 86_400_000, concurrency: 1 });
  const { queued } = await queue.getDepth();
  const seen: unknown[] = [];
  if (queued === 0) return seen;
  const controller = new AbortController();
  let all!: () => void;
  const done = new Promise<void>((resolve) => {
    all = resolve;
  });
  const listening = queue.listen(
    (message) => {
      seen.push(message);
      if (seen.length === queued) all();
    },
    { signal: controller.signal },
  );
  await done;
  controller.abort();
  await listening;
  return seen;
}

t.test('a retry enqueued by its handler replaces its message: a crash leaves one copy', async (t) => {
  const location = await tempDb(t);
  const failed = { type: 'outbox', id: 'delivery-1', attempt: 1 };
  await crashWhileHandling(location, failed, (queue) =>
    queue.enqueue({ ...failed, attempt: 2 }, { delay: HOUR }),
  );
  t.same(await waiting(location, t), [{ type: 'outbox', id: 'delivery-1', attempt: 2 }], 'only the retry');
});

t.test('a message enqueued by a handler for other work leaves the handled one in place', async (t) => {
  // A fan-out queues one delivery per inbox and is done only when it returns: killed before,
  // it must run again (its deliveries are deduplicated by the receivers, not lost).
  const location = await tempDb(t);
  const fanout = { type: 'fanout', id: 'fanout-1' };
  await crashWhileHandling(location, fanout, (queue) =>
    queue.enqueueMany([
      { type: 'outbox', id: 'to-a', attempt: 0 },
      { type: 'outbox', id: 'to-b', attempt: 0 },
    ]),
  );
  t.same(
    await waiting(location, t),
    [fanout, { type: 'outbox', id: 'to-a', attempt: 0 }, { type: 'outbox', id: 'to-b', attempt: 0 }],
    'the fan-out runs again, beside what it had queued',
  );
});

t.test('a handler that hands over and returns leaves the retry alone', async (t) => {
  const location = await tempDb(t);
  const store = await openLevelStore(location);
  const queue = new LevelMessageQueue(store);
  const controller = new AbortController();
  let returned!: () => void;
  const done = new Promise<void>((resolve) => {
    returned = resolve;
  });
  const failed = { type: 'outbox', id: 'delivery-2', attempt: 0 };
  const listening = queue.listen(
    async (message) => {
      if ((message as { attempt: number }).attempt === 0) {
        await queue.enqueue({ ...failed, attempt: 1 }, { delay: HOUR });
      }
      returned();
    },
    { signal: controller.signal },
  );
  await queue.enqueue(failed);
  await done;
  // The queue deletes the handled message after its handler returns: wait for that on disk
  // (getDepth leaves out messages in flight, so it cannot tell).
  const keys = async () => {
    let n = 0;
    for await (const _ of store.sublevel('fedify', 'queue').keys()) n++;
    return n;
  };
  while ((await keys()) > 1) await new Promise((r) => setImmediate(r));
  controller.abort();
  await listening;
  t.same(await queue.getDepth(), { queued: 1, ready: 0, delayed: 1 });
  await store.close();
  t.same(await waiting(location, t), [{ type: 'outbox', id: 'delivery-2', attempt: 1 }]);
});
