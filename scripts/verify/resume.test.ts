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
import { auditStateOfBytes } from '../../protocol/audit/state-bytes.ts';
import { decodeChainState, encodeChainState } from '../../protocol/chain-snapshot.ts';
import { nobleBackend } from '../../protocol/crypto.ts';
import type { JsonObject } from '../../protocol/jcs.ts';
import { auditStatePath, jsonAuditStatePath, runVerify, type VerifyArgs } from '../verify.ts';

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

/** The saved state's bytes, its audit fields and its chain state read back. */
async function savedState(note: string) {
  const bytes = await readFile(auditStatePath(note));
  const fields = auditStateOfBytes(bytes) as Record<string, unknown>;
  const chain = decodeChainState(bytes, nobleBackend);
  if (!chain.ok) throw new Error(chain.reason.problem);
  return { bytes, fields, chain: chain.state };
}

/** Another note file with `note`'s checkpoint, and `state` (bytes, or JSON text) as its state. */
async function noteWith(name: string, note: string, state: Uint8Array | string, json = false) {
  const path = join(dir, name);
  await writeFile(path, await readFile(note, 'utf8'));
  await writeFile(json ? jsonAuditStatePath(path) : auditStatePath(path), state);
  return path;
}

t.test('--save-checkpoint keeps the note and the audit state beside it', async (t) => {
  t.equal(first.exitCode, 0);
  t.equal(await readFile(saved, 'utf8'), first.checkpoint?.note);
  const { fields, chain } = await savedState(saved);
  t.match(fields, { type: 'AuditSnapshot', version: 1, genesis: { kind: 'Genesis' } });
  t.equal(chain.position, first.summary?.entries);
  t.equal(chain.balance, 25000n);
  t.equal(chain.expenses.size, 1, 'the open expense is kept');
  t.same([...chain.contributions].length, 1, 'and the contribution');
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

t.test('an edited, cut or mismatched audit state is not believed: every entry is read', async (t) => {
  const text = await exportText(node);
  const expected = (await verify(text)).summary;
  const { bytes } = await savedState(saved);
  const notBelieved = async (label: string, note: string, warning: RegExp) => {
    const report = await verify(text, { since: note });
    t.equal(report.exitCode, 0, label);
    t.equal(report.resumedAt, undefined, `${label}: not resumed`);
    t.match(report.warnings, [warning], label);
    t.same(report.summary, expected, label);
  };
  // A byte of the header (the balance's digits are in it), of a section, and of the digest.
  const header = bytes.indexOf(Buffer.from('"balance":"'));
  t.ok(header > 0, 'the balance is in the header');
  for (const [label, at] of [
    ['the header', header + 11],
    ['a section', bytes.length - 100],
    ['the digest', bytes.length - 1],
  ] as const) {
    const edited = Uint8Array.from(bytes);
    edited[at] = (edited[at] as number) ^ 1;
    await notBelieved(
      `an edited byte in ${label}`,
      await noteWith(`edited-${at}.note`, saved, edited),
      /digest/,
    );
  }
  await notBelieved(
    'a cut file',
    await noteWith('cut.note', saved, bytes.subarray(0, bytes.length - 40)),
    /bytes where/,
  );
  const magic = Uint8Array.from(bytes);
  magic[22] = 0x39; // v9
  await notBelieved(
    'another version',
    await noteWith('magic.note', saved, magic),
    /not an audit snapshot|not a version/,
  );

  // The state of one checkpoint with the note of another.
  const other = join(dir, 'other.note');
  await writeFile(other, first.checkpoint?.note ?? '');
  await writeFile(auditStatePath(other), bytes);
  await notBelieved('another checkpoint', other, /not the checkpoint's/);
});

t.test('a JSON state saved by an earlier version still resumes, and is replaced by bytes', async (t) => {
  const text = await exportText(node);
  const full = await verify(text);
  const { fields, chain } = await savedState(saved);
  const json = { ...fields, chain: encodeChainState(chain, nobleBackend) } as JsonObject;
  const old = await noteWith('old.note', saved, JSON.stringify(json), true);
  const resumed = await verify(text, { since: old, saveCheckpoint: old });
  t.equal(resumed.exitCode, 0);
  t.equal(resumed.resumedAt, chain.position, 'resumed from the JSON state');
  t.same(resumed.warnings, []);
  t.same(resumed.summary, full.summary);
  await t.rejects(readFile(jsonAuditStatePath(old)), { code: 'ENOENT' }, 'the JSON state is gone');
  t.equal((await savedState(old)).chain.position, full.summary?.entries, 'the bytes saved in its place');

  // An edited JSON state is refused as before.
  json.chain = { ...(json.chain as JsonObject), balance: '99999999' };
  const edited = await noteWith('old-edited.note', saved, JSON.stringify(json), true);
  const report = await verify(text, { since: edited });
  t.equal(report.resumedAt, undefined);
  t.match(report.warnings, [/digest/]);
  t.same(report.summary, full.summary);
});
