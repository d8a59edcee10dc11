// An audit handed each line's bytes (the CLI's fast path: a line found canonical by one scan of its
// bytes is the leaf as is) gives exactly the verdict of an audit that canonicalizes every entry
// and compares, on valid random ledgers and on lines tampered with at the byte level: flipped
// characters, whitespace, reordered members, escapes, numbers JSON.parse reads but JCS writes
// otherwise, lone surrogates.
import fc from 'fast-check';
import t from 'tap';
import { type Action, ledgerArb, randomLedger } from '../../test-support/random-ledger.ts';
import { ChainVerifier } from '../chain.ts';
import type { CryptoBackend } from '../crypto.ts';
import { fromUtf8, utf8 } from '../encoding.ts';
import { canonicalize } from '../jcs.ts';
import { LedgerAudit } from './ledger.ts';

type Tamper = (text: string, n: number) => string;

const TAMPERS: Record<string, Tamper> = {
  flip: (text, n) => {
    const p = n % text.length;
    return text.slice(0, p) + (text[p] === 'a' ? 'b' : 'a') + text.slice(p + 1);
  },
  space: (text, n) => {
    const p = 1 + (n % (text.length - 1));
    return `${text.slice(0, p)} ${text.slice(p)}`;
  },
  reorder: (text) => {
    const value = JSON.parse(text) as Record<string, unknown>;
    const { proof, ...rest } = value;
    return JSON.stringify({ proof, ...rest });
  },
  escape: (text) => text.replace('"Note"', '"\\u004eote"'),
  surrogate: (text) => text.replace('"Note"', '"\\ud800"'),
  minusZero: (text) => text.replace(/"seq":(\d+)/, (_, d) => `"seq":${d}.0`),
  exponent: (text) => text.replace(/"seq":(\d+)/, (_, d) => `"seq":${d}e0`),
  duplicate: (text) => text.replace('"type":"Note"', '"type":"Note","type":"Note"'),
  bom: (text) => `\ufeff${text}`,
  // The proof's @context must equal the document's; the fast path compares them as values.
  proofContext: (text) => {
    const value = JSON.parse(text) as Record<string, Record<string, unknown>>;
    const proof = value.proof as Record<string, unknown>;
    return canonicalize({ ...value, proof: { ...proof, '@context': ['https://example.org/other'] } });
  },
  documentContext: (text) => {
    const value = JSON.parse(text) as Record<string, unknown>;
    return canonicalize({ ...value, '@context': 'https://www.w3.org/ns/activitystreams' });
  },
  nestedProof: (text) => {
    // A member whose text is the entry's own proof, nested before it: the cut must not guess.
    const value = JSON.parse(text) as Record<string, unknown>;
    return canonicalize({ ...value, context: { proof: value.proof } });
  },
};

/**
 * The steps of an audit over `lines`: handed each line's bytes, or (the reference) handed only the
 * value, the line then compared with its canonical text here, as the audit's own check does.
 */
function walk(lines: string[], withLine: boolean, backend: CryptoBackend) {
  const audit = new LedgerAudit({ backend });
  const steps: unknown[] = [];
  for (const text of lines) {
    const bytes = utf8(text);
    let value: unknown;
    try {
      value = JSON.parse(fromUtf8(bytes));
    } catch {
      steps.push('notJson');
      break;
    }
    const step = withLine ? audit.push(value, bytes) : audit.push(value);
    if (step.ok && !withLine && canonicalize(value) !== text) {
      steps.push({ type: 'notCanonical', seq: step.seq });
      break;
    }
    steps.push(step.ok ? { seq: step.seq, leafHash: [...step.leafHash] } : step.failure);
    if (!step.ok) break;
  }
  return { steps, summary: audit.summary() };
}

t.test('the same verdict with and without the line bytes, on valid and tampered ledgers', async (t) => {
  const seen = new Set<string>();
  let failed = 0;
  fc.assert(
    fc.property(
      ledgerArb,
      fc.constantFrom(...Object.keys(TAMPERS)),
      fc.nat(),
      fc.nat(),
      (actions, name, k, n) => {
        const { writer } = randomLedger(actions);
        const lines = writer.entries.map((e) => canonicalize(e));
        const valid = walk(lines, true, writer.backend);
        if ((valid.steps.at(-1) as { seq?: number }).seq !== lines.length - 1) return false;
        const i = k % lines.length;
        lines[i] = (TAMPERS[name] as Tamper)(lines[i] as string, n);
        seen.add(name);
        const fast = walk(lines, true, writer.backend);
        const slow = walk(lines, false, writer.backend);
        if (fast.steps.length < lines.length) failed += 1;
        t.same(fast, slow, `${name} at ${i}`);
        return true;
      },
    ),
    { numRuns: 120, seed: 1729 },
  );
  t.same([...seen].sort(), Object.keys(TAMPERS).sort(), 'every tamper was tried');
  t.ok(failed > 80, `most tampers fail the audit (${failed} of 120)`);
});

t.test('a canonical line is the leaf as it is: the scan takes it, nothing is serialized again', async (t) => {
  const { writer } = randomLedger(fc.sample(ledgerArb, { numRuns: 1, seed: 42 })[0] as Action[]);
  const verifier = new ChainVerifier({ backend: writer.backend });
  let taken = 0;
  for (const entry of writer.entries) {
    const line = utf8(canonicalize(entry));
    const step = verifier.push(JSON.parse(fromUtf8(line)), line);
    if (step.ok && step.leaf === line) taken += 1;
  }
  t.equal(taken, writer.entries.length, `every one of ${writer.entries.length} lines`);
});
