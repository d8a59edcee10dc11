import { signRequest } from '@fedify/fedify';
import t from 'tap';
import { startTestFollower } from './test-follower.ts';
import { startTestNode } from './test-node.ts';

const AP = 'application/activity+json';

t.test('inbox security', async (t) => {
  const node = await startTestNode({ listen: true, inboxBodyLimit: 64 * 1024 });
  t.teardown(() => node.close());
  const follower = await startTestFollower();
  t.teardown(() => follower.close());
  const open = await node.addActor('garden-club');
  node.startQueue();
  const inbox = `${open.record.id}/inbox`;
  const alice = follower.actorUrl('alice');
  const followOf = (id: string, actor = alice) =>
    JSON.stringify({
      '@context': 'https://www.w3.org/ns/activitystreams',
      id,
      type: 'Follow',
      actor,
      object: open.record.id,
    });

  async function signed(
    body: string,
    signer: 'alice' | 'mallory',
    tamper?: (body: string) => string,
  ): Promise<Response> {
    const pair = follower.keys.get(signer) as CryptoKeyPair;
    const request = await signRequest(
      new Request(inbox, { method: 'POST', headers: { 'content-type': AP }, body }),
      pair.privateKey,
      new URL(`${follower.actorUrl(signer)}#main-key`),
      { spec: 'draft-cavage-http-signatures-12' },
    );
    const headers = new Headers(request.headers);
    return fetch(inbox, { method: 'POST', headers, body: tamper ? tamper(body) : body });
  }
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      while ((await node.fed.queue.getDepth()).queued > 0) await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
    }
  };

  const unsigned = await fetch(inbox, {
    method: 'POST',
    headers: { 'content-type': AP },
    body: followOf(`${alice}#f/0`),
  });
  t.equal(unsigned.status, 401, 'unsigned POST refused');

  const tampered = await signed(followOf(`${alice}#f/1`), 'alice', (b) => b.replace('#f/1', '#f/X'));
  t.equal(tampered.status, 401, 'a body changed after signing fails the Digest');

  const impostor = await signed(followOf(`${alice}#f/2`), 'mallory');
  t.equal(impostor.status, 401, "mallory's key cannot sign alice's activity");

  t.equal(await node.fed.followers.count('garden-club'), 0, 'none of these was processed');

  const offHost = await signed(followOf('https://elsewhere.example/follows/1'), 'alice');
  t.equal(offHost.status, 202);
  while (!node.fed.refusals.some((r) => r.type === 'hostMismatch')) await new Promise((r) => setImmediate(r));
  t.match(
    node.fed.refusals,
    [{ type: 'hostMismatch', activity: 'https://elsewhere.example/follows/1' }],
    'activity id off the actor host refused',
  );
  t.equal(await node.fed.followers.count('garden-club'), 0);

  const replayed = followOf(`${alice}#f/3`);
  t.equal((await signed(replayed, 'alice')).status, 202);
  t.equal((await signed(replayed, 'alice')).status, 202, 'a redelivery is acknowledged');
  await follower.next((d) => d.body.type === 'Accept');
  await settle();
  t.equal(follower.deliveries.filter((d) => d.body.type === 'Accept').length, 1, 'and processed once');
  t.equal(await node.fed.followers.count('garden-club'), 1);

  const big = JSON.stringify({ ...JSON.parse(followOf(`${alice}#f/4`)), padding: 'x'.repeat(70 * 1024) });
  t.equal((await signed(big, 'alice')).status, 413, 'inbox body size capped');
  const deep = JSON.stringify({
    ...JSON.parse(followOf(`${alice}#f/5`)),
    nest: JSON.parse(`${'['.repeat(40)}${']'.repeat(40)}`),
  });
  t.equal((await signed(deep, 'alice')).status, 400, 'inbox JSON depth capped');
});
