// canonicalMemberSpan: recognising canonical bytes by one scan, the auditor's shortcut for export
// lines. Soundness is what matters (a span only for the canonical bytes of the value they parse
// to, and a cut exactly where canonicalize would leave the member out); each case the scan leaves
// to canonicalize is written down, and the common case (integers, ASCII keys, no \u escape) is
// recognised.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import t from 'tap';
import { readVectorText, VECTORS_DIR } from '../test-support/vectors.ts';
import { fromUtf8, utf8 } from './encoding.ts';
import { canonicalize, type JsonObject } from './jcs.ts';
import { canonicalMemberSpan } from './jcs-bytes.ts';

/** `bytes` without the member `key`, when the scan finds them canonical. */
function cut(bytes: Uint8Array, key: string, maxDepth?: number): string | undefined {
  const span = canonicalMemberSpan(bytes, key, maxDepth);
  if (span === undefined) return undefined;
  return fromUtf8(bytes.subarray(0, span.start)) + fromUtf8(bytes.subarray(span.end));
}

/** Whether `bytes` decode, parse, and are the canonical bytes of what they parse to. */
function isCanonical(bytes: Uint8Array, maxDepth?: number): boolean {
  try {
    const text = fromUtf8(bytes);
    return text === canonicalize(JSON.parse(text), maxDepth);
  } catch {
    return false;
  }
}

/** Whether canonical `text` holds only what the scan decides (integers, plain keys, no \u). */
function decidable(text: string): boolean {
  if (text.includes('\\u')) return false;
  const value = JSON.parse(text);
  const plain = (v: unknown): boolean => {
    if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) < 1e15;
    if (Array.isArray(v)) return v.every(plain);
    if (typeof v === 'object' && v !== null)
      return Object.entries(v).every(([k, x]) => /^[\x20-\x7e]*$/.test(k) && !/["\\]/.test(k) && plain(x));
    return true;
  };
  return plain(value);
}

/** Strings with full Unicode, quotes, backslashes and controls (written with short escapes or \u). */
const text = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.constantFrom('"', '\\', '\n', '\t', '\u0001', '\u2028', '€'),
);
const plainKey = fc.stringMatching(/^[a-z@][a-z0-9]{0,6}$/);
/** What the scan decides: integers, plain keys, any string. */
const { plain } = fc.letrec((tie) => ({
  plain: fc.oneof(
    { depthSize: 'small' },
    text,
    fc.integer({ min: -1e15 + 1, max: 1e15 - 1 }),
    fc.constantFrom(true, false, null),
    fc.array(tie('plain'), { maxLength: 3 }),
    fc.dictionary(plainKey, tie('plain'), { maxKeys: 3 }),
  ),
}));
/** Mostly plain objects, some with any JSON value and any key. */
const objectArb = fc
  .oneof(
    { weight: 3, arbitrary: fc.dictionary(plainKey, plain, { maxKeys: 6 }) },
    {
      weight: 1,
      arbitrary: fc.dictionary(fc.oneof(plainKey, text), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }),
    },
  )
  .map((v) => JSON.parse(JSON.stringify(v)) as JsonObject);

t.test(
  'RFC 8785 reference files: the canonical output is recognised, the input only if canonical',
  async (t) => {
    const names = readdirSync(join(VECTORS_DIR, 'rfc8785-jcs/input')).filter((n) => n.endsWith('.json'));
    t.equal(names.length, 6, 'the six reference inputs');
    for (const name of names) {
      const input = readVectorText(`rfc8785-jcs/input/${name}`);
      const output = readVectorText(`rfc8785-jcs/output/${name}`);
      t.equal(output, canonicalize(JSON.parse(input)), `${name}: the output is canonicalize's`);
      t.equal(canonicalMemberSpan(utf8(input), 'x'), undefined, `${name}: the input is not canonical`);
      // Only objects are scanned; some outputs hold \u escapes or fractions, left to canonicalize.
      const recognised = canonicalMemberSpan(utf8(output), 'x') !== undefined;
      if (recognised) t.ok(isCanonical(utf8(output)), `${name}: recognised, and canonical`);
      else
        t.notOk(
          output.startsWith('{') && decidable(output),
          `${name}: left to canonicalize (${output.slice(0, 30)}…)`,
        );
    }
  },
);

t.test('property: the canonical bytes of plain objects are recognised, and the cut is exact', async (t) => {
  let recognised = 0;
  fc.assert(
    fc.property(objectArb, fc.nat(), (object, n) => {
      const canonical = canonicalize(object);
      const keys = Object.keys(object);
      const key = keys.length === 0 || n % 5 === 0 ? 'absent' : (keys[n % keys.length] as string);
      const got = cut(utf8(canonical), key);
      if (got === undefined) return !decidable(canonical);
      recognised += 1;
      const { [key]: _, ...rest } = object;
      return got === canonicalize(rest);
    }),
    { numRuns: 1000, seed: 8785 },
  );
  t.ok(recognised > 500, `most are recognised (${recognised} of 1000)`);
});

t.test('property: bytes changed anywhere are recognised only if they are canonical', async (t) => {
  const edits = fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), how: fc.nat(2) });
  let accepted = 0;
  fc.assert(
    fc.property(objectArb, fc.array(edits, { minLength: 1, maxLength: 3 }), (object, changes) => {
      let bytes = utf8(canonicalize(object));
      for (const { at, byte, how } of changes) {
        const p = at % (bytes.length + 1);
        const before = bytes.subarray(0, p);
        const after = bytes.subarray(how === 0 ? p : p + 1);
        bytes = how === 2 ? Uint8Array.of(...before, ...after) : Uint8Array.of(...before, byte, ...after);
      }
      if (canonicalMemberSpan(bytes, 'a') === undefined) return true;
      accepted += 1;
      return isCanonical(bytes);
    }),
    { numRuns: 3000, seed: 3629 },
  );
  t.pass(`3000 edited texts, ${accepted} still canonical and recognised`);
});

t.test('property: other serializations of the same value are not taken for canonical', async (t) => {
  fc.assert(
    fc.property(objectArb, fc.nat(3), (object, spaces) => {
      const canonical = canonicalize(object);
      for (const other of [
        JSON.stringify(object),
        JSON.stringify(object, null, spaces + 1),
        ` ${canonical}`,
      ]) {
        if (other !== canonical && canonicalMemberSpan(utf8(other), 'a') !== undefined) return false;
      }
      return true;
    }),
    { numRuns: 500, seed: 1729 },
  );
  t.pass('500 objects');
});

t.test('what the scan refuses or leaves to canonicalize', async (t) => {
  const cases: [string, string | Uint8Array][] = [
    ['keys out of order', '{"b":1,"a":2}'],
    ['a duplicate key', '{"a":1,"a":2}'],
    ['a nested duplicate key', '{"a":{"b":1,"b":1}}'],
    ['minus zero', '{"a":-0}'],
    ['a fraction', '{"a":1.5}'],
    ['an exponent', '{"a":1e2}'],
    ['an integer of 16 digits', '{"a":1234567890123456}'],
    ['a leading zero', '{"a":01}'],
    ['an escaped lone surrogate', '{"a":"\\ud800"}'],
    ['an escaped letter', '{"a":"\\u0041"}'],
    ['an escaped solidus', '{"a":"\\/"}'],
    ['an escaped quote in a key', '{"a\\"":1}'],
    ['a non-ASCII key', '{"é":1}'],
    ['whitespace between tokens', '{"a": 1}'],
    ['whitespace after the object', '{"a":1}\n'],
    ['a raw control character', '{"a":"\t"}'],
    ['a byte order mark', '\ufeff{"a":1}'],
    ['an array at the root', '[1]'],
    ['a string at the root', '"a"'],
    ['a truncated object', '{"a":1'],
    ['a trailing comma', '{"a":1,}'],
    ['a misspelt literal', '{"a":nul}'],
    ['an invalid byte', Uint8Array.of(...utf8('{"a":"'), 0xff, ...utf8('"}'))],
    ['an overlong encoding', Uint8Array.of(...utf8('{"a":"'), 0xc0, 0xaf, ...utf8('"}'))],
    ['a surrogate in UTF-8', Uint8Array.of(...utf8('{"a":"'), 0xed, 0xa0, 0x80, ...utf8('"}'))],
    ['above U+10FFFF', Uint8Array.of(...utf8('{"a":"'), 0xf4, 0x90, 0x80, 0x80, ...utf8('"}'))],
    ['a truncated sequence', Uint8Array.of(...utf8('{"a":"'), 0xe2, 0x82, ...utf8('"}'))],
  ];
  for (const [name, input] of cases) {
    const bytes = typeof input === 'string' ? utf8(input) : input;
    t.equal(canonicalMemberSpan(bytes, 'a'), undefined, name);
  }
  const deep = `{"a":${'['.repeat(70)}${']'.repeat(70)}}`;
  t.equal(canonicalMemberSpan(utf8(deep), 'a'), undefined, 'nesting deeper than the bound');
  t.ok(canonicalMemberSpan(utf8('{"a":[[1]]}'), 'a', 3), 'nesting within a bound');
  t.equal(canonicalMemberSpan(utf8('{"a":[[1]]}'), 'a', 2), undefined, 'nesting at the bound');
  t.throws(() => canonicalize({ a: [[1]] }, 2), 'where canonicalize refuses it too');
});

t.test('what the scan recognises, and where it cuts', async (t) => {
  const object = { a: 1, proof: { x: 1 }, z: [2] };
  const bytes = utf8(canonicalize(object));
  t.equal(cut(bytes, 'a'), '{"proof":{"x":1},"z":[2]}', 'the first member and the comma after it');
  t.equal(cut(bytes, 'proof'), '{"a":1,"z":[2]}', 'a middle member and the comma before it');
  t.equal(cut(bytes, 'z'), '{"a":1,"proof":{"x":1}}', 'the last member');
  t.equal(cut(bytes, 'none'), canonicalize(object), 'an absent member');
  t.equal(cut(utf8('{"proof":1}'), 'proof'), '{}', 'the only member');
  t.equal(cut(utf8('{}'), 'proof'), '{}', 'the empty object');
  t.equal(
    cut(utf8(canonicalize({ inner: { proof: { x: 1 } }, proof: { x: 1 } })), 'proof'),
    '{"inner":{"proof":{"x":1}}}',
    'a nested twin stays: only the top-level member is cut',
  );
  const unicode = { a: 'café “x” 🎉\n\t"\\', proof: { v: 'z😀' }, z: 'ü'.repeat(70) };
  t.equal(
    cut(utf8(canonicalize(unicode)), 'proof'),
    `{"a":"café “x” 🎉\\n\\t\\"\\\\","z":"${'ü'.repeat(70)}"}`,
    'multi-byte characters and short escapes on both sides of the cut',
  );
  const literals = '{"a":[true,false,null,0,-7,123456789012345,"",{}],"b":-123456789012345}';
  t.ok(
    canonicalMemberSpan(utf8(literals), 'a'),
    'literals, zero, 15-digit integers, empty string and object',
  );
  t.ok(canonicalMemberSpan(utf8('{"A":1,"B":2,"a":3,"a b":4,"a~":5}'), 'a'), 'ASCII keys in code unit order');
});
