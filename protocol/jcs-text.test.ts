// sameJson: the comparison an auditor makes of each entry's @context with the last one it wrote out.
import fc from 'fast-check';
import t from 'tap';
import { canonicalize, type JsonObject, sameJson } from './jcs.ts';

/** JSON values as JSON.parse gives them. */
const jsonArb = fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);

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
