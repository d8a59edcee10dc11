import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { nativeBackend } from '../../node/crypto/native.ts';
import { verifyChain } from '../../protocol/chain.ts';

const CLI = fileURLToPath(new URL('../cli.ts', import.meta.url));

function run(args: string[], cwd: string) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    env: { PATH: process.env.PATH },
    maxBuffer: 64 * 1024 * 1024,
  });
  return {
    code: result.status,
    stdout: result.stdout,
    out: result.stdout.toString('utf8'),
    err: result.stderr.toString('utf8'),
  };
}

/** A data directory `node` in a temp dir with collective `garden` and 40 seeded entries. */
function seededNode(t: { teardown(fn: () => void): void }): string {
  const cwd = mkdtempSync(join(tmpdir(), 'cagnotte-transfer-'));
  t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
  const init = run(['init', '--data', 'node', '--name', 'garden', '--origin', 'http://localhost:8080'], cwd);
  if (init.code !== 0) throw new Error(init.err);
  const seed = run(['seed', '--data', 'node', '--actor', 'garden', '--entries', '40'], cwd);
  if (seed.code !== 0) throw new Error(seed.err);
  return cwd;
}

t.test('export → import into a fresh data dir → export is byte-identical', async (t) => {
  const cwd = seededNode(t);
  const exported = run(['export', '--data', 'node', '--actor', 'garden', '--out', 'garden.jsonl'], cwd);
  t.equal(exported.code, 0, exported.err);
  t.match(exported.out, /^Exported garden: 41 entries and the checkpoint to .*garden\.jsonl\n$/);
  const file = readFileSync(join(cwd, 'garden.jsonl'));
  t.same(
    readdirSync(cwd).filter((f) => f.includes('partial')),
    [],
    'no temporary file is left behind',
  );
  const lines = file.toString('utf8').split('\n');
  t.equal(lines.length, 1 + 41 + 1 + 1, 'document, 41 entries, checkpoint, final newline');
  t.equal(JSON.parse(lines.at(-2) as string).type, 'Checkpoint');
  t.ok(
    verifyChain(
      lines.slice(1, -2).map((l) => JSON.parse(l)),
      { backend: nativeBackend },
    ).ok,
    'the exported entries verify as a chain',
  );

  const toStdout = run(['export', '--data', 'node', '--actor', 'garden'], cwd);
  t.equal(toStdout.code, 0, toStdout.err);
  t.ok(toStdout.stdout.equals(file), 'without --out the same bytes go to standard output');

  const imported = run(['import', '--data', 'copy', 'garden.jsonl'], cwd);
  t.equal(imported.code, 0, imported.err);
  t.match(imported.out, /Imported garden \(http:\/\/localhost:8080\/actors\/garden\): 41 entries, verified/);
  t.match(imported.out, /served read-only/, 'the keys stayed with the original node');
  t.notOk(existsSync(join(cwd, 'copy', 'keys', 'garden.json')), 'no key travels in an export');

  const again = run(['export', '--data', 'copy', '--actor', 'garden', '--out', 'again.jsonl'], cwd);
  t.equal(again.code, 0, again.err);
  t.ok(readFileSync(join(cwd, 'again.jsonl')).equals(file), 'the re-export is byte-identical');

  const twice = run(['import', '--data', 'copy', 'garden.jsonl'], cwd);
  t.equal(twice.code, 1);
  t.match(twice.err, /already has an actor of that name/);
  const missing = run(['import', '--data', 'copy', 'nothing.jsonl'], cwd);
  t.equal(missing.code, 1);
  t.match(missing.err, /cannot read .*nothing\.jsonl/);
  const unknown = run(['export', '--data', 'node', '--actor', 'orchard'], cwd);
  t.equal(unknown.code, 1);
  t.match(unknown.err, /no actor named orchard/);
});

t.test(
  'a tampered export is refused with a clear message, a non-zero exit and nothing written',
  async (t) => {
    const cwd = seededNode(t);
    t.equal(run(['export', '--data', 'node', '--actor', 'garden', '--out', 'garden.jsonl'], cwd).code, 0);
    const text = readFileSync(join(cwd, 'garden.jsonl'), 'utf8');
    const lines = text.split('\n');
    const entry = JSON.parse(lines[5] as string) as { content: string };
    const changed = { ...entry, content: `${entry.content} ` };
    const tampered: [string, string, RegExp][] = [
      [
        'an entry changed',
        [...lines.slice(0, 5), JSON.stringify(changed), ...lines.slice(6)].join('\n'),
        /entry 4 fails/,
      ],
      ['an entry dropped', [...lines.slice(0, 10), ...lines.slice(11)].join('\n'), /entry 9 fails/],
      ['truncated', text.slice(0, text.length - 30), /does not end with a newline/],
    ];
    for (const [what, variant, reason] of tampered) {
      writeFileSync(join(cwd, 'bad.jsonl'), variant);
      const fresh = run(['import', '--data', 'fresh', 'bad.jsonl'], cwd);
      t.equal(fresh.code, 1, what);
      t.match(fresh.err, /^cagnotte: import: The export does not verify: /, `${what}: says so`);
      t.match(fresh.err, reason, `${what}: names the problem`);
      t.match(fresh.err, /nothing was imported/, what);
      t.notMatch(fresh.err, /\n\s+at /, 'no stack trace');
      t.notOk(existsSync(join(cwd, 'fresh')), `${what}: no data directory was created`);

      // Into an existing node: verified before anything is written, so it still has only its own actor.
      const existing = run(['import', '--data', 'node', 'bad.jsonl'], cwd);
      t.equal(existing.code, 1, what);
      t.match(existing.err, /does not verify/);
    }
    const after = run(['export', '--data', 'node', '--actor', 'garden'], cwd);
    t.equal(after.stdout.toString('utf8'), text, 'the existing ledger is untouched');
  },
);
