import t from 'tap';
import { type CountersignFacts, decideCountersign, describeRefusal } from './policy.ts';
import { type ParsedTerms, parseTerms } from './terms.ts';

const parsed = parseTerms({
  feeBasisPoints: 500,
  currency: 'EUR',
  expensePolicy: 'Receipts please.',
  autoCountersignLimit: '100.00',
  twoAdminThreshold: '1000.00',
});
if (!parsed.ok) throw new Error('terms');
const terms: ParsedTerms = parsed.terms;

function facts(over: Partial<CountersignFacts> = {}): CountersignFacts {
  return {
    member: true,
    chain: { ok: true },
    hostDeclared: true,
    expense: { state: 'approved', amount: 5000n, currency: 'EUR' },
    balance: 200000n,
    committed: 0n,
    ...over,
  };
}
const amount = (minor: bigint) => ({
  expense: { state: 'approved' as const, amount: minor, currency: 'EUR' },
});

t.test('within policy: automatic, one admin above the limit, two above the threshold', async (t) => {
  t.same(decideCountersign(facts(), terms), { ok: true, approvals: 0, available: 200000n });
  t.match(
    decideCountersign(facts(amount(10000n)), terms),
    { ok: true, approvals: 0 },
    'the limit itself is automatic',
  );
  t.match(decideCountersign(facts(amount(10001n)), terms), { ok: true, approvals: 1 });
  t.match(decideCountersign(facts(amount(100000n)), terms), { ok: true, approvals: 1 });
  t.match(decideCountersign(facts(amount(100001n)), terms), { ok: true, approvals: 2 });
});

t.test('each refusal, in order', async (t) => {
  const failure = { type: 'badProof' as const, seq: 3, proof: { type: 'invalidSignature' as const } };
  const cases: [Partial<CountersignFacts>, unknown][] = [
    [{ member: false, chain: { ok: false, reason: failure } }, { type: 'notMember' }],
    [
      { chain: { ok: false, reason: failure }, hostDeclared: false },
      { type: 'chainInvalid', failure },
    ],
    [{ hostDeclared: false, expense: undefined }, { type: 'hostNotDeclared' }],
    [{ expense: undefined }, { type: 'unknownExpense' }],
    [
      { expense: { state: 'approved', amount: 1n, currency: 'USD' } },
      { type: 'currencyMismatch', expected: 'EUR', actual: 'USD' },
    ],
    [
      { expense: { state: 'pending', amount: 1n, currency: 'EUR' } },
      { type: 'notApproved', state: 'pending' },
    ],
    [
      { expense: { state: 'countersigned', amount: 1n, currency: 'EUR' } },
      { type: 'notApproved', state: 'countersigned' },
    ],
    [{ balance: 4999n }, { type: 'insufficientBalance', available: 4999n, amount: 5000n }],
    [
      { balance: 6000n, committed: 2000n },
      { type: 'insufficientBalance', available: 4000n, amount: 5000n },
    ],
    [
      { balance: 6000n, held: 3000n },
      { type: 'insufficientBalance', available: 3000n, amount: 5000n },
    ],
    [
      { balance: 1000n, committed: 2000n },
      { type: 'insufficientBalance', available: 0n, amount: 5000n },
    ],
  ];
  for (const [over, reason] of cases) t.same(decideCountersign(facts(over), terms), { ok: false, reason });
  t.match(
    decideCountersign(facts({ balance: 7000n, committed: 2000n, held: 9000n }), terms),
    {
      ok: true,
      available: 5000n,
    },
    'exactly enough, counting what is promised',
  );
});

t.test('refusals read as sentences with exact amounts', async (t) => {
  t.equal(
    describeRefusal({ type: 'insufficientBalance', available: 4999n, amount: 5000n }, 'EUR'),
    'The collective has 49.99 available, less than 50.00.',
  );
  t.equal(
    describeRefusal({ type: 'notApproved', state: 'pending' }, 'EUR'),
    'The expense is pending, not approved by the collective.',
  );
  t.match(
    describeRefusal({ type: 'chainInvalid', failure: { type: 'seqGap', seq: 4, found: 6 } }, 'EUR'),
    /entry 4 \(seqGap\)/,
  );
});
