/**
 * `init` (a new actor with its first admin), `admin add` and `token create`: offline commands on
 * the data directory. Arguments are all checked before anything is written.
 */
import { createActor } from '../../node/actors/actors.ts';
import { ACTOR_NAME } from '../../node/actors/keys.ts';
import { AccountError, AuthStore } from '../../node/auth/accounts.ts';
import { generatePassword } from '../../node/auth/passwords.ts';
import { nativeBackend } from '../../node/crypto/native.ts';
import { AppError } from '../../node/errors.ts';
import { openNode } from '../../node/server.ts';
import { isCurrency } from '../../protocol/money.ts';
import { CliError, config, explainOpenError, type Output, parse, requireDatabase } from './common.ts';

function checkAccount(command: string, username: string, password: string): void {
  try {
    AuthStore.checkNewAccount(username, password);
  } catch (error) {
    if (error instanceof AccountError) throw new CliError(`${command}: ${error.message}`);
    throw error;
  }
}

async function open(dataDir: string, cfg: ReturnType<typeof config>) {
  try {
    return await openNode({ ...cfg, dataDir });
  } catch (error) {
    explainOpenError(error, dataDir);
  }
}

export async function init(args: string[], io: Output): Promise<void> {
  const { values } = parse(
    'init',
    args,
    {
      data: { type: 'string' },
      name: { type: 'string' },
      origin: { type: 'string' },
      host: { type: 'boolean' },
      currency: { type: 'string' },
      admin: { type: 'string' },
      email: { type: 'string' },
      config: { type: 'string' },
    },
    ['data', 'name', 'origin'],
  );
  const name = values.name as string;
  const currency = ((values.currency as string | undefined) ?? 'EUR').toUpperCase();
  const username = (values.admin as string | undefined) ?? 'admin';
  const password = generatePassword();
  if (!ACTOR_NAME.test(name)) {
    throw new CliError('init: --name is 1 to 63 of a-z, 0-9, _ and -, starting with a letter or digit');
  }
  if (!isCurrency(currency)) throw new CliError(`init: --currency ${currency} is not an ISO 4217 code`);
  checkAccount('init', username, password);
  const cfg = config({
    dataDir: values.data as string,
    origin: values.origin as string,
    ...(values.config ? { configFile: values.config as string } : {}),
  });
  const node = await open(cfg.dataDir, cfg);
  try {
    const actor = await createActor({
      store: node.store,
      dataDir: cfg.dataDir,
      backend: nativeBackend,
      origin: cfg.origin,
      name,
      type: values.host ? 'Organization' : 'Group',
      currency,
    }).catch((error: unknown) => {
      if (error instanceof AppError && error.code === 'ACTOR_EXISTS') {
        throw new CliError(`init: an actor named ${name} already exists in ${cfg.dataDir}`, 1);
      }
      throw error;
    });
    const account = await node.auth.createAccount({
      actor: name,
      actorId: actor.record.id,
      username,
      password,
      ...(values.email ? { email: values.email as string } : {}),
    });
    const token = await node.auth.createToken(account, 'init');
    const host = new URL(cfg.origin).host;
    io.out(
      `Created ${values.host ? 'host' : 'collective'} ${name} (${actor.record.id}), handle @${name}@${host}`,
    );
    io.out(`Data: ${cfg.dataDir} (keys in ${cfg.dataDir}/keys, mode 0600)`);
    io.out('First admin (shown once, keep it safe):');
    io.out(`  user name: ${username}`);
    io.out(`  password:  ${password}`);
    io.out(`  API token: ${token}`);
    const port = new URL(cfg.origin).port;
    io.out(
      `Start it with: cagnotte start --data ${cfg.dataDir}${port ? ` --port ${port}` : ''} --origin ${cfg.origin}`,
    );
  } finally {
    await node.close();
  }
}

export async function adminAdd(args: string[], io: Output): Promise<void> {
  const { values } = parse(
    'admin add',
    args,
    {
      data: { type: 'string' },
      actor: { type: 'string' },
      username: { type: 'string' },
      email: { type: 'string' },
      config: { type: 'string' },
    },
    ['data', 'actor', 'username'],
  );
  const password = generatePassword();
  checkAccount('admin add', values.username as string, password);
  const cfg = config({
    dataDir: values.data as string,
    ...(values.config ? { configFile: values.config as string } : {}),
  });
  requireDatabase(cfg.dataDir);
  const node = await open(cfg.dataDir, cfg);
  try {
    const actor = await node.actors.get(values.actor as string);
    if (!actor) throw new CliError(`admin add: no actor named ${values.actor} in ${cfg.dataDir}`, 1);
    await node.auth
      .createAccount({
        actor: actor.info.name,
        actorId: actor.info.id,
        username: values.username as string,
        password,
        ...(values.email ? { email: values.email as string } : {}),
      })
      .catch((error: unknown) => {
        if (error instanceof AccountError) throw new CliError(`admin add: ${error.message}`, 1);
        throw error;
      });
    io.out(`Admin ${values.username} of ${actor.info.name} created.`);
    io.out(`  password: ${password}`);
  } finally {
    await node.close();
  }
}

export async function tokenCreate(args: string[], io: Output): Promise<void> {
  const { values } = parse(
    'token create',
    args,
    {
      data: { type: 'string' },
      actor: { type: 'string' },
      username: { type: 'string' },
      label: { type: 'string' },
      config: { type: 'string' },
    },
    ['data', 'actor', 'username'],
  );
  const cfg = config({
    dataDir: values.data as string,
    ...(values.config ? { configFile: values.config as string } : {}),
  });
  requireDatabase(cfg.dataDir);
  const node = await open(cfg.dataDir, cfg);
  try {
    const account = await node.auth.getAccount(values.actor as string, values.username as string);
    if (!account)
      throw new CliError(`token create: ${values.actor} has no admin named ${values.username}`, 1);
    const token = await node.auth.createToken(account, (values.label as string | undefined) ?? 'cli');
    io.out(token);
  } finally {
    await node.close();
  }
}
