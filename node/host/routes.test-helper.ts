// The host routes' tests start alike: the node's real app (inject) on a real LevelDB, with a host
// whose terms are set, a collective beside it, and an admin token for each.
import { type Teardown, testNode } from '../routes/test-helpers.ts';
import { TERMS } from './fixtures.test-helper.ts';

/** The host brussels-together and the collective garden on one node, with their admins' tokens. */
export async function hostAndGarden(t: Teardown) {
  const { app, node } = await testNode(t);
  const handle = await node.actors.create({ name: 'brussels-together', host: true, currency: 'EUR' });
  const garden = await node.actors.create({ name: 'garden', host: false, currency: 'EUR' });
  const token = async (actor: { info: { name: string; id: string } }, username: string) =>
    node.auth.createToken(
      await node.auth.createAccount({
        actor: actor.info.name,
        actorId: actor.info.id,
        username,
        password: `${username} has a long password`,
      }),
      'test',
    );
  const hostToken = await token(handle, 'hanna');
  const gardenToken = await token(garden, 'gita');
  // The node's own host flows (registered by the app): terms set, the host reads garden in process.
  await node.hostFlows.hosts.setTerms('brussels-together', TERMS);
  const host = await node.hostFlows.hosts.get('brussels-together');
  if (host === undefined) throw new Error('no host service');
  return { app, node, garden, host, hostToken, gardenToken };
}
