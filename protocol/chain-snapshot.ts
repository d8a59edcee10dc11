/**
 * The chain verifier's complete state as plain JSON, so that an auditor who verified entries
 * [0, n) can later verify [n, m) alone and reach exactly the verdict and state of one walk over
 * [0, m). Hashes are hex, amounts decimal strings of minor units. The two records that grow with
 * every donation and receipt, contributions with what remains of them and `hostEntry` facts, are
 * packed (version 2): base64 of the leaf-maps.ts bytes, 32 bytes a hash and 8 an amount, because
 * as objects of hex keys (version 1, still read) a ledger of 520,000 contributions took over 30 s
 * to save and as long to resume, mostly canonicalizing half a million keys for the digest. The
 * smaller maps (open expenses, other facts recorded once, a host's members) stay flat objects.
 * Version 3 is bytes (state-file.ts) for a file: the same fields as a JSON header, the two maps
 * as the records and hash indexes held in memory, which a resume views in place: at 600,000
 * contributions version 2 took about 500 ms to parse, decode and index again.
 *
 * A snapshot is the auditor's own memory, not evidence: it names the size and the leaf hash it
 * was taken at (`size`, `head.prevHash`) so that the caller can tie it to a checkpoint it has
 * verified, and carries a SHA-256 `digest` of everything else so that an edited or truncated file
 * is refused rather than believed. The digest is not a signature: whoever can rewrite the file can
 * recompute it, which is why the next entry's signed `prev` and the next checkpoint's root are
 * checked against the snapshot's head and tree.
 */
import {
  decodeFields,
  encodeFields,
  fail,
  hash,
  loaded,
  minor,
  objectOnce,
  record,
  SnapshotInvalid,
} from './chain-snapshot-fields.ts';
import type { CryptoBackend } from './crypto.ts';
import { EncodingError, fromBase64, toBase64, toHex } from './encoding.ts';
import type { ChainHead } from './entry/build.ts';
import type { BudgetSummary, ExpenseState } from './fold.ts';
import { canonicalBytes, type JsonObject } from './jcs.ts';
import { LeafAmounts, OnceRecords } from './leaf-maps.ts';
import { MAX_MINOR_UNITS } from './money.ts';
import { decodeStateFile, encodeStateFile, peekStateHeader } from './state-file.ts';

/**
 * Version of the JSON snapshot written; version 1 (contributions and facts as objects) is still
 * read, and version 3 is the bytes of {@link encodeChainStateBytes}.
 */
export const CHAIN_SNAPSHOT_VERSION = 2;

/** An open expense as the verifier tracks it. */
export interface SnapshotExpense {
  state: ExpenseState;
  amount: bigint;
  by?: string;
}

/** Everything the chain verifier knows after `position` accepted entries. */
export interface ChainState {
  position: number;
  head: ChainHead | undefined;
  balance: bigint;
  budget: BudgetSummary | undefined;
  expenses: ReadonlyMap<string, SnapshotExpense>;
  /** What each contribution still holds, by leaf hash (the verifier keeps them in leaf-maps.ts). */
  contributions: Iterable<readonly [string, bigint]>;
  once: Iterable<readonly [string, string]>;
  members: ReadonlyMap<string, string>;
}

/** Why a snapshot is refused. */
export type SnapshotFailure = { type: 'snapshotInvalid'; problem: string };

/** Result of {@link decodeChainState}. */
export type SnapshotDecode = { ok: true; state: ChainState } | { ok: false; reason: SnapshotFailure };

/** The state as a JSON object, with its digest. */
export function encodeChainState(state: ChainState, backend: CryptoBackend): JsonObject {
  const body: JsonObject = {
    type: 'ChainSnapshot',
    version: CHAIN_SNAPSHOT_VERSION,
    ...encodeFields(state),
    contributions: packContributions(state.contributions),
    once: packOnce(state.once),
  };
  return { ...body, digest: snapshotDigest(body, backend) };
}

function leafAmounts(records: Iterable<readonly [string, bigint]>): LeafAmounts {
  return records instanceof LeafAmounts ? records : new LeafAmounts().setAll(records);
}

function onceRecords(records: Iterable<readonly [string, string]>): OnceRecords {
  return records instanceof OnceRecords ? records : new OnceRecords().setAll(records);
}

function packContributions(records: Iterable<readonly [string, bigint]>): JsonObject {
  const { keys, amounts } = leafAmounts(records).toBytes();
  return { keys: toBase64(keys), amounts: toBase64(amounts) };
}

function packOnce(records: Iterable<readonly [string, string]>): JsonObject {
  const { keys, values, other } = onceRecords(records).toBytes();
  return { keys: toBase64(keys), values: toBase64(values), other: Object.fromEntries(other) };
}

/**
 * Hex SHA-256 of the JCS bytes of a snapshot without its `digest`. In version 2 each packed text
 * stands in those bytes as the hex SHA-256 of its UTF-8: canonicalizing a text of tens of
 * megabytes took a second, hashing it directly a few tens of milliseconds.
 */
export function snapshotDigest(snapshot: JsonObject, backend: CryptoBackend): string {
  const { digest: _digest, ...body } = snapshot;
  if (body.version !== 1) {
    body.contributions = packedDigests(body.contributions, ['keys', 'amounts'], backend);
    body.once = packedDigests(body.once, ['keys', 'values'], backend);
  }
  return toHex(backend.sha256(canonicalBytes(body)));
}

function packedDigests(
  value: JsonObject[string] | undefined,
  fields: readonly string[],
  backend: CryptoBackend,
): JsonObject[string] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value ?? null;
  const out = { ...value };
  for (const field of fields) {
    const text = out[field];
    if (typeof text === 'string') out[field] = toHex(backend.sha256(text));
  }
  return out;
}

function bytes(value: unknown, path: string): Uint8Array {
  if (typeof value !== 'string') fail(`${path} is not base64`);
  try {
    return fromBase64(value);
  } catch (error) {
    if (error instanceof EncodingError) fail(`${path} is not base64`);
    throw error;
  }
}

function unpackContributions(value: unknown): LeafAmounts {
  const c = record(value, '/contributions');
  const keys = bytes(c.keys, '/contributions/keys');
  const amounts = bytes(c.amounts, '/contributions/amounts');
  // What is left of a contribution is never more than an amount can be.
  return loaded('/contributions', () => LeafAmounts.fromBytes(keys, amounts, Number(MAX_MINOR_UNITS)));
}

function unpackOnce(value: unknown): OnceRecords {
  const o = record(value, '/once');
  const keys = bytes(o.keys, '/once/keys');
  const values = bytes(o.values, '/once/values');
  const other = objectOnce(o.other, '/once/other');
  return loaded('/once', () => OnceRecords.fromBytes(keys, values, other));
}

/** Version 1's contributions: an object of hex leaf hashes to minor units. */
function objectContributions(value: unknown): Map<string, bigint> {
  const contributions = new Map<string, bigint>();
  for (const [key, left] of Object.entries(record(value, '/contributions'))) {
    const amount = minor(left, `/contributions/${key}`);
    if (amount > MAX_MINOR_UNITS) fail(`/contributions/${key} is more than an amount`);
    contributions.set(hash(key, '/contributions'), amount);
  }
  return contributions;
}

/** The first line of a chain snapshot's bytes (state-file.ts), which name its version. */
export const CHAIN_STATE_MAGIC = 'cagnotte chain-state v3\n';

/**
 * The state as bytes (version 3, state-file.ts): the fields as in version 2, without the two big
 * maps, in the header with `extra` (the caller's own fields, covered by the digest, see
 * {@link chainStateExtra}); then the maps' records and hash indexes as they are held in memory,
 * so that {@link decodeChainState} takes them as views without parsing or copying.
 */
export function encodeChainStateBytes(
  state: ChainState,
  backend: CryptoBackend,
  extra?: JsonObject,
): Uint8Array {
  const contributions = leafAmounts(state.contributions).raw();
  const once = onceRecords(state.once).raw();
  const records = (keys: readonly Uint8Array[]) => keys.reduce((n, part) => n + part.length, 0) / 32;
  const header: JsonObject = {
    type: 'ChainSnapshot',
    version: 3,
    ...encodeFields(state),
    once: { other: Object.fromEntries(once.other) },
    sections: {
      contributions: { records: records(contributions.keys), slots: contributions.tags.length },
      once: { records: records(once.keys), slots: once.tags.length },
    },
  };
  if (extra !== undefined) header.extra = extra;
  const { keys, amounts, index, tags } = contributions;
  return encodeStateFile(
    CHAIN_STATE_MAGIC,
    header,
    [keys, amounts, [index], [tags], once.keys, once.values, [once.index], [once.tags]],
    backend,
  );
}

/** The `extra` fields saved with a state by {@link encodeChainStateBytes}, unchecked; undefined if none. */
export function chainStateExtra(bytes: Uint8Array): Record<string, unknown> | undefined {
  const extra = peekStateHeader(bytes, CHAIN_STATE_MAGIC)?.extra;
  return typeof extra === 'object' && extra !== null && !Array.isArray(extra)
    ? (extra as Record<string, unknown>)
    : undefined;
}

/** The byte length of each section that the header announces, or what is wrong with it. */
function sectionLengths(header: Record<string, unknown>): number[] | string {
  if (header.type !== 'ChainSnapshot' || header.version !== 3) return 'not a version 3 chain snapshot';
  const sections = header.sections as Record<string, Record<string, unknown> | undefined> | undefined;
  const sizes: number[] = [];
  for (const map of ['contributions', 'once']) {
    const { records, slots } = sections?.[map] ?? {};
    for (const n of [records, slots])
      if (!Number.isSafeInteger(n) || (n as number) < 0 || (n as number) > 2 ** 31)
        return `/sections/${map} is not a count of records and slots`;
    sizes.push(records as number, slots as number);
  }
  const [contributions, contributionSlots, facts, factSlots] = sizes as [number, number, number, number];
  return [
    contributions * 32,
    contributions * 8,
    contributionSlots * 4,
    contributionSlots,
    facts * 32,
    facts * 32,
    factSlots * 4,
    factSlots,
  ];
}

function decodeBytes(bytes: Uint8Array, backend: CryptoBackend): ChainState {
  const read = decodeStateFile(bytes, CHAIN_STATE_MAGIC, sectionLengths, backend);
  if (!read.ok) fail(read.problem);
  const s = read.header;
  const [keys, amounts, index, tags, factKeys, factValues, factIndex, factTags] = read.sections as [
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
  ];
  const words = (b: Uint8Array) => new Uint32Array(b.buffer, b.byteOffset, b.length / 4);
  const slots = (b: Uint8Array) => new Int32Array(b.buffer, b.byteOffset, b.length / 4);
  // What is left of a contribution is never more than an amount can be.
  const contributions = loaded('/contributions', () =>
    LeafAmounts.fromRaw(
      words(keys),
      new Float64Array(amounts.buffer, amounts.byteOffset, amounts.length / 8),
      slots(index),
      tags,
      Number(MAX_MINOR_UNITS),
    ),
  );
  const other = objectOnce(record(record(s.once, '/once').other, '/once/other'), '/once/other');
  const once = loaded('/once', () =>
    OnceRecords.fromRaw(words(factKeys), words(factValues), slots(factIndex), factTags, other),
  );
  return decodeFields(s, contributions, once);
}

/**
 * Reads a snapshot written by {@link encodeChainState} (a JSON value) or
 * {@link encodeChainStateBytes} (the bytes): every field checked, the digest recomputed. Anything
 * else is `snapshotInvalid` with what is wrong. The state read from bytes views them: they must
 * not change while it lives (its maps copy what they write).
 */
export function decodeChainState(value: unknown, backend: CryptoBackend): SnapshotDecode {
  try {
    if (value instanceof Uint8Array) return { ok: true, state: decodeBytes(value, backend) };
    const s = record(value, '');
    if (s.type !== 'ChainSnapshot' || (s.version !== 1 && s.version !== CHAIN_SNAPSHOT_VERSION))
      fail(`not a version 1 or ${CHAIN_SNAPSHOT_VERSION} chain snapshot`);
    if (typeof s.digest !== 'string' || s.digest !== snapshotDigest(s as JsonObject, backend))
      fail('the digest does not match the content');
    const packed = s.version === CHAIN_SNAPSHOT_VERSION;
    const contributions = packed
      ? unpackContributions(s.contributions)
      : objectContributions(s.contributions);
    const once = packed ? unpackOnce(s.once) : objectOnce(s.once, '/once');
    return { ok: true, state: decodeFields(s, contributions, once) };
  } catch (error) {
    if (!(error instanceof SnapshotInvalid)) throw error;
    return { ok: false, reason: { type: 'snapshotInvalid', problem: error.message } };
  }
}
