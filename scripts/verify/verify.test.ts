// The auditor against real exported ledgers (LevelDB in temp dirs, real keys and signatures):
// every kind of tampering caught with its reason and seq, checkpoints, --entry, --since, forks.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { openActor } from '../../node/actors/actors.ts';
import { nativeBackend } from '../../node/crypto/native.ts';
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
import { openLevelStore } from '../../node/storage/level.ts';
import { parseCheckpoint, signCheckpoint } from '../../protocol/checkpoint.ts';
import { noteKeyFromSeed, parseNote } from '../../protocol/note.ts';
import { runVerify, type VerifyArgs } from '../verify.ts';
import type { VerifyReport } from './run.ts';

async function exportText(node: TempNode): Promise<string> {
  const parts: Buffer[] = [];
  for await (const line of exportLedger(node.actor.ledger)) parts.push(Buffer.from(line));
  return Buffer.concat(parts).toString('utf8');
}

/** A ledger with money in and out, an expense still pending, and updates: 26 entries. */
async function seeded(): Promise<TempNode> {
  const node = await tempNode();
  const { ledger } = node.actor;
  await ledger.append(contribution('250.00'));
  const filed = await ledger.append(expense('40.00', 'account:bob'));
  await ledger.append(approve(filed.leafHash, 'account:alice'));
  await ledger.append(pay(filed.leafHash, '40.00'));
  await ledger.append(expense('12.50', 'account:carol', 'Glue'));
  for (let i = 0; i < 20; i++) await ledger.append(update(i));
  return node;
}

let dir: string;
let node: TempNode;
let good: string;
t.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cagnotte-verify-'));
  node = await seeded();
  good = await exportText(node);
});
t.teardown(async () => {
  await node.cleanup();
  await rm(dir, { recursive: true, force: true });
});

let counter = 0;
async function verifyText(text: string, extra: Partial<VerifyArgs> = {}): Promise<VerifyReport> {
  const file = join(dir, `ledger-${counter++}.jsonl`);
  await writeFile(file, text);
  return runVerify({ source: file, json: true, allowPrivateAddress: false, workers: 1, ...extra });
}

/** The export's lines (without the final empty one); line 0 is the actor, the last the checkpoint. */
function lines(text: string): string[] {
  return text.slice(0, -1).split('\n');
}
const join1 = (parts: string[]) => `${parts.join('\n')}\n`;
/** Export line of entry `seq`. */
const at = (seq: number) => seq + 1;

t.test('a good export verifies, with its summary', async (t) => {
  const report = await verifyText(good);
  t.equal(report.exitCode, 0, JSON.stringify(report.failure));
  t.equal(report.verified, true);
  t.equal(report.summary?.entries, 26);
  t.equal(report.summary?.balance, '210.00');
  t.equal(report.summary?.income.total, '250.00');
  t.equal(report.summary?.spending.byKind.ExpensePaid, '40.00');
  t.equal(report.summary?.pendingExpenses, 1, 'the glue expense is still open');
  t.equal(report.checkpoint?.size, 26);
  t.same(
    report.checkpoint?.signatures?.map((s) => s.by),
    ['log'],
  );
  const single = await verifyText(good, { workers: 0 });
  t.same(single.summary, report.summary, 'same verdict without worker threads');
});

t.test('each kind of tampering is caught with its reason and seq', async (t) => {
  const original = lines(good);
  const cases: [string, (l: string[]) => string[], Record<string, unknown>][] = [
    [
      'a byte flipped in an entry',
      (l) => l.map((line, i) => (i === at(9) ? line.replace('Update 3', 'Updatf 3') : line)),
      { type: 'badProof', seq: 9, proof: { type: 'invalidSignature' } },
    ],
    ['a line dropped', (l) => l.filter((_, i) => i !== at(12)), { type: 'seqGap', seq: 12, found: 13 }],
    [
      'a line duplicated',
      (l) => [...l.slice(0, at(12) + 1), l[at(12)] as string, ...l.slice(at(12) + 1)],
      { type: 'seqDuplicate', seq: 13, found: 12 },
    ],
    [
      'two lines swapped',
      (l) =>
        l.map((line, i) => (i === at(7) ? (l[at(8)] as string) : i === at(8) ? (l[at(7)] as string) : line)),
      { type: 'seqGap', seq: 7, found: 8 },
    ],
    [
      'an entry re-serialised (proof member first)',
      (l) =>
        l.map((line, i) => {
          if (i !== at(5)) return line;
          const { proof, ...rest } = JSON.parse(line);
          return JSON.stringify({ proof, ...rest });
        }),
      { type: 'notCanonical', seq: 5 },
    ],
    [
      'an entry that is not JSON',
      (l) => l.map((line, i) => (i === at(4) ? line.slice(0, -1) : line)),
      { type: 'notJson', seq: 4 },
    ],
    [
      'the last entry dropped',
      (l) => l.filter((_, i) => i !== at(25)),
      { type: 'checkpointSize', seq: 25, entries: 25, checkpointSize: 26 },
    ],
    [
      'the checkpoint size edited',
      (l) => l.map((line, i) => (i === l.length - 1 ? line.replace('\\n26\\n', '\\n25\\n') : line)),
      { type: 'checkpointInvalid' },
    ],
    [
      'the actor does not assert the genesis key',
      (l) =>
        l.map((line, i) => {
          if (i !== 0) return line;
          const doc = JSON.parse(line);
          doc.assertionMethod[0].publicKeyMultibase = 'z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';
          return JSON.stringify(doc);
        }),
      { type: 'keyNotAsserted', seq: 0 },
    ],
  ];
  for (const [name, mutate, expected] of cases) {
    const report = await verifyText(join1(mutate([...original])));
    t.equal(report.exitCode, 1, name);
    t.match(report.failure, expected, name);
  }
});

t.test('checkpoints signed with the right key but wrong contents, or by another key', async (t) => {
  const original = lines(good);
  const note = JSON.parse(original.at(-1) as string).note as string;
  const body = parseCheckpoint((parseNote(note) as { ok: true; note: { text: string } }).note.text);
  if (!body.ok) throw new Error('the export checkpoint does not parse');
  const keys = node.actor.keys;
  if (keys === undefined) throw new Error('the temp node has its keys');
  const origin = body.checkpoint.origin;
  const logKey = noteKeyFromSeed(origin, keys.checkpoint.secretKey, undefined, nativeBackend);
  const other = noteKeyFromSeed(origin, new Uint8Array(32).fill(7), undefined, nativeBackend);
  const withNote = (signed: string) =>
    join1([...original.slice(0, -1), JSON.stringify({ note: signed, type: 'Checkpoint' })]);
  const cases: [string, string, Record<string, unknown>][] = [
    [
      'a wrong root, signed by the log key',
      signCheckpoint({ ...body.checkpoint, rootHash: new Uint8Array(32).fill(1) }, logKey, nativeBackend),
      { type: 'rootMismatch', size: 26 },
    ],
    [
      'a larger size, signed by the log key',
      signCheckpoint({ ...body.checkpoint, size: 27 }, logKey, nativeBackend),
      { type: 'checkpointSize', seq: 26, entries: 26, checkpointSize: 27 },
    ],
    [
      'the right checkpoint signed by another key',
      signCheckpoint(body.checkpoint, other, nativeBackend),
      { type: 'checkpointInvalid' },
    ],
  ];
  for (const [name, signed, expected] of cases) {
    const report = await verifyText(withNote(signed));
    t.equal(report.exitCode, 1, name);
    t.match(report.failure, expected, name);
  }
});

t.test('--entry proves one entry against the checkpoint', async (t) => {
  const file = join(dir, 'entry.jsonl');
  await writeFile(file, good);
  const args: VerifyArgs = { source: file, json: true, allowPrivateAddress: false, workers: 0 };
  for (const seq of [0, 3, 17, 25]) {
    const report = await runVerify({ ...args, entry: seq });
    t.equal(report.exitCode, 0, `entry ${seq} is in the log`);
    t.equal(report.entry?.seq, seq);
  }
  const paid = await runVerify({ ...args, entry: 4 });
  t.match(paid.entry, { kind: 'ExpensePaid', amount: '40.00', currency: 'EUR' });
  t.match((await runVerify({ ...args, entry: 26 })).failure, { type: 'entryOutOfRange', seq: 26, size: 26 });
  const tampered = join(dir, 'entry-tampered.jsonl');
  const l = lines(good);
  await writeFile(
    tampered,
    join1(l.map((line, i) => (i === at(17) ? line.replaceAll('Update 11', 'Update 99') : line))),
  );
  const flipped = await runVerify({ ...args, source: tampered, entry: 17 });
  t.equal(flipped.exitCode, 1);
  t.match(flipped.failure, { type: 'badProof', seq: 17, proof: { type: 'invalidSignature' } });
  const other = await runVerify({ ...args, source: tampered, entry: 16 });
  t.match(other.failure, { type: 'inclusionInvalid', seq: 16 }, 'a tampered neighbour breaks the proof');
});

t.test('incremental verification agrees with full, and refuses a rewritten past', async (t) => {
  const local = await seeded();
  t.teardown(local.cleanup);
  const before = await exportText(local);
  const saved = join(dir, 'saved.note');
  await writeFile(saved, JSON.parse(lines(before).at(-1) as string).note);
  for (let i = 0; i < 30; i++) await local.actor.ledger.append(update(100 + i));
  await local.actor.ledger.append(contribution('5.00', 'Dan'));
  const after = await exportText(local);
  const full = await verifyText(after);
  const incremental = await verifyText(after, { since: saved });
  t.equal(full.exitCode, 0);
  t.equal(incremental.exitCode, 0, JSON.stringify(incremental.failure));
  t.same(incremental.summary, full.summary, 'same summary');
  t.same(incremental.checkpoint, full.checkpoint, 'same checkpoint');
  t.match(incremental.since, { size: 26, consistency: 'recomputed' });

  // The same keys, another history from entry 26 on: not an extension of the saved checkpoint.
  const rewritten = lines(after).map((line, i) =>
    i === at(30) ? line.replace('Update 104', 'Update 999') : line,
  );
  const bad = await verifyText(join1(rewritten), { since: saved });
  t.match(bad.failure, { type: 'badProof', seq: 30 }, 'entries after the trusted prefix are checked');
  const early = lines(after).map((line, i) =>
    i === at(20) ? line.replaceAll('Update 14', 'Update 41') : line,
  );
  const past = await verifyText(join1(early), { since: saved });
  t.equal(past.exitCode, 1);
  t.match(past.failure, { type: 'prevMismatch', seq: 21 }, 'a changed trusted entry breaks the next link');
});

t.test('two inconsistent signed checkpoints are a fork: exit 1 with both as evidence', async (t) => {
  const a = await tempNode('split');
  await a.actor.ledger.append(contribution('100.00'));
  for (let i = 0; i < 5; i++) await a.actor.ledger.append(update(i));
  await a.actor.ledger.close();
  await a.store.close();
  const copy = await mkdtemp(join(tmpdir(), 'cagnotte-fork-'));
  await cp(a.dir, copy, { recursive: true });
  const reopen = async (dataDir: string) => {
    const store = await openLevelStore(join(dataDir, 'db'));
    const actor = await openActor({ store, dataDir, backend: nativeBackend }, 'split');
    return { store, actor };
  };
  const left = await reopen(a.dir);
  const right = await reopen(copy);
  t.teardown(async () => {
    for (const side of [left, right]) {
      await side.actor.ledger.close();
      await side.store.close();
    }
    await rm(a.dir, { recursive: true, force: true });
    await rm(copy, { recursive: true, force: true });
  });
  for (let i = 0; i < 4; i++) await left.actor.ledger.append(update(10 + i));
  for (let i = 0; i < 6; i++) await right.actor.ledger.append(update(20 + i));
  const exportOf = async (actor: typeof left.actor) => {
    const parts: Buffer[] = [];
    for await (const line of exportLedger(actor.ledger)) parts.push(Buffer.from(line));
    return Buffer.concat(parts).toString('utf8');
  };
  const state = join(dir, 'state.json');
  const first = await verifyText(await exportOf(left.actor), { statePath: state });
  t.equal(first.exitCode, 0, 'each history verifies on its own');
  const again = await verifyText(await exportOf(left.actor), { statePath: state });
  t.equal(again.exitCode, 0, 'seeing the same checkpoint twice is no fork');
  const second = await verifyText(await exportOf(right.actor), { statePath: state });
  t.equal(second.exitCode, 1);
  t.match(second.failure, { type: 'fork', evidence: { seen: { size: 11 }, current: { size: 13 } } });
  const evidence = second.failure?.type === 'fork' ? second.failure.evidence : undefined;
  t.match(evidence?.seen.note, /\n11\n/, 'the earlier signed note is printed');
  t.match(evidence?.current.note, /\n13\n/, 'and the new one');
  const kept = JSON.parse(await readFile(state, 'utf8'));
  t.equal(Object.values(kept.logs as Record<string, unknown[]>)[0]?.length, 2, 'both are kept');

  // A forged state file cannot accuse: its notes are verified before they count.
  const forged = {
    version: 1,
    logs: { [evidence?.origin as string]: [{ note: 'x', size: 13, rootHash: '00' }] },
  };
  await writeFile(state, JSON.stringify(forged));
  t.equal((await verifyText(await exportOf(right.actor), { statePath: state })).exitCode, 0);
});

t.test('what cannot be read exits 2', async (t) => {
  const missing = await runVerify({
    source: join(dir, 'nope.jsonl'),
    json: true,
    allowPrivateAddress: false,
  });
  t.equal(missing.exitCode, 2);
  t.match(missing.error, /cannot read/);
  const refused = await runVerify({
    source: 'http://127.0.0.1:9/actors/x',
    json: true,
    allowPrivateAddress: false,
  });
  t.equal(refused.exitCode, 2, 'a loopback address is refused by the guard');
  t.match(refused.error, /refused \(nonPublicAddress\)/);
});
