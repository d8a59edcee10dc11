import fc from 'fast-check';
import t from 'tap';
import { CURRENCIES } from './currencies.ts';
import {
  AmountError,
  type AmountFailure,
  addAmounts,
  currencyDigits,
  describeAmountFailure,
  formatAmount,
  isCurrency,
  isFundCode,
  isWireAmount,
  MAX_MINOR_UNITS,
  parseAmount,
  parseWireAmount,
} from './money.ts';

t.test('currency table', async (t) => {
  const expected: [string, number][] = [
    ['EUR', 2],
    ['USD', 2],
    ['GBP', 2],
    ['CHF', 2],
    ['XOF', 0],
    ['XAF', 0],
    ['XPF', 0],
    ['XCD', 2],
    ['JPY', 0],
    ['KRW', 0],
    ['ISK', 0],
    ['CLP', 0],
    ['VND', 0],
    ['UGX', 0],
    ['PYG', 0],
    ['UYI', 0],
    ['KWD', 3],
    ['BHD', 3],
    ['JOD', 3],
    ['OMR', 3],
    ['TND', 3],
    ['IQD', 3],
    ['LYD', 3],
    ['CLF', 4],
    ['UYW', 4],
    ['SLE', 2],
    ['ZWG', 2],
    ['VED', 2],
    ['XCG', 2],
  ];
  for (const [code, digits] of expected)
    t.equal(currencyDigits(code), digits, `${code} has ${digits} digits`);
  for (const code of ['XAU', 'XAG', 'XPD', 'XPT', 'XDR', 'XUA', 'XSU', 'XTS', 'XXX', 'XBA', 'XAD']) {
    t.notOk(isCurrency(code), `${code} is not money a collective holds`);
  }
  for (const code of ['HRK', 'SLL', 'ZWL', 'VEF', 'MRO', 'STD', 'BYR', 'LTL', 'FRF', 'DEM']) {
    t.notOk(isCurrency(code), `${code} was withdrawn before the 2026 list`);
  }
  for (const code of ['eur', 'Eur', 'EU', 'EURO', '', 'constructor', '__proto__', 'toString']) {
    t.notOk(isCurrency(code), `${JSON.stringify(code)} is not a code`);
    t.equal(currencyDigits(code), undefined);
  }
  t.ok(isFundCode('CLF'), 'CLF is a funds code');
  t.notOk(isFundCode('EUR'), 'EUR is a currency');
  t.equal(CURRENCIES.length, new Set(CURRENCIES.map((c) => c.code)).size, 'no duplicate code');
  t.ok(CURRENCIES.length >= 160, `${CURRENCIES.length} codes`);
  t.ok(
    CURRENCIES.every((c) => /^[A-Z]{3}$/.test(c.code) && [0, 2, 3, 4].includes(c.digits) && c.name !== ''),
  );
  t.same(
    CURRENCIES.map((c) => c.code),
    CURRENCIES.map((c) => c.code).sort(),
    'sorted by code',
  );
});

// [text, currency, minor units]: accepted by both the wire and the form parsers.
const goodWire: [string, string, bigint][] = [
  ['25.00', 'EUR', 2500n],
  ['0.00', 'EUR', 0n],
  ['0.01', 'EUR', 1n],
  ['0.10', 'EUR', 10n],
  ['1000', 'JPY', 1000n],
  ['0', 'JPY', 0n],
  ['0.500', 'KWD', 500n],
  ['12.345', 'BHD', 12345n],
  ['1.2345', 'CLF', 12345n],
  ['0.0001', 'UYW', 1n],
  ['9999999999999.99', 'EUR', 999999999999999n],
  ['999999999999999', 'JPY', 999999999999999n],
  ['999999999999.999', 'KWD', 999999999999999n],
  ['99999999999.9999', 'CLF', 999999999999999n],
];

// [text, currency, reason], rejected by both parsers with the same reason.
const badBoth: [unknown, string, AmountFailure['type']][] = [
  ['25.001', 'EUR', 'tooManyDecimals'],
  ['25.0', 'JPY', 'tooManyDecimals'],
  ['0.5000', 'KWD', 'tooManyDecimals'],
  ['-0', 'EUR', 'negativeZero'],
  ['-0.00', 'EUR', 'negativeZero'],
  ['-0', 'JPY', 'negativeZero'],
  ['-25.00', 'EUR', 'negative'],
  ['-1', 'JPY', 'negative'],
  ['-1e3', 'JPY', 'negative'],
  ['1e3', 'JPY', 'exponent'],
  ['1E3', 'EUR', 'exponent'],
  ['2.5e+1', 'EUR', 'exponent'],
  ['.5e2', 'EUR', 'exponent'],
  ['', 'EUR', 'empty'],
  ['25,00', 'EUR', 'comma'],
  ['1,000.00', 'EUR', 'comma'],
  ['1,000', 'JPY', 'comma'],
  ['10000000000000.00', 'EUR', 'tooLong'],
  ['1000000000000000', 'JPY', 'tooLong'],
  ['1000000000000.000', 'KWD', 'tooLong'],
  ['9'.repeat(100000), 'JPY', 'tooLong'],
  ['025.00', 'EUR', 'leadingZero'],
  ['00', 'JPY', 'leadingZero'],
  ['00.50', 'EUR', 'leadingZero'],
  ['+25.00', 'EUR', 'syntax'],
  ['25.', 'EUR', 'syntax'],
  ['.50', 'EUR', 'syntax'],
  ['25.00.00', 'EUR', 'syntax'],
  ['0x10', 'JPY', 'syntax'],
  ['Infinity', 'EUR', 'syntax'],
  ['NaN', 'EUR', 'syntax'],
  ['25 EUR', 'EUR', 'syntax'],
  ['€25.00', 'EUR', 'syntax'],
  ['2 500.00', 'EUR', 'syntax'],
  ['٢٥', 'JPY', 'syntax'],
  ['e3', 'JPY', 'syntax'],
  ['-', 'EUR', 'syntax'],
  ['--5', 'EUR', 'syntax'],
  ['-abc', 'EUR', 'syntax'],
  ['25.00', 'XYZ', 'unknownCurrency'],
  ['25.00', 'eur', 'unknownCurrency'],
  ['25', 'XAU', 'unknownCurrency'],
  [25, 'JPY', 'notString'],
  [25.5, 'EUR', 'notString'],
  [null, 'EUR', 'notString'],
  [2500n, 'EUR', 'notString'],
];

t.test('good wire amounts parse exactly, in both parsers, and format back', async (t) => {
  for (const [text, currency, minor] of goodWire) {
    t.same(parseWireAmount(text, currency), { ok: true, minor }, `wire ${text} ${currency}`);
    t.same(parseAmount(text, currency), { ok: true, minor }, `input ${text} ${currency}`);
    t.ok(isWireAmount(text, currency));
    t.equal(formatAmount(minor, currency), text, `format ${minor} ${currency}`);
  }
});

t.test('bad amounts are rejected with the tagged reason, by both parsers', async (t) => {
  for (const [text, currency, type] of badBoth) {
    const label = `${typeof text === 'string' ? JSON.stringify(text.slice(0, 20)) : String(text)} ${currency}`;
    for (const [name, result] of [
      ['wire', parseWireAmount(text, currency)],
      ['input', parseAmount(text, currency)],
    ] as const) {
      t.equal(result.ok ? 'ok' : result.reason.type, type, `${name} ${label}`);
    }
    t.notOk(isWireAmount(text, currency));
  }
});

t.test('reasons carry what the message needs', async (t) => {
  t.same(parseWireAmount('25.001', 'EUR'), {
    ok: false,
    reason: { type: 'tooManyDecimals', currency: 'EUR', digits: 2, found: 3 },
  });
  t.same(parseWireAmount('25.5', 'EUR'), {
    ok: false,
    reason: { type: 'missingDecimals', currency: 'EUR', digits: 2, found: 1 },
  });
  t.same(parseWireAmount('1000000000000000', 'JPY'), {
    ok: false,
    reason: { type: 'tooLong', maxDigits: 15 },
  });
  t.same(parseWireAmount('1', 'ABC'), { ok: false, reason: { type: 'unknownCurrency', currency: 'ABC' } });
});

t.test('the wire form demands every minor digit; the form parser fills them in', async (t) => {
  const cases: [string, string, bigint, number][] = [
    ['25', 'EUR', 2500n, 0],
    ['25.5', 'EUR', 2550n, 1],
    ['0', 'EUR', 0n, 0],
    ['0.5', 'KWD', 500n, 1],
    ['0.50', 'KWD', 500n, 2],
    ['3', 'CLF', 30000n, 0],
    ['9999999999999', 'EUR', 999999999999900n, 0],
  ];
  for (const [text, currency, minor, found] of cases) {
    const digits = currencyDigits(currency) as number;
    t.same(
      parseWireAmount(text, currency),
      {
        ok: false,
        reason: { type: 'missingDecimals', currency, digits, found },
      },
      `wire ${text} ${currency}`,
    );
    t.same(parseAmount(text, currency), { ok: true, minor }, `input ${text} ${currency}`);
  }
});

t.test('the form parser trims whitespace; the wire form does not', async (t) => {
  for (const text of [' 25.00', '25.00 ', '\t25.00\n', '\u00a025.00']) {
    t.same(parseAmount(text, 'EUR'), { ok: true, minor: 2500n }, JSON.stringify(text));
    t.same(parseWireAmount(text, 'EUR'), { ok: false, reason: { type: 'syntax' } });
  }
  t.same(parseAmount('   ', 'EUR'), { ok: false, reason: { type: 'empty' } }, 'only spaces is empty');
  t.same(parseAmount(' -5 ', 'EUR'), { ok: false, reason: { type: 'negative' } });
});

t.test('sums are exact where floats are not', async (t) => {
  t.not(0.1 + 0.2, 0.3, 'the float trap this module avoids');
  const a = parseWireAmount('0.10', 'EUR');
  const b = parseWireAmount('0.20', 'EUR');
  if (!a.ok || !b.ok) throw new Error('parse failed');
  const sum = addAmounts(a.minor, b.minor);
  t.ok(sum.ok);
  if (sum.ok) t.equal(formatAmount(sum.minor, 'EUR'), '0.30');
  // Past 2^53 a double can no longer tell 9007199254740993 from its neighbour; bigint can.
  const big = addAmounts(999999999999998n, 1n);
  t.same(big, { ok: true, minor: 999999999999999n });
  t.same(addAmounts(MAX_MINOR_UNITS, 1n), { ok: false, reason: { type: 'tooLong', maxDigits: 15 } });
  t.same(addAmounts(5n, -1n), { ok: false, reason: { type: 'negative' } });
  t.same(addAmounts(), { ok: true, minor: 0n });
  // One hundred payments of 0.01 are exactly 1.00.
  const cents = Array.from({ length: 100 }, () => 1n);
  const total = addAmounts(...cents);
  t.ok(total.ok && formatAmount(total.minor, 'EUR') === '1.00');
});

t.test('formatAmount refuses what the wire form cannot carry', async (t) => {
  t.equal(formatAmount(5n, 'EUR'), '0.05');
  t.equal(formatAmount(5n, 'KWD'), '0.005');
  t.equal(formatAmount(5n, 'CLF'), '0.0005');
  t.equal(formatAmount(5n, 'JPY'), '5');
  t.throws(() => formatAmount(-1n, 'EUR'), { name: 'AmountError', reason: { type: 'negative' } });
  t.throws(() => formatAmount(MAX_MINOR_UNITS + 1n, 'EUR'), {
    name: 'AmountError',
    reason: { type: 'tooLong' },
  });
  t.throws(() => formatAmount(1n, 'XAU'), {
    name: 'AmountError',
    reason: { type: 'unknownCurrency', currency: 'XAU' },
  });
  const error = new AmountError({ type: 'negative' });
  t.equal(error.message, describeAmountFailure({ type: 'negative' }));
});

t.test('every failure has a distinct human message naming the fix', async (t) => {
  const reasons: AmountFailure[] = [
    { type: 'unknownCurrency', currency: 'XYZ' },
    { type: 'notString' },
    { type: 'empty' },
    { type: 'syntax' },
    { type: 'tooManyDecimals', currency: 'EUR', digits: 2, found: 3 },
    { type: 'tooManyDecimals', currency: 'JPY', digits: 0, found: 2 },
    { type: 'missingDecimals', currency: 'EUR', digits: 2, found: 0 },
    { type: 'missingDecimals', currency: 'KWD', digits: 3, found: 1 },
    { type: 'negative' },
    { type: 'negativeZero' },
    { type: 'exponent' },
    { type: 'comma', currency: 'EUR', digits: 2 },
    { type: 'comma', currency: 'JPY', digits: 0 },
    { type: 'tooLong', maxDigits: 15 },
    { type: 'leadingZero' },
  ];
  const messages = reasons.map(describeAmountFailure);
  t.equal(new Set(messages).size, messages.length, 'distinct');
  for (const message of messages) t.match(message, /^[A-Z"].+\.$/, message);
  t.match(describeAmountFailure(reasons[4] as AmountFailure), /at most 2 decimals.*25\.00/);
  t.match(describeAmountFailure(reasons[5] as AmountFailure), /JPY amounts have no decimals/);
  t.match(describeAmountFailure(reasons[7] as AmountFailure), /exactly 3 decimals, like 25\.000/);
  t.match(describeAmountFailure(reasons[11] as AmountFailure), /point.*1000,00/);
  t.match(describeAmountFailure(reasons[0] as AmountFailure), /"XYZ"/);
});

const DIGIT_CURRENCIES = ['JPY', 'EUR', 'KWD', 'CLF'] as const;

t.test('property: every safe minor amount formats then parses back identically', async (t) => {
  fc.assert(
    fc.property(
      fc.bigInt({ min: 0n, max: BigInt(Number.MAX_SAFE_INTEGER) }),
      fc.constantFrom(...DIGIT_CURRENCIES),
      (minor, currency) => {
        if (minor > MAX_MINOR_UNITS) {
          try {
            formatAmount(minor, currency);
            return false;
          } catch (error) {
            return error instanceof AmountError && error.reason.type === 'tooLong';
          }
        }
        const text = formatAmount(minor, currency);
        const wire = parseWireAmount(text, currency);
        const input = parseAmount(text, currency);
        return wire.ok && wire.minor === minor && input.ok && input.minor === minor;
      },
    ),
    { numRuns: 2000 },
  );
  // The boundaries, which random draws rarely hit.
  for (const currency of DIGIT_CURRENCIES) {
    for (const minor of [0n, 1n, 9n, 10n, 99n, 100n, MAX_MINOR_UNITS]) {
      const back = parseWireAmount(formatAmount(minor, currency), currency);
      t.same(back, { ok: true, minor }, `${minor} ${currency}`);
    }
  }
});

t.test('property: a wire string that parses is canonical, and the form parser agrees', async (t) => {
  const numberish = fc.stringMatching(/^-?[0-9]{0,17}(\.[0-9]{0,5})?$/);
  fc.assert(
    fc.property(numberish, fc.constantFrom(...DIGIT_CURRENCIES), (text, currency) => {
      const wire = parseWireAmount(text, currency);
      if (!wire.ok) return true;
      const input = parseAmount(text, currency);
      return formatAmount(wire.minor, currency) === text && input.ok && input.minor === wire.minor;
    }),
    { numRuns: 3000 },
  );
  t.pass('checked');
});

t.test('property: the parsers never throw, whatever the text', async (t) => {
  fc.assert(
    fc.property(
      fc.oneof(fc.string(), fc.anything()),
      fc.constantFrom('EUR', 'JPY', 'KWD', 'CLF', 'XYZ'),
      (text, c) => {
        const wire = parseWireAmount(text, c);
        const input = parseAmount(text, c);
        return typeof wire.ok === 'boolean' && typeof input.ok === 'boolean';
      },
    ),
    { numRuns: 2000 },
  );
  t.pass('checked');
});

t.test('property: the form parser agrees with exact decimal arithmetic', async (t) => {
  // Build the expected minor units from whole and fraction separately, then compare.
  fc.assert(
    fc.property(
      fc.bigInt({ min: 0n, max: 10n ** 11n }),
      fc.constantFrom(...DIGIT_CURRENCIES),
      fc.nat({ max: 4 }),
      fc.nat(),
      (whole, currency, fractionLength, fractionSeed) => {
        const digits = currencyDigits(currency) as number;
        const length = Math.min(fractionLength, digits);
        const fraction = length === 0 ? '' : String(fractionSeed % 10 ** length).padStart(length, '0');
        const text = fraction === '' ? `${whole}` : `${whole}.${fraction}`;
        const expected =
          whole * 10n ** BigInt(digits) + (fraction === '' ? 0n : BigInt(fraction.padEnd(digits, '0')));
        const result = parseAmount(text, currency);
        if (expected > MAX_MINOR_UNITS) return !result.ok && result.reason.type === 'tooLong';
        return result.ok && result.minor === expected;
      },
    ),
    { numRuns: 2000 },
  );
  t.pass('checked');
});
