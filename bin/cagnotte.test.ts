// The published entry point, run as npm's bin link runs it: it must execute the CLI (an import
// of scripts/cli.ts alone runs nothing, since that module acts only as the main module), pass the
// exit code on, and start with the compile cache it turns on.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const BIN = fileURLToPath(new URL('./cagnotte.js', import.meta.url));

function run(args: string[], env: NodeJS.ProcessEnv) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

t.test('bin/cagnotte.js runs the CLI and exits with its code', async (t) => {
  const cache = await mkdtemp(join(tmpdir(), 'cagnotte-bin-cache-'));
  t.teardown(() => rm(cache, { recursive: true, force: true }));
  const env = { ...process.env, NODE_COMPILE_CACHE: cache };
  const help = run(['--help'], env);
  t.equal(help.code, 0, 'help exits 0');
  t.match(help.out, /^Usage: cagnotte <command>/, 'prints the usage');
  const unknown = run(['frobnicate'], env);
  t.equal(unknown.code, 2, 'a usage error exits 2');
  t.match(unknown.err, /frobnicate/);
  const missing = run(['verify', join(cache, 'missing.jsonl'), '--no-state'], env);
  t.equal(missing.code, 2, 'an unreadable ledger exits 2');
  t.ok((await readdir(cache)).length > 0, 'the compile cache was written');
});
