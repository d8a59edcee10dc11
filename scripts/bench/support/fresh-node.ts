/**
 * A node's data directory for the benchmarks that run `cagnotte start` as a child process: one
 * collective (`bench`), an admin and an API token for it.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A data directory under the system's temp directory named `prefix…`, and the admin's API token. */
export async function freshNode(prefix: string): Promise<{ dir: string; token: string }> {
  // Imported here: node/server.ts pulls in the whole node, which only setup needs.
  const { loadConfig } = await import('../../../node/config.ts');
  const { openNode } = await import('../../../node/server.ts');
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const config = loadConfig({ env: {}, overrides: { dataDir: dir, logLevel: 'silent' } });
  const node = await openNode(config);
  try {
    const actor = await node.actors.create({ name: 'bench', host: false, currency: 'EUR' });
    const account = await node.auth.createAccount({
      actor: 'bench',
      actorId: actor.info.id,
      username: 'bench-admin',
      password: 'a long enough bench password',
    });
    return { dir, token: await node.auth.createToken(account, 'bench') };
  } finally {
    await node.close();
  }
}
