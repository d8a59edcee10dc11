import t from 'tap';
import { nobleBackend } from '../../protocol/crypto.ts';
import { encodeMultikey } from '../../protocol/multikey.ts';
import { readActorKeys } from '../actors/keys.ts';
import { Keyring } from './keys.ts';
import { ledgerKeyOf, startTestNode } from './test-node.ts';

const AP = 'application/activity+json';

t.test('actor document, WebFinger, NodeInfo and fall-through', async (t) => {
  const node = await startTestNode();
  t.teardown(() => node.close());
  const open = await node.addActor('garden-club');
  await node.addActor('host-coop', 'Organization');
  const actorId = `${node.origin}/actors/garden-club`;

  const res = await node.app.inject({ url: '/actors/garden-club', headers: { accept: AP } });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /application\/activity\+json/);
  const actor = res.json();
  t.equal(actor.id, actorId, 'the id is the URL it is served at');
  t.equal(actor.type, 'Group');
  t.equal(actor.preferredUsername, 'garden-club');
  t.equal(actor.inbox, `${actorId}/inbox`);
  t.equal(actor.outbox, `${actorId}/outbox`);
  t.equal(actor.followers, `${actorId}/followers`);
  t.equal(actor.url, actorId);
  t.equal(actor.endpoints.sharedInbox, `${node.origin}/inbox`);
  t.equal(actor.manuallyApprovesFollowers, false);
  t.type(actor.name, 'string');
  t.type(actor.summary, 'string');
  t.equal(actor.publicKey.id, `${actorId}#main-key`);
  t.equal(actor.publicKey.owner, actorId);
  t.match(actor.publicKey.publicKeyPem, /^-----BEGIN PUBLIC KEY-----/);
  const methods = [actor.assertionMethod].flat();
  const ledgerKey = methods.find((m: { id: string }) => m.id === `${actorId}#ledger-key-0`);
  t.ok(ledgerKey, 'the ledger key is in assertionMethod with the id proofs name');
  t.equal(ledgerKey.type, 'Multikey');
  t.equal(ledgerKey.controller, actorId);
  t.equal(ledgerKey.publicKeyMultibase, encodeMultikey(ledgerKeyOf(open)));
  t.equal(methods.length, 1, 'no other key is offered for assertions');

  const host = (await node.app.inject({ url: '/actors/host-coop', headers: { accept: AP } })).json();
  t.equal(host.type, 'Organization');

  // The RSA key was generated once, written to the key file, and is the same after a reload.
  const onDisk = await readActorKeys(node.dataDir, 'garden-club', nobleBackend);
  t.equal(onDisk?.http?.publicKeyPem.trim(), actor.publicKey.publicKeyPem.trim());
  const again = await new Keyring(node.dataDir, nobleBackend).get('garden-club');
  const spki = Buffer.from(
    await crypto.subtle.exportKey('spki', again?.http.publicKey as CryptoKey),
  ).toString('base64');
  t.equal(spki, actor.publicKey.publicKeyPem.replace(/-----[^-]+-----|\s/g, ''));

  const hostPort = new URL(node.origin).host;
  const wf = await node.app.inject({ url: `/.well-known/webfinger?resource=acct:garden-club@${hostPort}` });
  t.equal(wf.statusCode, 200);
  const jrd = wf.json();
  t.equal(jrd.subject, `acct:garden-club@${hostPort}`);
  const self = jrd.links.find((l: { rel: string }) => l.rel === 'self');
  t.equal(self.href, actorId, 'WebFinger round-trips to the actor id');
  t.equal(self.type, AP);
  t.equal(
    (await node.app.inject({ url: `/.well-known/webfinger?resource=acct:nobody@${hostPort}` })).statusCode,
    404,
  );

  const wellKnown = (await node.app.inject({ url: '/.well-known/nodeinfo' })).json();
  const link = wellKnown.links.find(
    (l: { rel: string }) => l.rel === 'http://nodeinfo.diaspora.software/ns/schema/2.1',
  );
  t.equal(link.href, `${node.origin}/nodeinfo/2.1`);
  const nodeInfo = (await node.app.inject({ url: '/nodeinfo/2.1' })).json();
  t.equal(nodeInfo.version, '2.1');
  t.equal(nodeInfo.software.name, 'cagnotte');
  t.same(nodeInfo.protocols, ['activitypub']);
  t.equal(nodeInfo.openRegistrations, false);
  t.equal(nodeInfo.usage.users.total, 2);

  const html = await node.app.inject({ url: '/actors/garden-club', headers: { accept: 'text/html' } });
  t.equal(html.body, 'html page of the actor', 'browsers fall through to the HTML route');
  t.equal((await node.app.inject({ url: '/hello' })).body, 'fastify route');
  t.equal(
    (await node.app.inject({ url: '/actors/nobody', headers: { accept: AP } })).body,
    'html page of the actor',
    'unknown actors fall through',
  );
});

t.test('manuallyApprovesFollowers shows in the actor document', async (t) => {
  const node = await startTestNode({ manuallyApproves: ['careful'] });
  t.teardown(() => node.close());
  await node.addActor('careful');
  const actor = (await node.app.inject({ url: '/actors/careful', headers: { accept: AP } })).json();
  t.equal(actor.manuallyApprovesFollowers, true);
});
