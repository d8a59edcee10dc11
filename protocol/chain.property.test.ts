// Property tests: random valid ledgers verify, and any single change fails with the reason and
// seq written down below for that change.
import fc from 'fast-check';
import t from 'tap';
import { clone } from '../test-support/ledger.ts';
import { eur, ledgerArb, randomLedger } from '../test-support/random-ledger.ts';
import { type ChainFailure, verifyChain } from './chain.ts';
import type { SignedEntry } from './entry/types.ts';

type Mutation = (entries: SignedEntry[]) => { entries: unknown[]; type: ChainFailure['type']; seq: number };

/** Each mutation, with the reason and seq it must give. `k` picks an entry (never the last for drops). */
function mutations(k: number, j: number, text: string): Record<string, Mutation> {
  const at = (entries: unknown[]) => k % entries.length;
  const tail = (entries: unknown[]) => 1 + (k % (entries.length - 1));
  return {
    // A flipped character in the sentence: the signature no longer covers the entry.
    flipContent: (entries) => {
      const copy = clone(entries);
      const i = at(copy);
      const e = copy[i] as { content: string };
      const p = j % e.content.length;
      e.content = e.content.slice(0, p) + (e.content[p] === 'x' ? 'y' : 'x') + e.content.slice(p + 1);
      return { entries: copy, type: proofReason(copy[i]), seq: i };
    },
    // A changed field that stays well-formed (the link text): still only the signature sees it.
    changeContent: (entries) => {
      const copy = clone(entries);
      const i = at(copy);
      (copy[i] as { content: string }).content += ` ${text}`;
      return { entries: copy, type: proofReason(copy[i]), seq: i };
    },
    flipProofValue: (entries) => {
      const copy = clone(entries);
      const i = at(copy);
      const proof = (copy[i] as SignedEntry).proof;
      const p = 1 + (j % (proof.proofValue.length - 1));
      const c = proof.proofValue[p] === '2' ? '3' : '2';
      proof.proofValue = proof.proofValue.slice(0, p) + c + proof.proofValue.slice(p + 1);
      return { entries: copy, type: proofReason(copy[i]), seq: i };
    },
    flipPrev: (entries) => {
      const copy = clone(entries);
      const i = tail(copy);
      const e = copy[i] as { prev: string };
      const p = j % 64;
      e.prev = e.prev.slice(0, p) + (e.prev[p] === '0' ? '1' : '0') + e.prev.slice(p + 1);
      return { entries: copy, type: 'prevMismatch', seq: i };
    },
    changeSeq: (entries) => {
      const copy = clone(entries);
      const i = at(copy);
      (copy[i] as { seq: number }).seq += 1 + (j % 3);
      return { entries: copy, type: 'seqGap', seq: i };
    },
    changeActor: (entries) => {
      const copy = clone(entries);
      const i = tail(copy);
      (copy[i] as { attributedTo: string }).attributedTo = 'https://evil.example/actors/x';
      return { entries: copy, type: 'wrongActor', seq: i };
    },
    changeKind: (entries) => {
      const copy = clone(entries);
      const i = at(copy);
      (copy[i] as { kind: string }).kind = `X${text}`;
      return { entries: copy, type: 'unknownKind', seq: i };
    },
    addMember: (entries) => {
      const copy = clone(entries);
      const i = at(copy);
      (copy[i] as unknown as Record<string, unknown>).note = text;
      return { entries: copy, type: 'schemaViolation', seq: i };
    },
    changePublished: (entries) => {
      const copy = clone(entries);
      const i = at(copy);
      (copy[i] as { published: string }).published = '1999-12-31T23:59:59Z';
      return { entries: copy, type: 'schemaViolation', seq: i };
    },
    // Another key id: the key check comes before the signature, and a rotation names its own reason.
    changeKeyId: (entries) => {
      const copy = clone(entries);
      const i = at(copy);
      const e = copy[i] as SignedEntry;
      e.proof.verificationMethod = `${e.attributedTo}#ledger-key-${99 + j}`;
      return {
        entries: copy,
        type: e.kind === 'KeyRotated' ? 'keyRotationInvalid' : 'keyNotLedgers',
        seq: i,
      };
    },
    // Swapping i < m: position i now holds seq m, a gap.
    reorder: (entries) => {
      const copy = clone(entries);
      const i = k % (copy.length - 1);
      const m = i + 1 + (j % (copy.length - 1 - i));
      [copy[i], copy[m]] = [copy[m] as SignedEntry, copy[i] as SignedEntry];
      return { entries: copy, type: 'seqGap', seq: i };
    },
    // Dropping any entry but the last (dropping the last leaves a valid prefix).
    drop: (entries) => {
      const copy = clone(entries);
      const i = k % (copy.length - 1);
      copy.splice(i, 1);
      return { entries: copy, type: 'seqGap', seq: i };
    },
    duplicate: (entries) => {
      const copy = clone(entries);
      const i = at(copy);
      copy.splice(i + 1, 0, clone(copy[i] as SignedEntry));
      return { entries: copy, type: 'seqDuplicate', seq: i + 1 };
    },
  };
}

/** A change only the signature sees: `badProof`, or for a rotation its own reason. */
function proofReason(entry: unknown): ChainFailure['type'] {
  return (entry as SignedEntry).kind === 'KeyRotated' ? 'keyRotationInvalid' : 'badProof';
}

const MUTATIONS = Object.keys(mutations(0, 0, ''));

t.test('random valid ledgers verify, and their balance is the model’s', async (t) => {
  fc.assert(
    fc.property(ledgerArb, (actions) => {
      const { writer, model } = randomLedger(actions);
      const result = verifyChain(writer.entries, { backend: writer.backend });
      if (!result.ok) throw new Error(JSON.stringify(result.reason));
      return result.summary.balance === eur(model.balance) && result.summary.entries === actions.length + 1;
    }),
    { numRuns: 25, seed: 20260101 },
  );
  t.pass('25 random ledgers verified');
});

t.test('any single change fails with the right reason at the right seq', async (t) => {
  const seen = new Set<string>();
  fc.assert(
    fc.property(
      ledgerArb,
      fc.constantFrom(...MUTATIONS),
      fc.nat(10_000),
      fc.nat(10_000),
      fc.string({ minLength: 1, maxLength: 8, unit: 'grapheme-ascii' }),
      (actions, name, k, j, text) => {
        const { writer } = randomLedger(actions);
        const mutate = mutations(k, j, text.replace(/[^A-Za-z0-9]/g, 'z'))[name] as Mutation;
        const { entries, type, seq } = mutate(writer.entries);
        const result = verifyChain(entries, { backend: writer.backend });
        seen.add(name);
        if (result.ok) throw new Error(`${name} at ${seq} still verifies`);
        if (result.reason.type !== type || result.seq !== seq) {
          throw new Error(`${name}: expected ${type} at ${seq}, got ${JSON.stringify(result.reason)}`);
        }
      },
    ),
    { numRuns: 250, seed: 42 },
  );
  t.same([...seen].sort(), [...MUTATIONS].sort(), 'every mutation was tried');
});
