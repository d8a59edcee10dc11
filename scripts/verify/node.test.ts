// The auditor against a real node over loopback HTTP (the full app with federation, LevelDB in a
// temp dir), and the CLI's exit codes and JSON report, spawned as a user runs it.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { loadConfig } from '../../node/config.ts';
import { exportLedger } from '../../node/export/bulk.ts';
import { approve, contribution, expense, pay, update } from '../../node/ledger/fixtures.test-helper.ts';
import { TEST_SCRYPT } from '../../node/routes/test-helpers.ts';
import { appFor, openNode } from '../../node/server.ts';
import { freePort } from '../../test-support/free-port.ts';
import { runVerify, type VerifyArgs } from '../verify.ts';

const CLI = fileURLToPath(new URL('../cli.ts', import.meta.url));

function cli(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE, ...env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

const dir = await mkdtemp(join(tmpdir(), 'cagnotte-verify-node-'));
const port = await freePort();
const origin = `http://127.0.0.1:${port}`;
const config = loadConfig({
  env: {},
  overrides: {
    dataDir: join(dir, 'data'),
    port,
    host: '127.0.0.1',
    origin,
    logLevel: 'silent',
    allowPrivateAddress: true,
  },
});
const node = await openNode(config, { auth: { scrypt: TEST_SCRYPT } });
const app = await appFor(node, false);
await app.listen({ port, host: '127.0.0.1' });
t.teardown(async () => {
  await app.close();
  await node.close();
  await rm(dir, { recursive: true, force: true });
});

const handle = await node.actors.create({ name: 'garden', host: false, currency: 'EUR' });
const { ledger } = handle;
await ledger.append(contribution('80.00'));
const filed = await ledger.append(expense('30.00', 'account:bob', 'Seeds'));
await ledger.append(approve(filed.leafHash, 'account:alice'));
await ledger.append(pay(filed.leafHash, '30.00'));
for (let i = 0; i < 41; i++) await ledger.append(update(i));
const actorUrl = `${origin}/actors/garden`;
const base: VerifyArgs = { source: actorUrl, json: true, allowPrivateAddress: true, workers: 1 };

async function exportFile(): Promise<string> {
  const parts: Buffer[] = [];
  for await (const line of exportLedger(ledger)) parts.push(Buffer.from(line));
  const file = join(dir, `export-${ledger.head().size}.jsonl`);
  await writeFile(file, Buffer.concat(parts));
  return file;
}

t.test('a node over HTTP: actor, outbox pages oldest first, checkpoint', async (t) => {
  const report = await runVerify(base);
  t.equal(report.exitCode, 0, JSON.stringify(report.failure ?? report.error));
  t.equal(report.actor, actorUrl);
  t.equal(report.summary?.entries, 46, 'genesis + 45 entries, over three outbox pages');
  t.equal(report.summary?.balance, '50.00');
  const fromFile = await runVerify({ ...base, source: await exportFile() });
  t.same(report.summary, fromFile.summary, 'the same verdict as on the export');
  t.same(report.checkpoint, fromFile.checkpoint);

  const byHandle = await runVerify({ ...base, source: `@garden@127.0.0.1:${port}` });
  t.equal(byHandle.exitCode, 0, 'a handle resolves through WebFinger');
  t.same(byHandle.summary, report.summary);
});

t.test('--entry over HTTP: the stored bytes and the node’s inclusion proof', async (t) => {
  for (const seq of [0, 3, 45]) {
    const report = await runVerify({ ...base, entry: seq });
    t.equal(report.exitCode, 0, `entry ${seq}`);
    t.equal(report.entry?.seq, seq);
  }
  const out = await runVerify({ ...base, entry: 46 });
  t.match(out.failure, { type: 'entryOutOfRange', seq: 46 });
});

t.test('--since over HTTP checks the node’s consistency proof', async (t) => {
  const first = await runVerify(base);
  const saved = join(dir, 'saved.note');
  await writeFile(saved, first.checkpoint?.note ?? '');
  for (let i = 0; i < 7; i++) await ledger.append(update(100 + i));
  const incremental = await runVerify({ ...base, since: saved });
  const full = await runVerify(base);
  t.equal(incremental.exitCode, 0, JSON.stringify(incremental.failure ?? incremental.error));
  t.match(incremental.since, { size: 46, consistency: 'proof' });
  t.same(incremental.summary, full.summary);
});

t.test('--since with a saved audit state fetches only the new entries, from API pages', async (t) => {
  const saved = join(dir, 'resume.note');
  const first = await runVerify({ ...base, saveCheckpoint: saved });
  const before = first.summary?.entries as number;
  // More than one API page (500) of new entries.
  for (let i = 0; i < 520; i++) await ledger.append(update(1000 + i));
  const incremental = await runVerify({ ...base, since: saved });
  const full = await runVerify(base);
  t.equal(incremental.exitCode, 0, JSON.stringify(incremental.failure ?? incremental.error));
  t.equal(incremental.resumedAt, before, 'the saved entries were not fetched');
  t.match(incremental.since, { size: before, consistency: 'proof' });
  t.same(incremental.summary, full.summary);
  t.same(incremental.checkpoint, full.checkpoint);
});

t.test('private addresses are refused unless allowed', async (t) => {
  const refused = await runVerify({ ...base, allowPrivateAddress: false });
  t.equal(refused.exitCode, 2);
  t.match(refused.error, /nonPublicAddress/);
});

t.test('the CLI: exit codes 0, 1 and 2, and the JSON report', async (t) => {
  const state = join(dir, 'cli-state.json');
  const file = await exportFile();
  const ok = await cli(['verify', file, '--json', '--state', state]);
  t.equal(ok.code, 0, ok.err);
  const report = JSON.parse(ok.out);
  t.match(report, {
    source: file,
    mode: 'full',
    verified: true,
    exitCode: 0,
    actor: actorUrl,
    summary: {
      entries: Number,
      balance: '50.00',
      currency: 'EUR',
      income: { total: '80.00' },
      pendingExpenses: 0,
    },
    checkpoint: { size: Number, rootHash: /^[0-9a-f]{64}$/, note: String, signatures: [{ by: 'log' }] },
    warnings: [],
    stats: { elapsedMs: Number, entriesPerSecond: Number, workers: Number },
  });
  t.notOk('failure' in report);

  const tampered = join(dir, 'tampered.jsonl');
  await writeFile(tampered, (await readFile(file, 'utf8')).replace('Update 7', 'Update 8'));
  const bad = await cli(['verify', tampered, '--no-state']);
  t.equal(bad.code, 1);
  t.match(bad.out, /FAILED: .*\n {2}First failure: entry \d+: bad proof \(invalidSignature\)/);
  t.match(bad.out, /Balance:/, 'the summary up to the failure');

  const missing = await cli(['verify', join(dir, 'missing.jsonl'), '--json', '--no-state']);
  t.equal(missing.code, 2);
  t.match(JSON.parse(missing.out), { verified: false, exitCode: 2, error: /cannot read/ });
  t.notMatch(missing.err, /--help/);

  // The audit runs on a thread of its own (verify/command.ts): what it cannot write still ends the
  // command with exit 2 and its reason, not a stack trace.
  const unwritable = await cli([
    'verify',
    file,
    '--no-state',
    '--save-checkpoint',
    join(dir, 'no', 'such', 'dir'),
  ]);
  t.equal(unwritable.code, 2, unwritable.err);
  t.match(unwritable.err, /^cagnotte: verify: cannot write .*no\/such\/dir/m);
  t.notMatch(unwritable.err, /\n\s+at /, 'no stack trace');
  t.notMatch(unwritable.err, /--help/, 'the arguments were fine: no pointer to the usage');

  const human = await cli(['verify', actorUrl, '--no-state'], { CAGNOTTE_ALLOW_PRIVATE_ADDRESS: '1' });
  t.equal(human.code, 0, human.err);
  t.match(human.out, /^VERIFIED: http:\/\/127\.0\.0\.1:\d+\/actors\/garden\n/);
  t.match(human.out, /Income: +80\.00 EUR \(Contribution 80\.00\)/);
  const guarded = await cli(['verify', actorUrl, '--no-state']);
  t.equal(guarded.code, 2, 'without CAGNOTTE_ALLOW_PRIVATE_ADDRESS the loopback node is refused');
  t.match(guarded.err, /refused/);
  const help = await cli(['verify', '--help']);
  t.equal(help.code, 0, help.err);
  t.match(help.out, /^Usage: cagnotte verify SOURCE/);
  t.match(help.out, /--since FILE/, 'every option is described');
  const usage = await cli(['verify']);
  t.equal(usage.code, 2);
  t.match(usage.err, /verify: expected 1 file argument/);
});
