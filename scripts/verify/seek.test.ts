// --since on a file seeks past the entry lines it verified before (their byte length is saved
// with the audit state) instead of reading them; a wrong length is caught on the first line read
// and the lines are counted instead, with a warning. Real export, LevelDB, keys and signatures.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { exportLedger } from '../../node/export/bulk.ts';
import { contribution, expense, tempNode, update } from '../../node/ledger/fixtures.test-helper.ts';
import { auditStateOfBytes } from '../../protocol/audit/state-bytes.ts';
import { decodeChainState, encodeChainStateBytes } from '../../protocol/chain-snapshot.ts';
import { nobleBackend } from '../../protocol/crypto.ts';
import type { JsonObject } from '../../protocol/jcs.ts';
import { auditStatePath, runVerify, type VerifyArgs } from '../verify.ts';

const dir = await mkdtemp(join(tmpdir(), 'cagnotte-seek-'));
const node = await tempNode();
t.teardown(async () => {
  await node.cleanup();
  await rm(dir, { recursive: true, force: true });
});
const { ledger } = node.actor;
await ledger.append(contribution('250.00'));
await ledger.append(expense('40.00', 'account:bob'));
for (let i = 0; i < 10; i++) await ledger.append(update(i));

async function exportText(): Promise<string> {
  const parts: Buffer[] = [];
  for await (const line of exportLedger(ledger)) parts.push(Buffer.from(line));
  return Buffer.concat(parts).toString('utf8');
}
let counter = 0;
async function verify(text: string, extra: Partial<VerifyArgs> = {}) {
  const file = join(dir, `ledger-${counter++}.jsonl`);
  await writeFile(file, text);
  return runVerify({ source: file, json: true, allowPrivateAddress: false, workers: 1, ...extra });
}

/** The fields saved with the audit state beside `note` (the genesis, the tree, the entry lines' length). */
async function savedFields(note: string): Promise<Record<string, unknown>> {
  return auditStateOfBytes(await readFile(auditStatePath(note))) as Record<string, unknown>;
}

/** The state beside `note` with its fields changed, digested again: what a careless tool might write. */
async function rewritten(note: string, fields: Record<string, unknown>): Promise<Uint8Array> {
  const bytes = await readFile(auditStatePath(note));
  const { chain: _chain, ...rest } = { ...auditStateOfBytes(bytes), ...fields };
  const chain = decodeChainState(bytes, nobleBackend);
  if (!chain.ok) throw new Error(chain.reason.problem);
  return encodeChainStateBytes(chain.state, nobleBackend, rest as JsonObject);
}

const saved = join(dir, 'saved.note');
const before = await exportText();
const first = await verify(before, { saveCheckpoint: saved });
const size = first.summary?.entries as number;
for (let i = 0; i < 15; i++) await ledger.append(update(100 + i));
await ledger.append(contribution('5.00', 'Dan'));
const after = await exportText();
const full = await verify(after);

t.test('the saved state holds the byte length of the verified entry lines', async (t) => {
  t.equal(first.exitCode, 0);
  const state = await savedFields(saved);
  const lines = before.slice(0, -1).split('\n');
  const expected = Buffer.byteLength(`${lines.slice(1, 1 + size).join('\n')}\n`);
  t.equal(state.entryBytes, expected, 'lines 2..n+1 with their newlines');
});

t.test('a resumed walk seeks past them and agrees with a full walk', async (t) => {
  const resumed = await verify(after, { since: saved });
  t.equal(resumed.exitCode, 0, JSON.stringify(resumed.failure ?? resumed.warnings));
  t.equal(resumed.resumedAt, size);
  t.same(resumed.warnings, [], 'the seek landed on the resumed seq');
  t.same(resumed.summary, full.summary);
  t.same(resumed.checkpoint, full.checkpoint);
  // Line 1 may change between exports (a rotated key is listed there): the length is counted after it.
  const lines = after.slice(0, -1).split('\n');
  const wider = [
    JSON.stringify(JSON.parse(lines[0] as string), null, 1).replaceAll('\n', ''),
    ...lines.slice(1),
  ];
  const relined = await verify(`${wider.join('\n')}\n`, { since: saved });
  t.equal(relined.exitCode, 0);
  t.same(relined.warnings, []);
  t.same(relined.summary, full.summary);
  // Saved again after a resumed walk: the next --since seeks to the new end.
  const next = join(dir, 'next.note');
  await writeFile(next, await readFile(saved, 'utf8'));
  await writeFile(auditStatePath(next), await readFile(auditStatePath(saved)));
  await verify(after, { since: next, saveCheckpoint: next });
  const state = await savedFields(next);
  t.equal(state.entryBytes, Buffer.byteLength(`${lines.slice(1, -1).join('\n')}\n`));
});

t.test('a wrong saved length is caught and the lines are counted instead', async (t) => {
  const state = (await savedFields(saved)) as { entryBytes: number };
  for (const [name, entryBytes] of [
    ['mid-line', state.entryBytes + 7],
    ['one line early', state.entryBytes - Buffer.byteLength(`${before.slice(0, -1).split('\n')[size]}\n`)],
    ['past the end', 10 ** 9],
  ] as const) {
    const note = join(dir, `wrong-${counter}.note`);
    await writeFile(note, await readFile(saved, 'utf8'));
    await writeFile(auditStatePath(note), await rewritten(saved, { entryBytes }));
    const report = await verify(after, { since: note });
    t.equal(report.exitCode, 0, name);
    t.equal(report.resumedAt, size, name);
    t.match(report.warnings, [/saved length of the entry lines did not match/], name);
    t.same(report.summary, full.summary, name);
  }
});
