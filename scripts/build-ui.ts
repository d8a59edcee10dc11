/**
 * Bundles the audit page's script (ui/audit/main.ts and the protocol code it runs) for browsers
 * with esbuild, in memory: the node builds it on the first request for it (node/routes/audit.ts)
 * and nothing built is committed. `npx node scripts/build-ui.ts [--out FILE]` builds it by hand.
 *
 * The protocol validates entries with ajv, which compiles schemas into code with `new Function`,
 * and the node's Content-Security-Policy (no 'unsafe-eval') forbids that in the page. So the
 * bundle gets no ajv compiler: `ajv` resolves to a module holding every schema the protocol
 * compiles, turned into code here (ajv's standalone generation), and a stand-in `Ajv` whose
 * `compile` hands out the precompiled validator of the same schema (found by the SHA-256 of its
 * JSON). A schema nobody precompiled makes `compile` throw, and a protocol module that starts to
 * use ajv without being listed in {@link AJV_USERS} fails the build, so neither goes unnoticed.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import standaloneCodeModule from 'ajv/dist/standalone/index.js';
import type { Plugin } from 'esbuild';
import { nobleBackend } from '../protocol/crypto.ts';
import { toHex, utf8 } from '../protocol/encoding.ts';
import { entrySchema, hostSignedObjectSchema } from '../protocol/entry/schemas.ts';
import { ENTRY_KINDS, type HostSignedType } from '../protocol/entry/types.ts';
import { type HostMessageType, hostMessageSchema } from '../protocol/host/messages.ts';
import { HOST_TERMS_SCHEMA } from '../protocol/host/terms.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = fileURLToPath(new URL('../ui/audit/main.ts', import.meta.url));
/** The modules that compile schemas with ajv, and whose schemas are precompiled below. */
export const AJV_USERS = ['protocol/entry/schemas.ts', 'protocol/host/terms.ts', 'protocol/host/messages.ts'];

const HOST_SIGNED = { Receipt: true, ExpenseCountersignature: true, Payout: true } satisfies Record<
  HostSignedType,
  true
>;
const HOST_MESSAGES = {
  HostApplication: true,
  HostMembership: true,
  CountersignRefusal: true,
} satisfies Record<HostMessageType, true>;

// A CommonJS module whose `exports.default` is the function: Node hands over `module.exports`.
const standaloneCode = (standaloneCodeModule as unknown as { default: typeof standaloneCodeModule.default })
  .default;

/** Every schema the protocol compiles with ajv. */
export function protocolSchemas(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const signed of [true, false]) {
    for (const kind of ENTRY_KINDS) out.push(entrySchema(kind, signed));
    for (const type of Object.keys(HOST_SIGNED) as HostSignedType[])
      out.push(hostSignedObjectSchema(type, signed));
    for (const type of Object.keys(HOST_MESSAGES) as HostMessageType[])
      out.push(hostMessageSchema(type, signed));
  }
  out.push(HOST_TERMS_SCHEMA as unknown as Record<string, unknown>);
  return out;
}

/** The key a schema is found by: SHA-256 of its JSON (the builders give the same JSON each time). */
export function schemaKey(schema: unknown): string {
  return toHex(nobleBackend.sha256(utf8(JSON.stringify(schema))));
}

/** The module that stands in for `ajv` in the bundle (ESM source). */
export function precompiledAjvModule(
  schemas: readonly Record<string, unknown>[] = protocolSchemas(),
): string {
  // The protocol's own options (strict, first error only): the validators answer as its own do.
  const ajv = new Ajv({ strict: true, code: { source: true, esm: true } });
  const table: Record<string, string> = {};
  const exports: Record<string, string> = {};
  schemas.forEach((schema, i) => {
    const key = schemaKey(schema);
    if (table[key] !== undefined) return;
    ajv.addSchema(schema, `schema${i}`);
    table[key] = `v${i}`;
    exports[`v${i}`] = `schema${i}`;
  });
  const entries = Object.entries(table)
    .map(([key, name]) => `${JSON.stringify(key)}: ${name}`)
    .join(',\n');
  return `${standaloneCode(ajv, exports)}
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
const PRECOMPILED = {\n${entries}\n};
export class Ajv {
  compile(schema) {
    const validate = PRECOMPILED[bytesToHex(sha256(utf8ToBytes(JSON.stringify(schema))))];
    if (validate === undefined) throw new Error('this schema was not precompiled into the audit page (scripts/build-ui.ts)');
    return validate;
  }
}
export default Ajv;
`;
}

function precompiledAjv(): Plugin {
  return {
    name: 'precompiled-ajv',
    setup(build) {
      build.onResolve({ filter: /^ajv$/ }, () => ({ path: 'ajv', namespace: 'precompiled-ajv' }));
      build.onLoad({ filter: /.*/, namespace: 'precompiled-ajv' }, () => ({
        contents: precompiledAjvModule(),
        loader: 'js',
        resolveDir: ROOT,
      }));
    },
  };
}

/** A built bundle. */
export interface UiBundle {
  code: string;
  /** Hex SHA-256 of the code, for ETags and cache keys. */
  hash: string;
  /** The project files bundled, relative to the repository. */
  inputs: string[];
}

/** Builds the audit page's bundle (minified ESM for current browsers). */
export async function buildAuditBundle(): Promise<UiBundle> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [ENTRY],
    absWorkingDir: ROOT,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    write: false,
    metafile: true,
    legalComments: 'none',
    logLevel: 'silent',
    plugins: [precompiledAjv()],
  });
  const inputs = Object.keys(result.metafile.inputs).filter(
    (p) => !p.startsWith('node_modules/') && !p.includes(':'),
  );
  const users = Object.entries(result.metafile.inputs)
    .filter(([, input]) => input.imports.some((i) => i.original === 'ajv'))
    .map(([path]) => path);
  const unknown = users.filter((path) => !AJV_USERS.includes(path));
  if (unknown.length > 0)
    throw new Error(
      `${unknown.join(', ')} compile(s) schemas with ajv: add them to AJV_USERS in scripts/build-ui.ts`,
    );
  const file = result.outputFiles[0];
  if (file === undefined) throw new Error('esbuild wrote no output');
  const code = file.text;
  return { code, hash: toHex(nobleBackend.sha256(utf8(code))), inputs };
}

if (import.meta.main) {
  const at = process.argv.indexOf('--out');
  const out = at === -1 ? undefined : process.argv[at + 1];
  const bundle = await buildAuditBundle();
  if (out !== undefined) await writeFile(out, bundle.code);
  process.stdout.write(
    `audit bundle: ${bundle.code.length} bytes, sha256 ${bundle.hash}, ${bundle.inputs.length} project files${out ? `, written to ${out}` : ''}\n`,
  );
}
