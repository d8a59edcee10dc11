// The summary of a failed audit counts the entries accepted before the failure, as a verifier that
// checks each signature at once does: the CLI's deferred signature pass must not add the entry
// its workers refused (nor the next one, whose prev points at the untampered bytes).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { exportLedger } from '../../node/export/bulk.ts';
import { contribution, type TempNode, tempNode, update } from '../../node/ledger/fixtures.test-helper.ts';
import { LedgerAudit } from '../../protocol/audit/ledger.ts';
import { nobleBackend } from '../../protocol/crypto.ts';
import { utf8 } from '../../protocol/encoding.ts';
import { runVerify } from '../verify.ts';
import { humanReport } from './report.ts';

let dir: string;
let node: TempNode;
let tampered: string;
t.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cagnotte-verify-summary-'));
  node = await tempNode();
  await node.actor.ledger.append(contribution('30.00'));
  for (let i = 0; i < 12; i++) await node.actor.ledger.append(update(i));
  const parts: Buffer[] = [];
  for await (const line of exportLedger(node.actor.ledger)) parts.push(Buffer.from(line));
  // The title is signed: entry 7 (Update 5) keeps its proof, which no longer verifies.
  tampered = Buffer.concat(parts).toString('utf8').replace('"Update 5"', '"Update 6"');
});
t.teardown(async () => {
  await node.cleanup();
  await rm(dir, { recursive: true, force: true });
});

/** What a one-pass verifier (the audit page's way) accepts before its first failure. */
function onePass(text: string): { accepted: number; seq: number | undefined } {
  const lines = text.slice(0, -1).split('\n');
  const actor = JSON.parse(lines[0] as string) as { id: string };
  const audit = new LedgerAudit({ backend: nobleBackend, actor: actor.id });
  for (const line of lines.slice(1, -1)) if (!audit.push(JSON.parse(line), utf8(line)).ok) break;
  return { accepted: audit.summary()?.entries ?? 0, seq: (audit.failure as { seq?: number }).seq };
}

for (const workers of [0, 1]) {
  t.test(`a refused signature (${workers} worker(s)): the entries before it, not one more`, async (t) => {
    const file = join(dir, `tampered-${workers}.jsonl`);
    await writeFile(file, tampered);
    const report = await runVerify({ source: file, json: true, allowPrivateAddress: false, workers });
    const expected = onePass(tampered);
    t.equal(expected.seq, 7, 'the one-pass verifier fails at the tampered entry');
    t.match(report.failure, { type: 'badProof', seq: 7, proof: { type: 'invalidSignature' } });
    t.equal(report.summary?.entries, expected.accepted, 'the same count as the one-pass verifier');
    t.equal(report.summary?.entries, 7, 'entries 0 to 6');
    t.ok(
      humanReport(report).includes('  Entries (accepted before the failure): 7'),
      'the human report says so',
    );
  });
}
