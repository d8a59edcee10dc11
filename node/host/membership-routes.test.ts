// The two routes that end a membership, through the node's real app (inject) on a real LevelDB:
// admin only, refusals with registered codes, and the signed entry each answers (delivery over
// ActivityPub is transport-membership.test.ts's). Host and collective share the node here.
import t from 'tap';
import { decodeMultikey, encodeMultikey } from '../../protocol/multikey.ts';
import { bearer } from '../routes/test-helpers.ts';
import { CollectiveHostSide } from './collective.ts';
import { TERMS } from './fixtures.test-helper.ts';
import { hostAndGarden } from './routes.test-helper.ts';

t.test('leaving a host and letting a member go, over the API', async (t) => {
  const { app, garden, host, hostToken, gardenToken } = await hostAndGarden(t);
  const letGo = `/api/hosts/brussels-together/members/${encodeURIComponent(garden.info.id)}/leave`;
  const leave = '/api/actors/garden/host/leave';
  const post = (url: string, auth: string | undefined, payload?: object) =>
    app.inject({
      method: 'POST',
      url,
      ...(auth === undefined ? {} : { headers: bearer(auth) }),
      ...(payload === undefined ? {} : { payload }),
    });

  t.equal((await post(letGo, undefined)).statusCode, 401, 'letting go is for admins');
  t.equal((await post(leave, undefined)).statusCode, 401, 'leaving is for admins');
  t.equal((await post(letGo, gardenToken)).statusCode, 403, "of the host, not the collective's");
  t.equal((await post(leave, hostToken)).statusCode, 403, "of the collective, not the host's");
  const notMember = await post(letGo, hostToken);
  t.equal(notMember.statusCode, 409);
  t.equal(notMember.json().error.code, 'HOST_NOT_MEMBER', 'not a member: nothing to let go');
  t.equal((await post(leave, gardenToken)).json().error.code, 'HOST_NOT_MEMBER', 'no host: nothing to leave');
  t.equal(
    (await post('/api/hosts/brussels-together/members/not-a-url/leave', hostToken)).json().error.code,
    'VALIDATION_FAILED',
  );
  t.equal((await post(letGo, hostToken, { reason: '', other: 1 })).json().error.code, 'VALIDATION_FAILED');

  // Garden joins (in process: the node does not listen here).
  const side = new CollectiveHostSide(garden.ledger);
  const application = await side.application({ host: host.id, terms: TERMS });
  const received = await host.applications.receive(application);
  const membership = await host.applications.decide(received.id, 'accepted', 'hanna');
  const hostKey = decodeMultikey(membership.hostKey);
  if (!hostKey.ok) throw new Error('no host key');
  await side.recordMembership(membership, { host: host.id, hostPublicKey: hostKey.publicKey, application });
  t.equal(encodeMultikey(hostKey.publicKey), garden.ledger.chainHead()?.host?.key);

  // The host lets it go, with a reason: the answer is its signed MemberLeft, which garden verifies.
  const gone = await post(letGo, hostToken, { reason: 'Moved to Ghent.' });
  t.equal(gone.statusCode, 200);
  const notice = gone.json();
  t.match(notice, {
    member: { collective: garden.info.id, status: 'left' },
    entry: {
      kind: 'MemberLeft',
      collective: garden.info.id,
      reason: 'Moved to Ghent.',
      attributedTo: host.id,
    },
  });
  await t.rejects(
    side.recordLetGo({ ...notice.entry, reason: 'Forged.' }),
    { code: 'HOST_SIGNATURE_INVALID' },
    'a changed notice does not verify',
  );
  await t.rejects(
    side.recordLetGo(notice.entry, '2999-01-01T00:00:00Z'),
    { code: 'HOST_SIGNATURE_INVALID', details: { problem: { type: 'earlierMembership' } } },
    'a notice older than the membership ended an earlier one',
  );
  await side.recordLetGo(notice.entry);
  t.equal(garden.ledger.chainHead()?.host, undefined, 'HostLeft recorded');
  const again = await post(letGo, hostToken);
  t.equal(again.json().leafHash, notice.leafHash, 'letting go again answers the same MemberLeft');

  // Garden's leave route: its HostLeft, sent again (it has no host to leave now).
  const left = await post(leave, gardenToken);
  t.equal(left.statusCode, 200);
  t.match(left.json(), {
    host: host.id,
    entry: { kind: 'HostLeft', host: host.id, attributedTo: garden.info.id },
  });
  t.match(
    (await app.inject({ url: '/api/hosts/brussels-together/members', headers: bearer(hostToken) })).json(),
    { items: [{ collective: garden.info.id, status: 'left' }] },
  );
});
