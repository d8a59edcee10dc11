import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { canonicalize as referenceCanonicalize } from 'json-canonicalize';
import t, { type Test } from 'tap';
import { readVectorJson, readVectorText, VECTORS_DIR } from '../test-support/vectors.ts';
import { fromHex, toHex, utf8 } from './encoding.ts';
import { assertJson, CanonicalizationError, canonicalBytes, canonicalize, MAX_JSON_DEPTH } from './jcs.ts';

const corpus = readVectorJson<{
  cases: { name: string; inputText: string; expectedCanonicalUtf8Hex: string }[];
  es6NumberSamples_ieeeHex_to_expected: [string, string][];
}>('rfc8785-jcs.json');

t.test('RFC 8785 reference files: input -> output, byte for byte', async (t) => {
  const names = readdirSync(join(VECTORS_DIR, 'rfc8785-jcs/input')).filter((n) => n.endsWith('.json'));
  t.equal(names.length, 6, 'the six reference inputs');
  for (const name of names) {
    const base = name.replace(/\.json$/, '');
    const bytes = canonicalBytes(JSON.parse(readVectorText(`rfc8785-jcs/input/${name}`)));
    t.equal(toHex(bytes), toHex(utf8(readVectorText(`rfc8785-jcs/output/${name}`))), `${base}: output/`);
    t.equal(
      toHex(bytes),
      readVectorText(`rfc8785-jcs/outhex/${base}.txt`).replace(/\s+/g, ''),
      `${base}: outhex/`,
    );
  }
});

t.test('RFC 8785 corpus (rfc8785-jcs.json)', async (t) => {
  t.equal(corpus.cases.length, 6);
  for (const c of corpus.cases) {
    t.equal(toHex(canonicalBytes(JSON.parse(c.inputText))), c.expectedCanonicalUtf8Hex, c.name);
  }
});

t.test('ES6 number serialisation samples', async (t) => {
  for (const [ieeeHex, expected] of corpus.es6NumberSamples_ieeeHex_to_expected) {
    const view = new DataView(fromHex(ieeeHex.padStart(16, '0')).buffer);
    t.equal(canonicalize(view.getFloat64(0)), expected, `0x${ieeeHex} -> ${expected}`);
  }
});

/** Asserts that canonicalizing `value` fails at JSON Pointer `path`. */
function rejects(t: Test, value: unknown, path: string, what: string): void {
  t.test(what, async (t) => {
    let caught: unknown;
    try {
      canonicalize(value);
    } catch (error) {
      caught = error;
    }
    t.ok(caught instanceof CanonicalizationError, 'a CanonicalizationError');
    t.equal((caught as CanonicalizationError | undefined)?.path, path, `at ${path === '' ? '(root)' : path}`);
  });
}

class Money {
  cents = 100;
}
const sparse: unknown[] = [1];
sparse[2] = 3;
function nested(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

t.test('values JSON cannot carry faithfully are refused with a JSON Pointer', async (t) => {
  rejects(t, { a: 'x\uD800' }, '/a', 'lone high surrogate in a value');
  rejects(t, { a: ['ok', '\uDC00y'] }, '/a/1', 'lone low surrogate in an array');
  rejects(t, { 'k\uDBFF': 1 }, '/k\uDBFF', 'lone surrogate in a key');
  rejects(t, '\uDC00\uD800', '', 'reversed pair at the root');
  rejects(t, { n: Number.NaN }, '/n', 'NaN');
  rejects(t, { n: [Number.POSITIVE_INFINITY] }, '/n/0', 'Infinity');
  rejects(t, { n: { m: Number.NEGATIVE_INFINITY } }, '/n/m', '-Infinity');
  rejects(t, { amount: 2500n }, '/amount', 'BigInt');
  rejects(t, { u: undefined }, '/u', 'undefined member');
  rejects(t, [undefined], '/0', 'undefined element');
  rejects(t, { f: () => 1 }, '/f', 'function');
  rejects(t, { s: Symbol('x') }, '/s', 'symbol');
  rejects(t, { when: new Date(0) }, '/when', 'Date');
  rejects(t, { m: new Money() }, '/m', 'class instance');
  rejects(t, { m: new Map() }, '/m', 'Map');
  rejects(t, { b: new Uint8Array(2) }, '/b', 'typed array');
  rejects(t, { list: sparse }, '/list/1', 'sparse array hole');
  rejects(t, { 'a/b': { 'c~d': Number.NaN } }, '/a~1b/c~0d', 'pointer escapes ~ and /');
  rejects(t, nested(MAX_JSON_DEPTH + 1), `${'/a'.repeat(MAX_JSON_DEPTH)}`, 'nesting beyond the limit');
  t.throws(() => canonicalize(nested(4), 3), CanonicalizationError, 'a caller-chosen depth limit');
});

t.test('accepted edge cases', async (t) => {
  t.equal(canonicalize(nested(MAX_JSON_DEPTH)).length > 0, true, 'exactly at the depth limit');
  t.equal(canonicalize({ s: '\uD83D\uDE02' }), '{"s":"\uD83D\uDE02"}', 'a proper surrogate pair');
  t.equal(
    canonicalize(Object.assign(Object.create(null), { b: 1, a: 2 })),
    '{"a":2,"b":1}',
    'null prototype',
  );
  t.equal(canonicalize(-0), '0', 'negative zero prints as 0');
  t.doesNotThrow(() => assertJson({ a: [1, 'x', null, true, { b: [] }] }));
});

// Generates JSON values with awkward strings (astral characters, controls, quotes) and numbers.
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.string({ unit: 'grapheme' }),
    fc.string({ unit: 'binary' }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string({ unit: 'binary', maxLength: 6 }), tie('value'), { maxKeys: 5 }),
  ),
})).value;

t.test('property: identical to json-canonicalize on any JSON value', async (t) => {
  fc.assert(
    fc.property(jsonValue, (value) => canonicalize(value) === referenceCanonicalize(value)),
    { numRuns: 2000 },
  );
  t.pass('2000 random values');
});

t.test('property: canonical text is a fixed point and parses back to the same value', async (t) => {
  fc.assert(
    fc.property(jsonValue, (value) => {
      const text = canonicalize(value);
      return canonicalize(JSON.parse(text)) === text;
    }),
    { numRuns: 1000 },
  );
  t.pass('1000 random values');
});

/** Independent of jcs.ts's regular expression: walks the UTF-16 code units pairing surrogates. */
function hasLoneSurrogate(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xdc00 && unit <= 0xdfff) return true;
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
      i++;
    }
  }
  return false;
}

t.test('property: any UTF-16 string is refused iff it has a lone surrogate', async (t) => {
  const units = fc.array(
    fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0xd800, max: 0xdfff })),
    { maxLength: 8 },
  );
  fc.assert(
    fc.property(units, fc.boolean(), (codes, asKey) => {
      const text = String.fromCharCode(...codes);
      const value = asKey ? { [text]: 1 } : [text];
      if (hasLoneSurrogate(text)) {
        try {
          canonicalize(value);
          return false;
        } catch (error) {
          return (
            error instanceof CanonicalizationError &&
            error.path === (asKey ? `/${text.replaceAll('~', '~0').replaceAll('/', '~1')}` : '/0')
          );
        }
      }
      return canonicalize(value) === referenceCanonicalize(value);
    }),
    { numRuns: 2000 },
  );
  t.pass('2000 random code-unit strings, as keys and as values');
});
