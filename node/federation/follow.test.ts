import { Follow, isActor, Undo } from '@fedify/vocab';
import t from 'tap';
import type { JsonObject } from '../../protocol/jcs.ts';
import { decodeMultikey } from '../../protocol/multikey.ts';
import { verifyProof } from '../../protocol/proof.ts';
import { startTestFollower, type TestFollower } from './test-follower.ts';
import { startTestNode, type TestNode } from './test-node.ts';

const AP = 'application/activity+json';

async function follow(follower: TestFollower, name: string, target: string, id: string) {
  const ctx = follower.federation.createContext(new URL(follower.origin), undefined);
  const group = await ctx.lookupObject(target);
  if (!isActor(group)) throw new Error(`not an actor: ${target}`);
  const activity = new Follow({ id: new URL(id), actor: new URL(follower.actorUrl(name)), object: group.id });
  await ctx.sendActivity({ identifier: name }, group, activity);
  return { ctx, group, activity };
}

async function followerCount(node: TestNode, name: string): Promise<number> {
  const res = await node.app.inject({ url: `/actors/${name}/followers`, headers: { accept: AP } });
  return res.json().totalItems;
}

t.test(
  'a Fedify follower follows by actor URL, is accepted, receives Create{Note} that verifies, and unfollows',
  async (t) => {
    const node = await startTestNode({ listen: true });
    t.teardown(() => node.close());
    const follower = await startTestFollower();
    t.teardown(() => follower.close());
    const open = await node.addActor('garden-club');
    node.startQueue();
    t.equal(
      await node.fed.publisher.sync('garden-club'),
      0,
      'entries before federation are in the outbox, not re-sent',
    );

    const actorId = open.record.id;
    const followId = `${follower.actorUrl('alice')}#follows/1`;
    const { ctx, group, activity } = await follow(follower, 'alice', actorId, followId);

    const accept = await follower.next((d) => d.body.type === 'Accept');
    t.equal(accept.keyId, `${actorId}#main-key`, 'the Accept is HTTP-signed by the collective');
    t.equal(accept.body.actor, actorId);
    const acceptedFollow = accept.body.object as { id: string; type: string; actor: string };
    t.equal(acceptedFollow.id, followId, 'object = the Follow');
    t.equal(acceptedFollow.type, 'Follow');
    t.equal(acceptedFollow.actor, follower.actorUrl('alice'));
    t.equal(await followerCount(node, 'garden-club'), 1);
    t.same((await node.fed.followers.get('garden-club', follower.actorUrl('alice')))?.follow, followId);

    const appended = await open.ledger.append({
      kind: 'Update',
      title: 'Seeds',
      body: 'We bought seeds for 25.00 EUR',
    });
    t.equal(await node.fed.publisher.sync('garden-club'), 1);
    const create = await follower.next((d) => d.body.type === 'Create');
    t.equal(
      create.keyId,
      `${actorId}#main-key`,
      'the delivery carries a valid HTTP signature of the collective',
    );
    t.equal(create.path, '/users/alice/inbox');
    t.equal(create.body.id, `${appended.entry.id}/create`);
    const note = create.body.object as JsonObject;
    t.same(note, appended.entry, 'the Note is the entry as signed');

    // The follower checks the proof with the key the actor document publishes, not one it was sent.
    const actorDoc = (await fetch(actorId, { headers: { accept: AP } }).then((r) => r.json())) as {
      assertionMethod:
        | { id: string; publicKeyMultibase: string }[]
        | { id: string; publicKeyMultibase: string };
    };
    const method = [actorDoc.assertionMethod].flat().find((m) => m.id === `${actorId}#ledger-key-0`);
    const decoded = decodeMultikey(method?.publicKeyMultibase ?? '');
    if (!decoded.ok) throw new Error('the ledger key does not decode');
    const publicKey = decoded.publicKey;
    t.equal(
      verifyProof(note, { publicKey, verificationMethod: `${actorId}#ledger-key-0` }).ok,
      true,
      'the proof verifies',
    );

    t.equal(await node.fed.publisher.sync('garden-club'), 0, 'nothing is published twice');

    await ctx.sendActivity(
      { identifier: 'alice' },
      group,
      new Undo({
        id: new URL(`${follower.actorUrl('alice')}#undo/1`),
        actor: new URL(follower.actorUrl('alice')),
        object: activity,
      }),
    );
    // The inbox answers 202 and processes later: wait for the queue to drain.
    while ((await followerCount(node, 'garden-club')) !== 0) await new Promise((r) => setImmediate(r));
    t.equal(await followerCount(node, 'garden-club'), 0, 'Undo{Follow} removes the follower');
    await open.ledger.append({ kind: 'Update', title: 'After', body: 'not for alice' });
    t.equal(await node.fed.publisher.sync('garden-club'), 1);
    t.equal(
      follower.deliveries.filter((d) => d.body.type === 'Create').length,
      1,
      'no delivery to a former follower',
    );
  },
);

t.test('an actor that approves followers by hand keeps the Follow pending and sends no Accept', async (t) => {
  const node = await startTestNode({ listen: true, manuallyApproves: ['careful'] });
  t.teardown(() => node.close());
  const follower = await startTestFollower();
  t.teardown(() => follower.close());
  const open = await node.addActor('careful');
  node.startQueue();
  await follow(follower, 'alice', open.record.id, `${follower.actorUrl('alice')}#follows/2`);
  while ((await node.fed.followers.pending('careful', follower.actorUrl('alice'))) === undefined) {
    await new Promise((r) => setImmediate(r));
  }
  t.equal(await followerCount(node, 'careful'), 0);
  t.equal(follower.deliveries.length, 0);
});
