import t from 'tap';
import {
  findStructured,
  formatStructured,
  isStructured,
  MAX_STRUCTURED_NUMBER,
  parseStructured,
  structuredCheckDigits,
} from './structured.ts';

// Check digits computed independently here with Number arithmetic (exact below 2^53).
function independentCheck(n: number): string {
  const r = n % 97;
  return String(r === 0 ? 97 : r).padStart(2, '0');
}

t.test('the example of the issue and the remainder-0 rule', async (t) => {
  t.equal(formatStructured(1234567890n), '+++123/4567/89002+++');
  t.equal(formatStructured(0n), '+++000/0000/00097+++', 'remainder 0 is written 97');
  t.equal(formatStructured(97n * 12345n), `+++000/1197/46597+++`);
  t.equal(structuredCheckDigits(MAX_STRUCTURED_NUMBER), independentCheck(9_999_999_999));
  t.throws(() => formatStructured(MAX_STRUCTURED_NUMBER + 1n), RangeError);
  t.throws(() => formatStructured(-1n), RangeError);
});

t.test('check digits agree with an independent computation over many numbers', async (t) => {
  let seed = 12345;
  for (let i = 0; i < 2000; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const n = Math.floor((seed / 2 ** 31) * 9_999_999_999);
    const text = formatStructured(BigInt(n));
    t.equal(text.slice(-5, -3), independentCheck(n), `digits of ${n}`) || t.bailout();
    const parsed = parseStructured(text);
    if (!parsed.ok || parsed.number !== BigInt(n)) t.fail(`round trip of ${n}`);
  }
});

t.test('reads the usual printed forms and refuses bad ones with a reason', async (t) => {
  for (const form of [
    '+++123/4567/89002+++',
    '***123/4567/89002***',
    '123456789002',
    ' +++123 / 4567 / 89002 +++ ',
    '+++123456789002+++',
  ]) {
    const parsed = parseStructured(form);
    t.same(parsed, { ok: true, number: 1234567890n, reference: '+++123/4567/89002+++' }, form);
  }
  t.same(parseStructured('+++123/4567/89003+++'), {
    ok: false,
    reason: { type: 'checkDigits', expected: '02', actual: '03' },
  });
  t.same(parseStructured('+++123/4567/89002***'), { ok: false, reason: { type: 'syntax' } }, 'mixed frames');
  t.same(parseStructured('12345678900'), { ok: false, reason: { type: 'syntax' } }, 'eleven digits');
  t.same(parseStructured('BE71096123456769'), { ok: false, reason: { type: 'syntax' } });
  t.notOk(isStructured(''));
  t.notOk(isStructured(`+++${'1'.repeat(100)}+++`));
});

t.test('finds a reference inside a bank statement description', async (t) => {
  t.equal(
    findStructured('VIREMENT DE A. DUPONT COMMUNICATION: ***123/4567/89002*** DATE 01/12'),
    '+++123/4567/89002+++',
  );
  t.equal(findStructured('ref 123456789002 thanks'), '+++123/4567/89002+++');
  t.equal(findStructured('IBAN BE71096123456769 no reference'), undefined, 'IBAN digits are not a reference');
  t.equal(
    findStructured('+++123/4567/89003+++ then 123456789002'),
    '+++123/4567/89002+++',
    'skips a bad one',
  );
});
