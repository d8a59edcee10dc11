// --save-checkpoint then --since on real exports (LevelDB in temp dirs, real keys and signatures):
// the audit resumes from the saved state and reads only the newer entries, agrees with a full
// walk, still checks every new entry, and does not believe an edited or mismatched state.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { exportLedger } from '../../node/export/bulk.ts';
import {
  approve,
  contribution,
  expense,
  pay,
  type TempNode,
  tempNode,
  update,
} from '../../node/ledger/fixtures.test-helper.ts';
import { auditStatePath, runVerify, type VerifyArgs } from '../verify.ts';

async function exportText(node: TempNode): Promise<string> {
  const parts: Buffer[] = [];
  for await (const line of exportLedger(node.actor.ledger)) parts.push(Buffer.from(line));
  return Buffer.concat(parts).toString('utf8');
}

const dir = await mkdtemp(join(tmpdir(), 'cagnotte-resume-'));
const node = await tempNode();
t.teardown(async () => {
  await node.cleanup();
  await rm(dir, { recursive: true, force: true });
});
const { ledger } = node.actor;
await ledger.append(contribution('250.00'));
const open = await ledger.append(expense('40.00', 'account:bob'));
for (let i = 0; i < 10; i++) await ledger.append(update(i));

let counter = 0;
async function verify(text: string, extra: Partial<VerifyArgs> = {}) {
  const file = join(dir, `ledger-${counter++}.jsonl`);
  await writeFile(file, text);
  return runVerify({ source: file, json: true, allowPrivateAddress: false, workers: 1, ...extra });
}

const saved = join(dir, 'saved.note');
const first = await verify(await exportText(node), { saveCheckpoint: saved });
const lines = (text: string) => text.slice(0, -1).split('\n');

t.test('--save-checkpoint keeps the note and the audit state beside it', async (t) => {
  t.equal(first.exitCode, 0);
  t.equal(await readFile(saved, 'utf8'), first.checkpoint?.note);
  const state = JSON.parse(await readFile(auditStatePath(saved), 'utf8'));
  t.match(state, { type: 'AuditSnapshot', chain: { size: first.summary?.entries, balance: '25000' } });
  t.ok(Object.keys(state.chain.expenses).length === 1, 'the open expense is kept');
});

t.test('resumed twice, the audit reads only new entries and agrees with a full walk', async (t) => {
  await ledger.append(approve(open.leafHash, 'account:alice'));
  await ledger.append(pay(open.leafHash, '40.00'));
  for (let i = 0; i < 20; i++) await ledger.append(update(100 + i));
  const text = await exportText(node);
  const full = await verify(text);
  const incremental = await verify(text, { since: saved, saveCheckpoint: saved });
  t.equal(incremental.exitCode, 0, JSON.stringify(incremental.failure ?? incremental.warnings));
  t.equal(incremental.resumedAt, first.summary?.entries, 'the saved entries were not read');
  t.same(incremental.warnings, []);
  t.same(incremental.summary, full.summary, 'same summary');
  t.same(incremental.checkpoint, full.checkpoint, 'same checkpoint');
  t.match(incremental.since, { size: first.summary?.entries, consistency: 'recomputed' });

  await ledger.append(contribution('5.00', 'Dan'));
  const next = await exportText(node);
  const again = await verify(next, { since: saved });
  t.equal(again.resumedAt, full.summary?.entries, 'the state saved by the incremental run');
  t.same(again.summary, (await verify(next)).summary);

  // A new entry changed: the resumed audit checks it like a full one would.
  const seq = full.summary?.entries as number;
  const tampered = lines(next).map((line, i) => (i === seq + 1 ? line.replace('5.00', '6.00') : line));
  const bad = await verify(`${tampered.join('\n')}\n`, { since: saved });
  t.match(bad.failure, { type: 'badProof', seq });
});

t.test('an edited or mismatched audit state is not believed: every entry is read', async (t) => {
  const text = await exportText(node);
  const expected = (await verify(text)).summary;
  const state = JSON.parse(await readFile(auditStatePath(saved), 'utf8'));

  state.chain.balance = '99999999';
  const edited = join(dir, 'edited.note');
  await writeFile(edited, await readFile(saved, 'utf8'));
  await writeFile(auditStatePath(edited), JSON.stringify(state));
  const report = await verify(text, { since: edited });
  t.equal(report.exitCode, 0);
  t.equal(report.resumedAt, undefined, 'not resumed');
  t.match(report.warnings, [/digest/]);
  t.same(report.summary, expected);

  // The state of one checkpoint with the note of another.
  const other = join(dir, 'other.note');
  await writeFile(other, first.checkpoint?.note ?? '');
  await writeFile(auditStatePath(other), await readFile(auditStatePath(saved), 'utf8'));
  const mismatched = await verify(text, { since: other });
  t.equal(mismatched.resumedAt, undefined);
  t.match(mismatched.warnings, [/not the checkpoint's/]);
  t.same(mismatched.summary, expected);
});
