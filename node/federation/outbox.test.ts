import t from 'tap';
import { fromUtf8 } from '../../protocol/encoding.ts';
import type { JsonObject } from '../../protocol/jcs.ts';
import { verifyProof } from '../../protocol/proof.ts';
import { outboxPage, outboxPageJson } from './outbox.ts';
import { ledgerKeyOf, startTestNode } from './test-node.ts';

const AP = 'application/activity+json';

t.test('the outbox is the ledger: paged, newest first, stable pages, entries as signed', async (t) => {
  const node = await startTestNode();
  t.teardown(() => node.close());
  const open = await node.addActor('garden-club');
  const actorId = open.record.id;
  await Promise.all(
    Array.from({ length: 25 }, (_, i) =>
      open.ledger.append({ kind: 'Update', title: `Week ${i}`, body: `Seeds bought: ${i}` }),
    ),
  );
  t.equal(open.ledger.head().size, 26);

  const collection = (
    await node.app.inject({ url: '/actors/garden-club/outbox', headers: { accept: AP } })
  ).json();
  t.same(collection, {
    '@context': 'https://www.w3.org/ns/activitystreams',
    id: `${actorId}/outbox`,
    type: 'OrderedCollection',
    totalItems: 26,
    first: `${actorId}/outbox?cursor=25`,
    last: `${actorId}/outbox?cursor=5`,
  });

  const first = await node.app.inject({
    url: '/actors/garden-club/outbox?cursor=25',
    headers: { accept: AP },
  });
  t.match(first.headers['content-type'], /^application\/activity\+json/);
  const page = first.json();
  t.equal(page.type, 'OrderedCollectionPage');
  t.equal(page.id, `${actorId}/outbox?cursor=25`);
  t.equal(page.partOf, `${actorId}/outbox`);
  t.equal(page.orderedItems.length, 20);
  t.same(
    page.orderedItems.map((a: { object: { seq: number } }) => a.object.seq),
    Array.from({ length: 20 }, (_, i) => 25 - i),
    'newest first',
  );
  t.equal(page.next, `${actorId}/outbox?cursor=5`);
  t.notOk(page.prev, 'the newest page has no prev');

  for (const activity of page.orderedItems) {
    t.equal(activity.type, 'Create');
    t.equal(activity.actor, actorId);
    t.equal(activity.id, `${activity.object.id}/create`);
    t.equal(activity.published, activity.object.published);
    const result = verifyProof(activity.object as JsonObject, {
      publicKey: ledgerKeyOf(open),
      verificationMethod: `${actorId}#ledger-key-0`,
    });
    t.equal(result.ok, true, `entry ${activity.object.seq} verifies as served`);
  }

  const lastUrl = '/actors/garden-club/outbox?cursor=5';
  const last = (await node.app.inject({ url: lastUrl, headers: { accept: AP } })).json();
  t.same(
    last.orderedItems.map((a: { object: { seq: number } }) => a.object.seq),
    [5, 4, 3, 2, 1, 0],
  );
  t.notOk(last.next);
  t.equal(last.prev, `${actorId}/outbox?cursor=25`);

  await open.ledger.append({ kind: 'Update', title: 'Later', body: 'one more' });
  const lastAgain = (await node.app.inject({ url: lastUrl, headers: { accept: AP } })).json();
  t.same(lastAgain.orderedItems, last.orderedItems, 'a page URL keeps showing the same entries');
  t.equal(
    (await node.app.inject({ url: '/actors/garden-club/outbox', headers: { accept: AP } })).json().totalItems,
    27,
  );
  t.equal(
    (await node.app.inject({ url: '/actors/garden-club/outbox?cursor=27', headers: { accept: AP } }))
      .statusCode,
    404,
  );
  t.equal(
    (await node.app.inject({ url: '/actors/garden-club/outbox?cursor=01', headers: { accept: AP } }))
      .statusCode,
    404,
  );
});

t.test('each entry is served at its id, byte for byte as signed', async (t) => {
  const node = await startTestNode();
  t.teardown(() => node.close());
  const open = await node.addActor('garden-club');
  const appended = await open.ledger.append({
    kind: 'Update',
    title: 'Hello',
    body: 'Ünïcödé & <b>escaped</b>',
  });
  const path = new URL(appended.entry.id).pathname;
  t.equal(path, '/actors/garden-club/ledger/1');

  const res = await node.app.inject({
    url: path,
    headers: { accept: 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"' },
  });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^application\/activity\+json/);
  t.same(new Uint8Array(res.rawPayload), appended.leaf, 'the stored JCS bytes');
  const served = JSON.parse(fromUtf8(new Uint8Array(res.rawPayload)));
  t.equal(served.id, appended.entry.id, 'the id is the URL it is served at');
  t.equal(verifyProof(served, { publicKey: ledgerKeyOf(open) }).ok, true);
  const altered = { ...served, content: `${served.content} ` };
  t.equal(verifyProof(altered, { publicKey: ledgerKeyOf(open) }).ok, false, 'and a changed byte would not');

  const create = (await node.app.inject({ url: `${path}/create`, headers: { accept: AP } })).json();
  t.equal(create.id, `${appended.entry.id}/create`);
  t.same(create.object, served);

  const html = await node.app.inject({ url: path, headers: { accept: 'text/html' } });
  t.not(html.headers['content-type'], AP, 'browsers are not given the JSON');
  t.equal(
    (await node.app.inject({ url: '/actors/garden-club/ledger/9', headers: { accept: AP } })).statusCode,
    404,
  );
});

t.test('served outbox pages are the same bytes as the page documents, cached or not', async (t) => {
  const node = await startTestNode();
  t.teardown(() => node.close());
  const open = await node.addActor('garden-club');
  const append = (n: number) =>
    Promise.all(
      Array.from({ length: n }, (_, i) =>
        open.ledger.append({ kind: 'Update', title: `Week ${i}`, body: 'x' }),
      ),
    );
  const actor = await node.fed.deps.actors.get('garden-club');
  if (actor === undefined) throw new Error('no actor');
  const check = async (label: string) => {
    const size = open.ledger.head().size;
    let same = 0;
    for (let cursor = 0; cursor < size; cursor++) {
      const expected = JSON.stringify(await outboxPage(actor, cursor));
      if ((await outboxPageJson(actor, cursor)) === expected) same++;
    }
    t.equal(same, size, `${label}: every cursor of ${size}`);
    t.equal(await outboxPageJson(actor, size), undefined, `${label}: no page past the head`);
  };
  await append(24);
  await check('first read');
  await check('from the cache');
  // Cached entries stay; totalItems and the prev links move with the head.
  await append(17);
  await check('after the ledger grew');
});
