import { signRequest } from '@fedify/fedify';
import { Temporal } from '@js-temporal/polyfill';
import t from 'tap';
import { startTestFollower } from './test-follower.ts';
import { startTestNode } from './test-node.ts';

const AP = 'application/activity+json';

t.test('an inbox POST signed with a Date outside the one-hour window is refused', async (t) => {
  const node = await startTestNode({ listen: true });
  t.teardown(() => node.close());
  const follower = await startTestFollower();
  t.teardown(() => follower.close());
  const open = await node.addActor('garden-club');
  node.startQueue();
  const inbox = `${open.record.id}/inbox`;
  const alice = follower.actorUrl('alice');

  // Signed correctly by alice, at `currentTime`: Date and signature agree, only the time is off.
  async function postAt(id: string, currentTime: Temporal.Instant): Promise<Response> {
    const body = JSON.stringify({
      '@context': 'https://www.w3.org/ns/activitystreams',
      id,
      type: 'Follow',
      actor: alice,
      object: open.record.id,
    });
    const request = await signRequest(
      new Request(inbox, { method: 'POST', headers: { 'content-type': AP }, body }),
      (follower.keys.get('alice') as CryptoKeyPair).privateKey,
      new URL(`${alice}#main-key`),
      { spec: 'draft-cavage-http-signatures-12', currentTime },
    );
    t.equal(
      new Date(request.headers.get('date') as string).getTime(),
      Math.floor(currentTime.epochMilliseconds / 1000) * 1000,
      'the signed Date is the chosen time',
    );
    return fetch(inbox, { method: 'POST', headers: request.headers, body });
  }
  const now = Temporal.Now.instant();

  t.equal((await postAt(`${alice}#f/old`, now.subtract({ hours: 2 }))).status, 401, 'two hours old: refused');
  t.equal((await postAt(`${alice}#f/future`, now.add({ hours: 2 }))).status, 401, 'two hours ahead: refused');
  t.equal(await node.fed.followers.count('garden-club'), 0, 'neither was processed');

  t.equal((await postAt(`${alice}#f/now`, now)).status, 202, 'the same POST signed now is accepted');
  await follower.next((d) => d.body.type === 'Accept');
  t.equal(await node.fed.followers.count('garden-club'), 1);
});
