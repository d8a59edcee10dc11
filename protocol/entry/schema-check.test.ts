// The quick schema check: true only for values ajv accepts (soundness, on entries and host-signed
// objects changed at random anywhere), and true for the entries a ledger writer makes (else it
// would save nothing). What it leaves to ajv, and what validateEntry then answers, is written down.
import { Ajv } from 'ajv';
import fc from 'fast-check';
import t from 'tap';
import { ledgerArb, mixedLedgerArb, randomLedger } from '../../test-support/random-ledger.ts';
import { quickCheck } from './schema-check.ts';
import { entrySchema, hostSignedObjectSchema, LIMITS, validateEntry } from './schemas.ts';
import { ENTRY_KINDS, type EntryKind, type HostSignedType } from './types.ts';

const HOST_SIGNED_TYPES: HostSignedType[] = ['Receipt', 'ExpenseCountersignature', 'Payout'];

const ajv = new Ajv({ strict: true, allErrors: false, validateSchema: false });
const schemas = [
  ...ENTRY_KINDS.flatMap((kind) => [entrySchema(kind, true), entrySchema(kind, false)]),
  ...HOST_SIGNED_TYPES.flatMap((type) => [
    hostSignedObjectSchema(type, true),
    hostSignedObjectSchema(type, false),
  ]),
];
const checks = schemas.map((schema) => ({ quick: quickCheck(schema), full: ajv.compile(schema) }));

/** Parsed copies of every entry, and every host-signed object in them, of random ledgers. */
const values: Record<string, unknown>[] = [];
// Host-signed payouts are rare: they need a host, a countersigned expense and the money for it.
const ledgers = [
  ...fc.sample(mixedLedgerArb, { numRuns: 40, seed: 11 }),
  ...fc.sample(ledgerArb, { numRuns: 100, seed: 11 }),
];
for (const actions of ledgers) {
  for (const entry of randomLedger(actions).writer.entries) {
    const copy = JSON.parse(JSON.stringify(entry)) as Record<string, unknown>;
    values.push(copy);
    for (const key of ['receipt', 'countersignature', 'payout'])
      if (typeof copy[key] === 'object') values.push(copy[key] as Record<string, unknown>);
  }
}

t.test('every entry and host-signed object a writer makes passes its quick check', async (t) => {
  const kinds = new Set<string>();
  let passed = 0;
  let rejected = 0;
  for (const value of values) {
    const matching = checks.filter((c) => c.full(value));
    if (matching.length === 0) rejected += 1;
    if (matching.some((c) => c.quick(value))) passed += 1;
    kinds.add(String(value.kind ?? value.type));
  }
  t.equal(rejected, 0, 'ajv accepts each under its schema');
  t.equal(passed, values.length, `all ${values.length}`);
  t.same(
    [...ENTRY_KINDS, ...HOST_SIGNED_TYPES].filter((k) => !kinds.has(k)),
    [],
    `of every kind and type (${kinds.size})`,
  );
});

/** Values to put anywhere: wrong types, bounds in code points and in UTF-16 units, look-alikes. */
const boundaries: unknown[] = [
  '',
  'x',
  '😀',
  '😀'.repeat(LIMITS.name),
  `${'😀'.repeat(LIMITS.name - 1)}x`,
  'x'.repeat(LIMITS.name + 1),
  '\ud800',
  '0'.repeat(64),
  'A'.repeat(64),
  `z${'1'.repeat(88)}`,
  'https://a b',
  'https://ok.example/😀',
  '2026-01-01T00:00:00Z',
  '2026-01-01T00:00:00.000Z',
  '1.00',
  '01.00',
  'EUR',
  'eur',
  1.5,
  -1,
  2 ** 53,
  10_001,
  ['https://www.w3.org/ns/activitystreams#Public'],
  ['https://www.w3.org/ns/activitystreams#Public', 'x'],
  10_000,
  0,
  Number.MAX_SAFE_INTEGER,
  1_000_000_001,
  'UTC',
  'Europe/Brussels',
  'image/png',
];
const replacement = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(...boundaries));

/** Every path to a member or an item of `value`, the root's members included. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [];
  const keys = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return keys.flatMap((k) => [
    [...prefix, k],
    ...paths((value as Record<string, unknown>)[k], [...prefix, k]),
  ]);
}

/** A copy of `value` with the member at `path` replaced, removed, or a member added beside it. */
function changed(value: unknown, path: (string | number)[], how: number, by: unknown): unknown {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let parent = copy;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  const last = path.at(-1) as string | number;
  if (how === 0) parent[last] = by;
  else if (how === 1) {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else if (Array.isArray(parent)) parent.push(by);
  else parent[`${last}x`] = by;
  return copy;
}

t.test('property: a value changed anywhere passes the quick check only if ajv accepts it', async (t) => {
  let quickPassed = 0;
  let ajvOnly = 0;
  fc.assert(
    fc.property(fc.nat(), fc.nat(), fc.nat(2), replacement, (i, p, how, by) => {
      const original = values[i % values.length];
      const all = paths(original);
      const value = changed(original, all[p % all.length] as (string | number)[], how, by);
      for (const { quick, full } of checks) {
        const accepted = full(value);
        if (quick(value)) {
          quickPassed += 1;
          if (!accepted) return false;
        } else if (accepted) ajvOnly += 1;
      }
      return true;
    }),
    { numRuns: 3000, seed: 2020 },
  );
  t.ok(quickPassed > 100, `changes that stay valid pass quickly (${quickPassed})`);
  t.ok(ajvOnly > 0, `some valid values are left to ajv (${ajvOnly})`);
});

t.test('each member of one value of each kind, replaced by each boundary value', async (t) => {
  const seen = new Map<string, Record<string, unknown>>();
  for (const value of values) seen.set(String(value.kind ?? value.type), value);
  let tried = 0;
  const unsound: string[] = [];
  for (const [kind, original] of seen) {
    for (const path of paths(original)) {
      for (const by of boundaries) {
        const value = changed(original, path, 0, by);
        for (const { quick, full } of checks) {
          tried += 1;
          if (quick(value) && !full(value)) unsound.push(`${kind} ${path.join('/')} = ${JSON.stringify(by)}`);
        }
      }
    }
  }
  t.same(unsound, [], `${tried} checks`);
});

t.test('property: each pattern of the schemas gives the verdict of its regular expression', async (t) => {
  const patterns = new Set<string>();
  const collect = (v: unknown): void => {
    if (typeof v !== 'object' || v === null) return;
    for (const [k, x] of Object.entries(v)) {
      if (k === 'pattern' && typeof x === 'string') patterns.add(x);
      else collect(x);
    }
  };
  for (const schema of schemas) collect(schema);
  t.ok(patterns.size >= 10, `${patterns.size} patterns`);
  // Strings near each pattern's shape: its own characters, lengths around its bounds, and
  // astral characters and lone surrogates (one character, two UTF-16 units, or one unit).
  const unit = fc.oneof(
    fc.constantFrom(...'0123456789abcdefzAZHIOlT:-Z./ +_é', '😀', '\ud800', '\udc00'),
    fc.string({ minLength: 1, maxLength: 1 }),
  );
  for (const pattern of patterns) {
    const regExp = new RegExp(pattern, 'u');
    const check = quickCheck({ type: 'string', pattern });
    const lengths = [...pattern.matchAll(/\{(\d+)(?:,(\d+))?\}/g)].flatMap((m) => [
      Number(m[1]),
      Number(m[2] ?? m[1]),
    ]);
    const near = lengths.flatMap((n) => [n - 1, n, n + 1, n + 2]).filter((n) => n >= 0);
    if (near.length === 0) near.push(0, 1, 5);
    const text = fc.oneof(
      fc.string({ unit, maxLength: 110 }),
      fc
        .constantFrom(...near)
        .chain((n) =>
          fc.tuple(
            fc.constantFrom('', 'z', 'h'),
            fc.string({
              unit: fc.constantFrom(...'0123456789abcdefABCDEFGHJKLMNPQRSTUVWXYZ'),
              minLength: n,
              maxLength: n,
            }),
            fc.constantFrom('', '😀', 'é'),
          ),
        )
        .map(([a, b, c]) => a + b + c),
    );
    fc.assert(
      fc.property(text, (s) => check(s) === regExp.test(s)),
      { numRuns: 400, seed: 5 },
    );
  }
});

t.test('what the quick check leaves to ajv, and validateEntry then decides', async (t) => {
  const update = values.find((v) => v.kind === 'Update') as Record<string, unknown>;
  const schema = quickCheck(entrySchema('Update' as EntryKind, true));
  t.ok(schema(update), 'an update passes');
  // 200 code points, 400 UTF-16 units: within the bound as ajv counts, not as the quick check does.
  const astral = { ...update, title: '😀'.repeat(LIMITS.name) };
  t.notOk(schema(astral), 'a title of 200 astral characters is left to ajv');
  t.same(validateEntry(astral), { ok: true }, 'which accepts it');
  const long = { ...update, title: 'x'.repeat(LIMITS.name + 1) };
  t.notOk(schema(long), 'a title of 201 characters fails');
  t.match(
    validateEntry(long),
    { ok: false, reason: { type: 'schemaViolation', path: '/title' } },
    'with ajv’s error',
  );
  t.notOk(quickCheck({ type: 'number' })(1), 'a keyword it does not know: nothing passes');
  t.notOk(quickCheck({ const: 1 })(1), 'nor a constant that is not a string or strings');
  t.notOk(
    quickCheck({ type: 'object', properties: {} })({}),
    'nor properties without additionalProperties: false',
  );
  const polluted = Object.create({ extra: 1 }) as Record<string, unknown>;
  Object.assign(polluted, update);
  t.notOk(schema(polluted), 'an inherited enumerable member is an additional one, as for ajv');
});
