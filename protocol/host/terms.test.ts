import t from 'tap';
import { areTermsValid, hostFee, hostFeeMinor, parseTerms } from './terms.ts';

const TERMS = {
  feeBasisPoints: 500,
  currency: 'EUR',
  expensePolicy: 'Receipts for everything above 20 euros.',
  autoCountersignLimit: '100.00',
  twoAdminThreshold: '1000.00',
  bankAccount: { holder: 'Brussels Together ASBL', iban: 'BE71096123456769', bic: 'GKCCBEBB' },
};

t.test('valid terms parse with their limits in minor units', async (t) => {
  const parsed = parseTerms(TERMS);
  t.ok(parsed.ok);
  if (!parsed.ok) return;
  t.equal(parsed.terms.autoLimitMinor, 10000n);
  t.equal(parsed.terms.twoAdminMinor, 100000n);
  const jpy = parseTerms({
    ...TERMS,
    currency: 'JPY',
    autoCountersignLimit: '10000',
    twoAdminThreshold: '100000',
  });
  t.ok(jpy.ok && jpy.terms.twoAdminMinor === 100000n, 'JPY has no minor digits');
});

t.test('bad terms are refused with a reason', async (t) => {
  t.same(parseTerms({ ...TERMS, feeBasisPoints: 10_001 }), {
    ok: false,
    reason: { type: 'schemaViolation', path: '/feeBasisPoints', message: 'must be <= 10000' },
  });
  t.match(parseTerms({ ...TERMS, extra: 1 }), {
    ok: false,
    reason: { type: 'schemaViolation', path: '/extra' },
  });
  t.match(parseTerms({ ...TERMS, expensePolicy: undefined }), {
    ok: false,
    reason: { path: '/expensePolicy' },
  });
  t.same(parseTerms({ ...TERMS, autoCountersignLimit: '100.0' }), {
    ok: false,
    reason: { type: 'badAmount', field: 'autoCountersignLimit', problem: 'missingDecimals' },
  });
  t.same(parseTerms({ ...TERMS, currency: 'XYZ' }), {
    ok: false,
    reason: { type: 'badAmount', field: 'autoCountersignLimit', problem: 'unknownCurrency' },
  });
  t.same(parseTerms({ ...TERMS, twoAdminThreshold: '50.00' }), {
    ok: false,
    reason: { type: 'thresholdBelowAutoLimit' },
  });
  t.notOk(areTermsValid({ ...TERMS, feeBasisPoints: 2.5 }));
  t.notOk(areTermsValid({ ...TERMS, bankAccount: { holder: 'x', iban: 'not an iban' } }));
});

t.test('fees are exact and rounded down to the minor unit', async (t) => {
  t.equal(hostFeeMinor(10000n, 500), 500n, '5 % of 100.00');
  t.equal(hostFeeMinor(99n, 500), 4n, '5 % of 0.99 is 0.0495, taken as 0.04');
  t.equal(hostFeeMinor(1n, 9999), 0n);
  t.equal(hostFeeMinor(999_999_999_999_999n, 10_000), 999_999_999_999_999n, 'no float loss at 15 digits');
  t.equal(hostFeeMinor(999_999_999_999_999n, 333), 33_299_999_999_999n);
  t.equal(hostFee('25.00', 'EUR', 750), '1.87', '7.5 % of 25.00 is 1.875');
  t.equal(hostFee('1000', 'JPY', 250), '25');
  t.throws(() => hostFeeMinor(-1n, 500), RangeError);
  t.throws(() => hostFeeMinor(1n, 10_001), RangeError);
  t.throws(() => hostFee('25', 'EUR', 500), RangeError);
});
