// The audit bundle's stand-in for ajv: every schema the protocol compiles is precompiled, and each
// precompiled validator answers as ajv's own compiled one does (validity and the first error, which
// the protocol turns into its schemaViolation reason), on real entries and on broken ones.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import * as esbuild from 'esbuild';
import t from 'tap';
import {
  approve,
  contribution,
  expense,
  pay,
  tempNode,
  update,
} from '../node/ledger/fixtures.test-helper.ts';
import { validateEntry } from '../protocol/entry/schemas.ts';
import { AJV_USERS, buildAuditBundle, precompiledAjvModule, protocolSchemas } from './build-ui.ts';

const dir = await mkdtemp(join(tmpdir(), 'cagnotte-build-ui-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));

// The stand-in module as the bundle gets it, bundled alone so that Node can import it.
const built = await esbuild.build({
  stdin: { contents: precompiledAjvModule(), resolveDir: process.cwd(), loader: 'js' },
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  write: false,
  logLevel: 'silent',
});
const file = join(dir, 'ajv-precompiled.mjs');
await writeFile(file, built.outputFiles[0]?.text ?? '');
const { Ajv: Precompiled } = (await import(pathToFileURL(file).href)) as {
  Ajv: new () => { compile(schema: unknown): ValidateFunction };
};

const node = await tempNode();
t.teardown(() => node.cleanup());
const { ledger } = node.actor;
await ledger.append(contribution('80.00'));
const filed = await ledger.append(expense('30.00', 'account:bob', 'Seeds'));
await ledger.append(approve(filed.leafHash, 'account:alice'));
await ledger.append(pay(filed.leafHash, '30.00'));
await ledger.append(update(1));
const entries: Record<string, unknown>[] = [];
for (let seq = 0; seq < ledger.head().size; seq++)
  entries.push((await ledger.get(seq))?.entry as unknown as Record<string, unknown>);

/** Broken copies of an entry: each kind of schema failure. */
function broken(entry: Record<string, unknown>): unknown[] {
  const { proof: _proof, ...unsigned } = entry;
  const { published: _published, ...missing } = entry;
  return [
    entry,
    unsigned,
    missing,
    { ...entry, extra: 1 },
    { ...entry, seq: -1 },
    { ...entry, seq: '1' },
    { ...entry, content: 'x'.repeat(20_001) },
    { ...entry, published: 'yesterday' },
    { ...entry, proof: { ...(entry.proof as object), proofValue: 7 } },
    { ...entry, amount: '1,00' },
    {},
    [],
    null,
  ];
}

t.test('every schema precompiled answers as ajv compiles it', async (t) => {
  const ajv = new Ajv({ strict: true, allErrors: false });
  const precompiled = new Precompiled();
  const schemas = protocolSchemas();
  let compared = 0;
  let valid = 0;
  const differences: unknown[] = [];
  for (const [i, schema] of schemas.entries()) {
    const reference = ajv.compile(schema);
    const standalone = precompiled.compile(structuredClone(schema));
    for (const entry of entries) {
      for (const value of broken(entry)) {
        const expected = { valid: reference(value), errors: reference.errors ?? null };
        const actual = { valid: standalone(value), errors: standalone.errors ?? null };
        if (JSON.stringify(actual) !== JSON.stringify(expected))
          differences.push({ schema: i, value, expected, actual });
        compared += 1;
        if (expected.valid) valid += 1;
      }
    }
  }
  t.same(differences, [], 'the same validity and first error everywhere');
  t.ok(valid >= entries.length * 2, `${valid} valid values among them (signed and unsigned entries)`);
  t.ok(compared > 1000, `${compared} answers compared over ${schemas.length} schemas`);
  t.throws(
    () => precompiled.compile({ type: 'string' }),
    /not precompiled/,
    'an unknown schema is refused, loudly',
  );
});

t.test('the real entries are valid and the broken ones are not', async (t) => {
  for (const entry of entries) {
    t.same(validateEntry(entry), { ok: true }, String(entry.kind));
    t.match(validateEntry({ ...entry, extra: 1 }), {
      ok: false,
      reason: { type: 'schemaViolation', path: '/extra' },
    });
  }
});

t.test('the bundle: only the listed modules use ajv, and nothing of Node', async (t) => {
  const bundle = await buildAuditBundle();
  t.ok(bundle.inputs.includes('protocol/audit/ledger.ts'), 'the protocol audit is bundled, not rewritten');
  t.ok(bundle.inputs.includes('protocol/chain.ts'));
  t.ok(bundle.inputs.every((path) => !path.startsWith('node/') && !path.startsWith('scripts/')));
  t.ok(AJV_USERS.includes('protocol/entry/schemas.ts'));
  t.match(bundle.hash, /^[0-9a-f]{64}$/);
});
