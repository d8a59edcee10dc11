// The host admin API through the node's real app (inject) on a real LevelDB: auth like the other
// admin routes, schemas on every route, and the money-in path down to the CSV of the accounts.
import t from 'tap';
import { bearer } from '../routes/test-helpers.ts';
import { TERMS } from './fixtures.test-helper.ts';
import { hostAndGarden } from './routes.test-helper.ts';

t.test('host admin routes', async (t) => {
  const { app, garden, host, hostToken, gardenToken } = await hostAndGarden(t);

  const base = '/api/hosts/brussels-together';
  t.match((await app.inject({ url: `${base}/terms` })).json(), {
    feeBasisPoints: 500,
    hostKey: host.core.hostKey(),
  });
  t.equal((await app.inject({ url: `${base}/members` })).statusCode, 401, 'admin only');
  t.equal(
    (await app.inject({ url: `${base}/members`, headers: bearer(gardenToken) })).statusCode,
    403,
    'of this host',
  );
  t.match((await app.inject({ url: '/api/hosts/garden/members', headers: bearer(gardenToken) })).json(), {
    error: { code: 'HOST_NOT_FOUND' },
  });

  // The collective applies (in process; ActivityPub transport is not wired yet) and is accepted over the API.
  const { CollectiveHostSide } = await import('./collective.ts');
  const side = new CollectiveHostSide(garden.ledger);
  const application = await side.application({ host: host.id, terms: TERMS });
  const received = await host.applications.receive(application);
  t.match(
    (await app.inject({ url: `${base}/applications?status=pending`, headers: bearer(hostToken) })).json(),
    {
      items: [{ id: received.id, status: 'pending' }],
    },
  );
  const decision = await app.inject({
    method: 'POST',
    url: `${base}/applications/${received.id}/decision`,
    headers: bearer(hostToken),
    payload: { decision: 'accepted' },
  });
  t.equal(decision.statusCode, 200);
  await side
    .recordMembership(decision.json(), { host: host.id, hostPublicKey: new Uint8Array(0), application })
    .then(
      () => t.fail('an empty key cannot verify'),
      (error) => t.equal(error.code, 'HOST_SIGNATURE_INVALID'),
    );
  t.equal(
    (
      await app.inject({
        method: 'POST',
        url: `${base}/applications/${received.id}/decision`,
        headers: bearer(hostToken),
        payload: { decision: 'maybe' },
      })
    ).json().error.code,
    'VALIDATION_FAILED',
  );

  // Money in over the API: a confirmation and a statement; members show what the host holds.
  const one = await host.funds.pledge({ collective: garden.info.id, name: 'Ann' });
  const two = await host.funds.pledge({ collective: garden.info.id });
  t.match((await app.inject({ url: `${base}/pledges?status=awaiting`, headers: bearer(hostToken) })).json(), {
    items: [{ reference: one.reference }, { reference: two.reference }],
  });
  const confirmed = await app.inject({
    method: 'POST',
    url: `${base}/pledges/confirm`,
    headers: bearer(hostToken),
    payload: { reference: one.reference, amount: '25' },
  });
  t.match(confirmed.json(), { amount: '25.00', fee: '1.25', receipt: { type: 'Receipt', amount: '25.00' } });
  const statement = await app.inject({
    method: 'POST',
    url: `${base}/statements`,
    headers: bearer(hostToken),
    payload: {
      csv: `amount,communication\n10.00,${two.reference}\n3.00,nothing\n`,
      mapping: { amount: 'amount', description: 'communication' },
    },
  });
  t.match(statement.json(), {
    confirmed: [{ reference: two.reference }],
    unmatched: [{ line: 3, reason: 'noReference' }],
  });
  t.match((await app.inject({ url: `${base}/members`, headers: bearer(hostToken) })).json(), {
    items: [{ collective: garden.info.id, received: '35.00', fees: '1.75', held: '33.25' }],
  });
  t.same((await app.inject({ url: `${base}/countersign`, headers: bearer(hostToken) })).json(), {
    items: [],
  });
  t.same((await app.inject({ url: `${base}/payouts`, headers: bearer(hostToken) })).json(), { items: [] });
  t.same((await app.inject({ url: `${base}/evidence` })).json(), { items: [] }, 'evidence is public');

  const csv = await app.inject({ url: `${base}/accounts.csv`, headers: bearer(hostToken) });
  t.equal(csv.headers['content-type'], 'text/csv; charset=utf-8');
  const lines = csv.body.trimEnd().split('\r\n');
  t.equal(lines[0], 'seq,date,direction,collective,amount,currency,reference,expense,leafHash');
  t.equal(lines.length, 3);
  t.match(
    lines[1],
    new RegExp(
      `^\\d+,2\\d{3}-[^,]+,in,${garden.info.id},25\\.00,EUR,"'${one.reference.replaceAll('+', '\\+')}",,[0-9a-f]{64}$`,
    ),
  );
});
