import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { Writable } from 'node:stream';
import t from 'tap';
import { nativeBackend } from '../../node/crypto/native.ts';
import { verifyChain } from '../../protocol/chain.ts';
import { main } from '../cli.ts';

/**
 * The CLI in this process (a spawned Node costs about a second each, and this file runs a dozen):
 * paths are taken relative to `cwd`, as a shell would, and raw bytes of an export without
 * `--out` are collected as standard output.
 */
async function run(args: string[], cwd: string) {
  const lines: string[] = [];
  const errors: string[] = [];
  const chunks: Buffer[] = [];
  const stdout = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  const local = (arg: string) => (isAbsolute(arg) ? arg : join(cwd, arg));
  const absolute = args.map((arg, i) => {
    const option = args[i - 1];
    if (option === '--data' || option === '--out') return local(arg);
    if (args[0] === 'import' && i === args.length - 1) return local(arg);
    return arg;
  });
  const code = await main(absolute, {
    out: (line) => lines.push(line),
    err: (line) => errors.push(line),
    stdout,
  });
  const raw = Buffer.concat(chunks);
  const out = raw.length > 0 ? raw.toString('utf8') : lines.map((line) => `${line}\n`).join('');
  return { code, stdout: raw, out, err: errors.map((line) => `${line}\n`).join('') };
}

/** A data directory `node` in a temp dir with collective `garden` and 40 seeded entries. */
async function seededNode(t: { teardown(fn: () => void): void }): Promise<string> {
  const cwd = mkdtempSync(join(tmpdir(), 'cagnotte-transfer-'));
  t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
  const init = await run(
    ['init', '--data', 'node', '--name', 'garden', '--origin', 'http://localhost:8080'],
    cwd,
  );
  if (init.code !== 0) throw new Error(init.err);
  const seed = await run(['seed', '--data', 'node', '--actor', 'garden', '--entries', '40'], cwd);
  if (seed.code !== 0) throw new Error(seed.err);
  return cwd;
}

t.test('export → import into a fresh data dir → export is byte-identical', async (t) => {
  const cwd = await seededNode(t);
  const exported = await run(['export', '--data', 'node', '--actor', 'garden', '--out', 'garden.jsonl'], cwd);
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

  const toStdout = await run(['export', '--data', 'node', '--actor', 'garden'], cwd);
  t.equal(toStdout.code, 0, toStdout.err);
  t.ok(toStdout.stdout.equals(file), 'without --out the same bytes go to standard output');

  const imported = await run(['import', '--data', 'copy', 'garden.jsonl'], cwd);
  t.equal(imported.code, 0, imported.err);
  t.match(imported.out, /Imported garden \(http:\/\/localhost:8080\/actors\/garden\): 41 entries, verified/);
  t.match(imported.out, /served read-only/, 'the keys stayed with the original node');
  t.notOk(existsSync(join(cwd, 'copy', 'keys', 'garden.json')), 'no key travels in an export');

  const again = await run(['export', '--data', 'copy', '--actor', 'garden', '--out', 'again.jsonl'], cwd);
  t.equal(again.code, 0, again.err);
  t.ok(readFileSync(join(cwd, 'again.jsonl')).equals(file), 'the re-export is byte-identical');

  const twice = await run(['import', '--data', 'copy', 'garden.jsonl'], cwd);
  t.equal(twice.code, 1);
  t.match(twice.err, /already has an actor of that name/);
  const missing = await run(['import', '--data', 'copy', 'nothing.jsonl'], cwd);
  t.equal(missing.code, 1);
  t.match(missing.err, /cannot read .*nothing\.jsonl/);
  const unknown = await run(['export', '--data', 'node', '--actor', 'orchard'], cwd);
  t.equal(unknown.code, 1);
  t.match(unknown.err, /no actor named orchard/);
});

t.test(
  'a tampered export is refused with a clear message, a non-zero exit and nothing written',
  async (t) => {
    const cwd = await seededNode(t);
    t.equal(
      (await run(['export', '--data', 'node', '--actor', 'garden', '--out', 'garden.jsonl'], cwd)).code,
      0,
    );
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
      const fresh = await run(['import', '--data', 'fresh', 'bad.jsonl'], cwd);
      t.equal(fresh.code, 1, what);
      t.match(fresh.err, /^cagnotte: import: The export does not verify: /, `${what}: says so`);
      t.match(fresh.err, reason, `${what}: names the problem`);
      t.match(fresh.err, /nothing was imported/, what);
      t.notMatch(fresh.err, /\n\s+at /, 'no stack trace');
      t.notOk(existsSync(join(cwd, 'fresh')), `${what}: no data directory was created`);

      // Into an existing node: verified before anything is written, so it still has only its own actor.
      const existing = await run(['import', '--data', 'node', 'bad.jsonl'], cwd);
      t.equal(existing.code, 1, what);
      t.match(existing.err, /does not verify/);
    }
    const after = await run(['export', '--data', 'node', '--actor', 'garden'], cwd);
    t.equal(after.stdout.toString('utf8'), text, 'the existing ledger is untouched');
  },
);
