import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signRequest } from '@fedify/fedify';
import t from 'tap';
import { INSTANCE_ACTOR } from './instance.ts';
import { startTestFollower } from './test-follower.ts';
import { startTestNode } from './test-node.ts';

const AP = 'application/activity+json';

t.test(
  'fetches are signed by the instance actor, so servers with authorized fetch answer them',
  async (t) => {
    const node = await startTestNode({ listen: true });
    t.teardown(() => node.close());
    const remote = await startTestFollower({ authorizedFetch: true, sharedInbox: true });
    t.teardown(() => remote.close());
    const open = await node.addActor('garden-club');
    node.startQueue();
    const alice = remote.actorUrl('alice');

    const unsigned = await fetch(alice, { headers: { accept: AP } });
    t.equal(unsigned.status, 401, 'the remote server refuses an unsigned GET of its actor');
    remote.fetches.length = 0;

    const instanceUrl = `${node.origin}/actors/${INSTANCE_ACTOR}`;
    const instance = (await (await fetch(instanceUrl, { headers: { accept: AP } })).json()) as Record<
      string,
      unknown
    >;
    t.match(instance, {
      id: instanceUrl,
      type: 'Application',
      preferredUsername: INSTANCE_ACTOR,
      publicKey: { id: `${instanceUrl}#main-key`, owner: instanceUrl, publicKeyPem: /BEGIN PUBLIC KEY/ },
    });

    // alice follows through our shared inbox: checking her signature means fetching her key.
    const body = JSON.stringify({
      '@context': 'https://www.w3.org/ns/activitystreams',
      id: `${alice}#follows/1`,
      type: 'Follow',
      actor: alice,
      object: open.record.id,
    });
    const signed = await signRequest(
      new Request(`${node.origin}/inbox`, { method: 'POST', headers: { 'content-type': AP }, body }),
      (remote.keys.get('alice') as CryptoKeyPair).privateKey,
      new URL(`${alice}#main-key`),
      { spec: 'draft-cavage-http-signatures-12' },
    );
    const posted = await fetch(signed.url, { method: 'POST', headers: signed.headers, body });
    t.equal(posted.status, 202, "alice's Follow verified: her key was fetched despite authorized fetch");

    const accept = await remote.next((d) => d.body.type === 'Accept');
    t.equal(accept.keyId, `${open.record.id}#main-key`, 'the Accept is signed by the collective');
    t.equal(await node.fed.followers.count('garden-club'), 1);

    const ours = remote.fetches.filter((f) => f.path.startsWith('/users/alice'));
    t.ok(ours.length > 0, 'our node fetched alice');
    t.same(
      ours.map((f) => [f.keyId, f.status]),
      ours.map(() => [`${instanceUrl}#main-key`, 200]),
      'every fetch of alice was signed by the instance actor and answered',
    );
  },
);

t.test("the instance actor's key is kept across restarts", async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'cagnotte-instance-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const read = async () => {
    const node = await startTestNode({ dataDir });
    try {
      const response = await node.app.inject({ url: `/actors/${INSTANCE_ACTOR}`, headers: { accept: AP } });
      return (response.json() as { publicKey: { publicKeyPem: string } }).publicKey.publicKeyPem;
    } finally {
      await node.close();
    }
  };
  const before = await read();
  t.match(before, /BEGIN PUBLIC KEY/);
  t.equal(await read(), before);
  t.equal((await stat(join(dataDir, 'keys', `${INSTANCE_ACTOR}.json`))).mode & 0o777, 0o600);
});
