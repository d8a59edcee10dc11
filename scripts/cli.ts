/**
 * The `cagnotte` command line: the same node code as the server (no second implementation).
 * Each command checks its arguments before touching anything; a usage error exits 2, a failure 1.
 */
import { CliError, type Output } from './cli/common.ts';

export const USAGE = `Usage: cagnotte <command> [options]

  init --data DIR --name NAME --origin URL [--host] [--currency EUR] [--admin USER] [--email ADDR]
      Create the data directory, an actor (collective, or host with --host), its keys (mode 0600),
      its genesis entry and its first admin; prints the admin's password and an API token.
  start [--data DIR] [--port PORT] [--host ADDR] [--origin URL]
      Run the node (defaults: ./data, port 8080, origin http://localhost:PORT).
  export --data DIR --actor NAME [--out FILE]
  import --data DIR FILE
  seed (--data DIR | --url URL --token TOKEN) --actor NAME --entries N [--seed S]
      Append N realistic entries through the API; prints how many were acknowledged.
  admin add --data DIR --actor NAME --username USER [--email ADDR]
  token create --data DIR --actor NAME --username USER [--label TEXT]
  verify SOURCE [--json] [--entry N] [--since FILE] [--state FILE] [--save-checkpoint FILE]
      Audit a ledger (an export file, an actor URL or @name@domain); exit 0 verified, 1 failed, 2 unreadable.

Every command also takes --config FILE (JSON); CAGNOTTE_* environment variables apply too.`;

type Command = (args: string[], io: Output) => Promise<void>;

/**
 * Commands are loaded when run: the node's code (Fastify, Fedify, LevelDB) takes a second to
 * load, which `--help` and a usage error need not wait for.
 */
const lazy =
  <M>(load: () => Promise<M>, pick: (module: M) => Command): Command =>
  async (args, io) =>
    pick(await load())(args, io);
const admin = () => import('./cli/admin.ts');
const transfer = () => import('./cli/transfer.ts');

const COMMANDS: Record<string, Command> = {
  init: lazy(admin, (m) => m.init),
  start: lazy(
    () => import('./cli/start.ts'),
    (m) => m.start,
  ),
  seed: lazy(
    () => import('./cli/seed.ts'),
    (m) => m.seed,
  ),
  export: lazy(transfer, (m) => m.exportCommand),
  import: lazy(transfer, (m) => m.importCommand),
  verify: lazy(
    () => import('./verify/command.ts'),
    (m) => m.verifyCommand,
  ),
};
const SUBCOMMANDS: Record<string, Record<string, Command>> = {
  admin: { add: lazy(admin, (m) => m.adminAdd) },
  token: { create: lazy(admin, (m) => m.tokenCreate) },
};

/** Runs the CLI; resolves with the exit code (a long-running `start` resolves once listening). */
export async function main(argv: string[], io: Output): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      io.out(USAGE);
      return name === undefined ? 2 : 0;
    }
    // `verify` has a usage of its own; every other command is described in the general one.
    if (name !== 'verify' && (rest.includes('--help') || rest.includes('-h'))) {
      io.out(USAGE);
      return 0;
    }
    const group = SUBCOMMANDS[name];
    if (group) {
      const [sub, ...args] = rest;
      const command = sub === undefined ? undefined : group[sub];
      if (!command) throw new CliError(`${name}: expected one of ${Object.keys(group).join(', ')}`);
      await command(args, io);
      return 0;
    }
    const command = COMMANDS[name];
    if (!command) throw new CliError(`unknown command ${JSON.stringify(name)}`);
    await command(rest, io);
    return 0;
  } catch (error) {
    if (error instanceof CliError) {
      io.err(`cagnotte: ${error.message}`);
      if (error.usageHint) io.err('Run `cagnotte --help` for usage.');
      return error.exitCode;
    }
    const code = (error as { code?: string }).code;
    io.err(`cagnotte: ${code ? `${code}: ` : ''}${(error as Error).message ?? String(error)}`);
    return 1;
  }
}

if (import.meta.main) {
  const io: Output = {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  };
  const code = await main(process.argv.slice(2), io);
  // `start` keeps running; every other command ends here.
  if (code !== 0 || process.argv[2] !== 'start') process.exitCode = code;
}
