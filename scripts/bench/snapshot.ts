/**
 * The audit state that `--since` resumes from (`npm run bench -- snapshot`, or
 * `npx node scripts/bench/snapshot.ts [contributions]` for one timed pass of each step): saving
 * it (ChainVerifier.snapshot() and JSON.stringify, as `--save-checkpoint` writes it) and resuming
 * it (JSON.parse and ChainVerifier.resume, digest checked), for a state holding many
 * contributions, in the packed version 2 and in version 1's objects of hex keys (still read).
 *
 * Signing hundreds of thousands of contributions would take minutes, so the state is a real
 * two-entry ledger's snapshot given `contributions` synthetic records (leaf hashes of their
 * index, varied amounts) and digested again: the verifier only checks the digest and the fields.
 */
import { ChainVerifier } from '../../protocol/chain.ts';
import { snapshotDigest } from '../../protocol/chain-snapshot.ts';
import { toBase64, toHex, utf8 } from '../../protocol/encoding.ts';
import type { JsonObject } from '../../protocol/jcs.ts';
import { LeafAmounts } from '../../protocol/leaf-maps.ts';
import { LedgerWriter } from '../../test-support/ledger.ts';
import { asVersion1 } from '../../test-support/snapshot-versions.ts';
import type { BenchCase, BenchSuite } from './harness.ts';

const DEFAULT_CONTRIBUTIONS = 100_000;

/** A version 2 snapshot holding `count` contributions, digested with `writer`'s backend. */
export function largeSnapshot(count: number, writer = new LedgerWriter()): JsonObject {
  writer.append({ kind: 'Update', title: 'hello', body: 'world' });
  const verifier = new ChainVerifier({ backend: writer.backend });
  for (const entry of writer.entries) verifier.push(entry);
  const contributions = new LeafAmounts();
  for (let i = 0; i < count; i++)
    contributions.set(toHex(writer.backend.sha256(utf8(`contribution ${i}`))), BigInt(500 + (i % 9973)));
  const { keys, amounts } = contributions.toBytes();
  const body: JsonObject = {
    ...verifier.snapshot(),
    contributions: { keys: toBase64(keys), amounts: toBase64(amounts) },
  };
  return { ...body, digest: snapshotDigest(body, writer.backend) };
}

function resume(text: string, writer: LedgerWriter): ChainVerifier {
  const r = ChainVerifier.resume(JSON.parse(text), { backend: writer.backend });
  if (!r.ok) throw new Error(`resume refused: ${r.reason.problem}`);
  return r.verifier;
}

function cases(count: number): BenchCase[] {
  const writer = new LedgerWriter();
  const v2 = largeSnapshot(count, writer);
  const v2Text = JSON.stringify(v2);
  const v1Text = JSON.stringify(asVersion1(v2, writer.backend));
  const verifier = resume(v2Text, writer);
  const unit = 'contribution';
  return [
    {
      id: 'resume-v1',
      label: `resume, version 1 (${v1Text.length} bytes)`,
      op: () => resume(v1Text, writer),
      unit,
      perOp: count,
    },
    {
      id: 'resume-v2',
      label: `resume, version 2 (${v2Text.length} bytes)`,
      op: () => resume(v2Text, writer),
      baseline: 'resume-v1',
      unit,
      perOp: count,
    },
    {
      id: 'save-v2',
      label: 'save, version 2',
      op: () => JSON.stringify(verifier.snapshot()),
      unit,
      perOp: count,
    },
  ];
}

/** The harness suite. */
export const suite: BenchSuite = {
  description: `audit state of ${DEFAULT_CONTRIBUTIONS.toLocaleString('en-US')} contributions: save and resume, version 2 against version 1`,
  setup: () => cases(DEFAULT_CONTRIBUTIONS),
};

/** One timed pass of each step, printed in milliseconds. */
export function run(count = DEFAULT_CONTRIBUTIONS): void {
  const writer = new LedgerWriter();
  const time = <T>(label: string, f: () => T): T => {
    const started = performance.now();
    const result = f();
    console.log(`${label.padEnd(44)} ${Math.round(performance.now() - started)} ms`);
    return result;
  };
  const v2 = largeSnapshot(count, writer);
  const v1Text = JSON.stringify(asVersion1(v2, writer.backend));
  const v2Text = JSON.stringify(v2);
  console.log(`${count} contributions: version 1 ${v1Text.length} bytes, version 2 ${v2Text.length} bytes`);
  time('resume version 1 (JSON.parse + resume)', () => resume(v1Text, writer));
  const verifier = time('resume version 2 (JSON.parse + resume)', () => resume(v2Text, writer));
  const snapshot = time('save version 2: snapshot()', () => verifier.snapshot());
  time('save version 2: JSON.stringify', () => JSON.stringify(snapshot));
}

if (import.meta.main) run(Number(process.argv[2] ?? DEFAULT_CONTRIBUTIONS));
