// The end of an audit in a report's terms, over a real signed ledger and real checkpoint notes:
// the checkpoint stated only when it matches, its failure otherwise, the warning for a signature
// by an unknown key, and no checkpoint check at all once the walk failed.
import t, { type Test } from 'tap';
import { ACTOR, LedgerWriter, seed } from '../../test-support/ledger.ts';
import { signCheckpoint } from '../checkpoint.ts';
import { toHex } from '../encoding.ts';
import type { SignedEntry } from '../entry/types.ts';
import { appendLeaves, EMPTY_TREE, treeRoot } from '../merkle/tree.ts';
import { ed25519Signer, formatNote, noteKeyFromSeed, parseNote, signNote } from '../note.ts';
import { describeFailure } from './describe.ts';
import { finishReport } from './finish.ts';
import { LedgerAudit } from './ledger.ts';

const w = new LedgerWriter();
w.joinHost();
w.append({
  kind: 'Contribution',
  amount: '500.00',
  currency: 'EUR',
  contributor: 'Bob',
  receipt: w.hostSign('Receipt', { amount: '500.00', currency: 'EUR' }),
});
const origin = (w.entries[0] as SignedEntry<'Genesis'>).origin;
const logKey = noteKeyFromSeed(origin, seed(250), undefined, w.backend);
const checkpointOf = (size: number) => {
  const tree = appendLeaves(
    EMPTY_TREE,
    w.built.slice(0, size).map((b) => b.leafHash),
    w.backend,
  ).state;
  return { origin, size, rootHash: treeRoot(tree, w.backend), extensions: [] };
};
const walked = (t: Test) => {
  const audit = new LedgerAudit({ backend: w.backend, actor: ACTOR });
  for (const entry of w.entries) t.ok(audit.push(entry).ok, `entry ${entry.seq} accepted`);
  return audit;
};

t.test('a checkpoint matching the entries is stated, with the summary', async (t) => {
  const checkpoint = checkpointOf(w.entries.length);
  const note = signCheckpoint(checkpoint, logKey, w.backend);
  const end = finishReport(walked(t), note, false);
  t.equal(end.failure, undefined);
  t.same(end.warnings, []);
  t.match(end.checkpoint, { origin, size: 3, rootHash: toHex(checkpoint.rootHash), note });
  t.same(
    end.checkpoint?.signatures.map((s) => s.by),
    ['log'],
  );
  t.match(end.summary, { actor: ACTOR, entries: 3, balance: '500.00', currency: 'EUR' });
});

t.test('a signature by a key the audit does not know: stated, with a warning', async (t) => {
  const stranger = noteKeyFromSeed('stranger.example', seed(77), undefined, w.backend);
  const signed = signCheckpoint(checkpointOf(w.entries.length), logKey, w.backend);
  const parsed = parseNote(signed);
  if (!parsed.ok) throw new Error('the note parses');
  const extra = parseNote(signNote(parsed.note.text, [ed25519Signer(stranger, w.backend)]));
  if (!extra.ok) throw new Error('the note parses');
  const note = formatNote(parsed.note.text, [...parsed.note.signatures, ...extra.note.signatures]);
  const end = finishReport(walked(t), note, false);
  t.equal(end.failure, undefined);
  t.same(
    end.checkpoint?.signatures.map((s) => s.by),
    ['log', 'unknown'],
  );
  t.match(end.warnings, [/signatures by keys this audit does not know/]);
});

t.test('a checkpoint of another size: its failure, the summary, no checkpoint', async (t) => {
  const note = signCheckpoint(checkpointOf(2), logKey, w.backend);
  const end = finishReport(walked(t), note, false);
  t.match(end.failure, { type: 'checkpointSize', seq: 2, entries: 3, checkpointSize: 2 });
  t.equal(end.checkpoint, undefined);
  t.match(end.summary, { entries: 3 });
  t.equal(
    describeFailure(end.failure as NonNullable<typeof end.failure>),
    'entry 2: the checkpoint covers 2 entries, the ledger has 3',
  );
});

t.test('after a failed walk the checkpoint is not checked', async (t) => {
  const note = signCheckpoint(checkpointOf(2), logKey, w.backend);
  const end = finishReport(walked(t), note, true);
  t.equal(end.failure, undefined, 'the wrong size goes unnoticed: the walk already failed');
  t.equal(end.checkpoint, undefined);
  t.match(end.summary, { entries: 3 }, 'the entries accepted are summed');
  t.same(end.warnings, []);
});

t.test('an empty ledger has no summary', async (t) => {
  const note = signCheckpoint(checkpointOf(3), logKey, w.backend);
  const end = finishReport(new LedgerAudit({ backend: w.backend }), note, false);
  t.match(end.failure, { type: 'emptyLedger' });
  t.equal(end.summary, undefined);
  t.equal(end.checkpoint, undefined);
});
