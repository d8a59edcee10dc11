// isCanonicalText, withoutMember and withoutMemberBytes: the shortcuts an auditor takes when it holds the text an
// entry was parsed from. Soundness is what matters (true only for the canonical text, a cut only
// where canonicalize would put it); each case that must fall back is written down.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import t from 'tap';
import { readVectorText, VECTORS_DIR } from '../test-support/vectors.ts';
import { utf8 } from './encoding.ts';
import {
  canonicalize,
  isCanonicalText,
  type JsonObject,
  sameJson,
  withoutMember,
  withoutMemberBytes,
} from './jcs.ts';

/** JSON values as JSON.parse gives them. */
const jsonArb = fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);

t.test(
  'RFC 8785 reference files: the canonical output is recognised, the input only if it is canonical',
  async (t) => {
    const names = readdirSync(join(VECTORS_DIR, 'rfc8785-jcs/input')).filter((n) => n.endsWith('.json'));
    t.equal(names.length, 6, 'the six reference inputs');
    for (const name of names) {
      const input = readVectorText(`rfc8785-jcs/input/${name}`);
      const output = readVectorText(`rfc8785-jcs/output/${name}`);
      const value = JSON.parse(input);
      t.equal(isCanonicalText(value, input), input === canonicalize(value), `${name}: input`);
      // Escapes and integer-like keys may be left to canonicalize: a false is then not a verdict.
      const simple = !output.includes('\\u') && !/"\d+":/.test(output);
      t.ok(isCanonicalText(JSON.parse(output), output) || !simple, `${name}: output`);
    }
  },
);

t.test('property: true only for the canonical text, and true for it when it holds no escape', async (t) => {
  fc.assert(
    fc.property(jsonArb, fc.nat(), (value, n) => {
      const canonical = canonicalize(value);
      const texts = [
        canonical,
        JSON.stringify(value),
        JSON.stringify(value, null, 1 + (n % 3)),
        ` ${canonical}`,
      ];
      for (const text of texts) {
        if (isCanonicalText(value, text) && text !== canonical) return false;
      }
      const reparsed = JSON.parse(canonical);
      const simple = !canonical.includes('\\u') && !/"\d+":/.test(canonical);
      return !simple || isCanonicalText(reparsed, canonical);
    }),
    { numRuns: 500, seed: 8785 },
  );
  t.pass('500 values');
});

t.test('texts JSON.parse reads but canonicalize writes otherwise are not canonical', async (t) => {
  const cases: [string, string][] = [
    ['keys out of order', '{"b":1,"a":2}'],
    ['a duplicate key', '{"a":1,"a":2}'],
    ['minus zero', '{"a":-0}'],
    ['an exponent', '{"a":1e2}'],
    ['an overflowing number', '{"a":1e999}'],
    ['an escaped lone surrogate', '{"a":"\\ud800"}'],
    ['an escaped pair', '{"a":"\\ud83d\\ude00"}'],
    ['an escaped letter', '{"a":"\\u0041"}'],
    ['whitespace', '{"a": 1}'],
    ['integer-like keys', '{"10":1,"9":2}'],
  ];
  for (const [name, text] of cases) {
    t.notOk(isCanonicalText(JSON.parse(text), text), name);
  }
  t.notOk(isCanonicalText({ a: 1n }, '{"a":1}'), 'a bigint');
  t.notOk(isCanonicalText({ a: new Date(0) }, `{"a":${JSON.stringify(new Date(0))}}`), 'a Date');
  t.notOk(isCanonicalText({ a: Number.NaN }, '{"a":null}'), 'NaN');
  const deep = '['.repeat(70) + ']'.repeat(70);
  t.notOk(isCanonicalText(JSON.parse(deep), deep), 'nesting deeper than the bound');
  const cycle: Record<string, unknown> = {};
  cycle.a = cycle;
  t.notOk(isCanonicalText(cycle, '{}'), 'a cycle ends at the bound, not in a stack overflow');
});

t.test(
  'withoutMember: first, last, only and absent members, a nested twin, unsorted nested keys',
  async (t) => {
    const object = { a: 1, proof: { x: 1 }, z: [2] };
    t.equal(withoutMember(object, canonicalize(object), 'a'), '{"proof":{"x":1},"z":[2]}');
    t.equal(withoutMember(object, canonicalize(object), 'proof'), '{"a":1,"z":[2]}');
    t.equal(withoutMember(object, canonicalize(object), 'z'), '{"a":1,"proof":{"x":1}}');
    t.equal(withoutMember({ proof: 1 }, '{"proof":1}', 'proof'), '{}');
    t.equal(withoutMember(object, canonicalize(object), 'none'), canonicalize(object));
    const twin = { inner: { proof: { x: 1 } }, proof: { x: 1 } };
    t.equal(
      withoutMember(twin, canonicalize(twin), 'proof'),
      '{"inner":{"proof":{"x":1}}}',
      'the nested twin stays: the cut is counted from the end, not searched',
    );
    t.equal(withoutMember({ a: 1, b: 2 }, '{"a":1,"b":2}', 'b'), '{"a":1}');
    // Nested keys out of canonical order: the member's JSON.stringify text is not in the
    // canonical text, and the cut is counted.
    const unsorted = { a: { y: 1, x: 2 }, proof: { z: 1, b: [{ d: 1, c: 2 }] }, q: { s: 1, r: 2 } };
    t.equal(
      withoutMember(unsorted, canonicalize(unsorted), 'proof'),
      '{"a":{"x":2,"y":1},"q":{"r":2,"s":1}}',
    );
  },
);

t.test(
  'property: withoutMember is canonicalize without the member, withoutMemberBytes its UTF-8',
  async (t) => {
    // Plain JSON values, and full Unicode strings so that multi-byte characters and surrogate
    // pairs fall before, inside and after the cut member and long ASCII runs take the shortcut of
    // the length count.
    const text = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 8 }),
      fc.string({ minLength: 60, maxLength: 120 }),
    );
    const valueArb = fc.oneof(
      jsonArb,
      text,
      fc.array(text, { maxLength: 3 }),
      fc.dictionary(text, text, { maxKeys: 3 }),
    );
    const objectArb = fc.dictionary(text, valueArb, { minKeys: 1, maxKeys: 6 });
    let cut = 0;
    fc.assert(
      fc.property(objectArb, fc.nat(), (value, n) => {
        const object = JSON.parse(JSON.stringify(value)) as JsonObject;
        const keys = Object.keys(object);
        const key = keys[n % keys.length] as string;
        const { [key]: _, ...rest } = object;
        const canonical = canonicalize(object);
        const expected = withoutMember(object, canonical, key);
        const bytes = withoutMemberBytes(object, canonical, utf8(canonical), key);
        if (expected === undefined) return bytes === undefined;
        cut += 1;
        return (
          expected === canonicalize(rest) &&
          bytes !== undefined &&
          Buffer.from(bytes).equals(Buffer.from(utf8(expected)))
        );
      }),
      { numRuns: 1000, seed: 8785 },
    );
    // Searched or counted: a nested twin of the member, or nested keys out of order, is no reason
    // to decline.
    t.equal(cut, 1000, 'every cut is made');
  },
);

t.test('withoutMemberBytes: multi-byte text on both sides of the cut', async (t) => {
  const object = { a: 'café “x” 🎉', proof: { v: 'z😀' }, z: 'ü'.repeat(70) };
  const canonical = canonicalize(object);
  const bytes = withoutMemberBytes(object, canonical, utf8(canonical), 'proof');
  t.equal(new TextDecoder().decode(bytes), `{"a":"café “x” 🎉","z":"${'ü'.repeat(70)}"}`);
  const twin = { inner: { proof: '“1”' }, proof: '“1”' };
  const twinBytes = withoutMemberBytes(twin, canonicalize(twin), utf8(canonicalize(twin)), 'proof');
  t.equal(new TextDecoder().decode(twinBytes), '{"inner":{"proof":"“1”"}}');
});

t.test('property: sameJson is equality of canonical texts', async (t) => {
  /** A copy with every object's keys in reverse order: the same JSON value. */
  const reordered = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(reordered)
      : typeof v === 'object' && v !== null
        ? Object.fromEntries(
            Object.entries(v)
              .reverse()
              .map(([k, x]) => [k, reordered(x)]),
          )
        : v;
  let same = 0;
  fc.assert(
    fc.property(jsonArb, jsonArb, fc.boolean(), (a, other, copy) => {
      const b = copy ? reordered(a) : other;
      const equal = canonicalize(a as JsonObject) === canonicalize(b as JsonObject);
      if (equal) same += 1;
      return sameJson(a, b) === equal;
    }),
    { numRuns: 500, seed: 7 },
  );
  t.ok(same > 200, `both answers are exercised (${same} equal of 500)`);
  t.notOk(sameJson([1, 2], { 0: 1, 1: 2 }), 'an array is not an object with index keys');
  t.notOk(sameJson({ a: 1 }, { a: 1, b: undefined }), 'a member more is another value');
});
