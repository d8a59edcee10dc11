import { Follow, isActor } from '@fedify/vocab';
import t from 'tap';
import type { JsonObject } from '../../protocol/jcs.ts';
import { verifyProof } from '../../protocol/proof.ts';
import { formatWhen } from './event.ts';
import { startTestFollower } from './test-follower.ts';
import { ledgerKeyOf, startTestNode } from './test-node.ts';

const AP = 'application/activity+json';

t.test('date and time are written in the event’s own time zone', async (t) => {
  t.equal(
    formatWhen('2026-12-05T13:00:00Z', '2026-12-05T17:00:00Z', 'Europe/Brussels'),
    'Sat 5 Dec 2026, 14:00 – 18:00 (Europe/Brussels)',
  );
  t.equal(
    formatWhen('2026-12-05T13:00:00Z', '2026-12-06T17:00:00Z', 'America/New_York'),
    'Sat 5 Dec 2026, 08:00 – Sun 6 Dec 2026, 12:00 (America/New_York)',
    'an event over two days names both',
  );
  t.equal(
    formatWhen('2026-12-05T13:00:00Z', '2026-12-05T17:00:00Z', 'Not/A_Zone'),
    '2026-12-05T13:00:00Z – 2026-12-05T17:00:00Z (UTC)',
    'an unknown zone falls back to the UTC times',
  );
});

t.test('an Event entry goes out as its signed Create{Note} and as a Create{Event}', async (t) => {
  const node = await startTestNode({ listen: true });
  t.teardown(() => node.close());
  const follower = await startTestFollower();
  t.teardown(() => follower.close());
  const open = await node.addActor('garden-club');
  node.startQueue();
  await node.fed.publisher.sync('garden-club');
  const actorId = open.record.id;

  const ctx = follower.federation.createContext(new URL(follower.origin), undefined);
  const group = await ctx.lookupObject(actorId);
  if (!isActor(group)) throw new Error('not an actor');
  await ctx.sendActivity(
    { identifier: 'alice' },
    group,
    new Follow({
      id: new URL(`${follower.actorUrl('alice')}#follows/1`),
      actor: new URL(follower.actorUrl('alice')),
      object: group.id,
    }),
  );
  await follower.next((d) => d.body.type === 'Accept');

  const appended = await open.ledger.append({
    kind: 'Event',
    name: 'Seed swap',
    startTime: '2026-12-05T13:00:00Z',
    endTime: '2026-12-05T17:00:00Z',
    timeZone: 'Europe/Brussels',
    place: 'Community hall, Rue Haute 1',
    description: 'Bring seeds <and> cuttings',
  });
  const entry = appended.entry as unknown as JsonObject & { id: string; seq: number };
  t.equal(await node.fed.publisher.sync('garden-club'), 1, 'one ledger entry published');

  const isCreateOf = (type: string) => (d: { body: Record<string, unknown> }) =>
    d.body.type === 'Create' && (d.body.object as { type?: string }).type === type;
  const noteDelivery = await follower.next(isCreateOf('Note'));
  const eventDelivery = await follower.next(isCreateOf('Event'));

  const note = noteDelivery.body.object as JsonObject;
  t.same(note, entry, 'the Note is the entry as signed');
  t.equal(
    verifyProof(note, { publicKey: ledgerKeyOf(open), verificationMethod: `${actorId}#ledger-key-0` }).ok,
    true,
    'and its proof still verifies',
  );

  t.equal(eventDelivery.keyId, `${actorId}#main-key`, 'the Create{Event} is HTTP-signed by the collective');
  t.match(eventDelivery.body, {
    id: `${entry.id}/event/create`,
    type: 'Create',
    actor: actorId,
    published: entry.published,
  });
  const event = eventDelivery.body.object as Record<string, unknown>;
  t.same(event, {
    '@context': 'https://www.w3.org/ns/activitystreams',
    id: `${entry.id}/event`,
    type: 'Event',
    attributedTo: actorId,
    name: 'Seed swap',
    startTime: '2026-12-05T13:00:00Z',
    endTime: '2026-12-05T17:00:00Z',
    timezone: 'Europe/Brussels',
    summary: 'Sat 5 Dec 2026, 14:00 – 18:00 (Europe/Brussels) · Community hall, Rue Haute 1',
    content: '<p>Bring seeds &lt;and&gt; cuttings</p>',
    location: { type: 'Place', name: 'Community hall, Rue Haute 1' },
    url: `${actorId}?cursor=${entry.seq}`,
    context: entry.id,
    published: entry.published,
    to: entry.to,
    cc: [`${actorId}/followers`],
  });
  t.notOk('proof' in event, 'the Event is not a ledger entry and carries no proof');

  const served = await fetch(String(event.id), { headers: { accept: AP } });
  t.match(served.headers.get('content-type'), /^application\/activity\+json/);
  t.same(await served.json(), event, 'the Event is served at its id');
  const servedCreate = await fetch(`${entry.id}/event/create`, { headers: { accept: AP } });
  t.same(await servedCreate.json(), eventDelivery.body, 'and so is its Create');
  const page = await fetch(String(event.url));
  t.equal(page.status, 200, 'url is the HTML page');
  t.notOk(page.headers.get('content-type')?.includes('activity+json'));
  const genesisEvent = await fetch(`${actorId}/ledger/0/event`, { headers: { accept: AP } });
  t.equal(genesisEvent.status, 404, 'entries of other kinds have no Event');

  await open.ledger.append({ kind: 'Update', title: 'Thanks', body: 'for coming' });
  t.equal(await node.fed.publisher.sync('garden-club'), 1);
  await follower.next((d) => isCreateOf('Note')(d) && (d.body.object as { kind?: string }).kind === 'Update');
  t.equal(follower.deliveries.filter(isCreateOf('Event')).length, 1, 'an Update sends no Event');
});
