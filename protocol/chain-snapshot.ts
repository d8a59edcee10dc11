/**
 * The chain verifier's complete state as plain JSON, so that an auditor who verified entries
 * [0, n) can later verify [n, m) alone and reach exactly the verdict and state of one walk over
 * [0, m). Hashes are hex, amounts decimal strings of minor units. The two records that grow with
 * every donation and receipt, contributions with what remains of them and `hostEntry` facts, are
 * packed (version 2): base64 of the leaf-maps.ts bytes, 32 bytes a hash and 8 an amount, because
 * as objects of hex keys (version 1, still read) a ledger of 520,000 contributions took over 30 s
 * to save and as long to resume, mostly canonicalizing half a million keys for the digest. The
 * smaller maps (open expenses, other facts recorded once, a host's members) stay flat objects.
 *
 * A snapshot is the auditor's own memory, not evidence: it names the size and the leaf hash it
 * was taken at (`size`, `head.prevHash`) so that the caller can tie it to a checkpoint it has
 * verified, and carries a SHA-256 `digest` of everything else so that an edited or truncated file
 * is refused rather than believed. The digest is not a signature: whoever can rewrite the file can
 * recompute it, which is why the next entry's signed `prev` and the next checkpoint's root are
 * checked against the snapshot's head and tree.
 */
import type { CryptoBackend } from './crypto.ts';
import { EncodingError, fromBase64, toBase64, toHex } from './encoding.ts';
import type { ChainHead } from './entry/build.ts';
import type { EntryKind } from './entry/types.ts';
import type { BudgetSummary, ExpenseState, Totals } from './fold.ts';
import { canonicalBytes, type JsonObject } from './jcs.ts';
import { LeafAmounts, OnceRecords } from './leaf-maps.ts';
import { MAX_MINOR_UNITS } from './money.ts';
import { decodeMultikey } from './multikey.ts';

/** Version of the snapshot format written; version 1 (contributions and facts as objects) is still read. */
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

const HEX_HASH = /^[0-9a-f]{64}$/;
const MINOR = /^(0|[1-9][0-9]*)$/;
const STATES: readonly ExpenseState[] = ['pending', 'approved', 'rejected', 'countersigned'];

/** The state as a JSON object, with its digest. */
export function encodeChainState(state: ChainState, backend: CryptoBackend): JsonObject {
  const totals = (t: Totals): JsonObject => ({
    total: t.total.toString(),
    byKind: Object.fromEntries(Object.entries(t.byKind).map(([k, v]) => [k, (v as bigint).toString()])),
    byMonth: Object.fromEntries(Object.entries(t.byMonth).map(([k, v]) => [k, v.toString()])),
  });
  const body: JsonObject = {
    type: 'ChainSnapshot',
    version: CHAIN_SNAPSHOT_VERSION,
    size: state.position,
    balance: state.balance.toString(),
    expenses: Object.fromEntries(
      [...state.expenses].map(([hash, e]) => [
        hash,
        e.by === undefined ? [e.state, e.amount.toString()] : [e.state, e.amount.toString(), e.by],
      ]),
    ),
    contributions: packContributions(state.contributions),
    once: packOnce(state.once),
    members: Object.fromEntries(state.members),
  };
  if (state.head !== undefined) body.head = { ...state.head } as unknown as JsonObject;
  if (state.budget !== undefined) {
    body.budget = {
      currency: state.budget.currency,
      balance: state.budget.balance.toString(),
      income: totals(state.budget.income),
      spending: totals(state.budget.spending),
    };
  }
  return { ...body, digest: snapshotDigest(body, backend) };
}

function packContributions(records: Iterable<readonly [string, bigint]>): JsonObject {
  let map = records instanceof LeafAmounts ? records : undefined;
  if (map === undefined) {
    map = new LeafAmounts();
    for (const [hash, left] of records) map.set(hash, left);
  }
  const { keys, amounts } = map.toBytes();
  return { keys: toBase64(keys), amounts: toBase64(amounts) };
}

function packOnce(records: Iterable<readonly [string, string]>): JsonObject {
  let map = records instanceof OnceRecords ? records : undefined;
  if (map === undefined) {
    map = new OnceRecords();
    for (const [key, first] of records) map.set(key, first);
  }
  const { keys, values, other } = map.toBytes();
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

class Invalid extends Error {}

function fail(problem: string): never {
  throw new Invalid(problem);
}

function record(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${path} is not an object`);
  return value as Record<string, unknown>;
}

function minor(value: unknown, path: string): bigint {
  if (typeof value !== 'string' || !MINOR.test(value)) fail(`${path} is not an amount in minor units`);
  return BigInt(value);
}

function signedMinor(value: unknown, path: string): bigint {
  if (typeof value === 'string' && value.startsWith('-')) return -minor(value.slice(1), path);
  return minor(value, path);
}

function text(value: unknown, path: string): string {
  if (typeof value !== 'string') fail(`${path} is not a string`);
  return value;
}

function hash(value: unknown, path: string): string {
  if (typeof value !== 'string' || !HEX_HASH.test(value)) fail(`${path} is not a hex hash`);
  return value;
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

/** Runs a leaf-maps.ts loader, whose RangeError says what is wrong with the bytes. */
function loaded<T>(path: string, load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof RangeError) fail(`${path}: ${error.message}`);
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

function objectOnce(value: unknown, path: string): Map<string, string> {
  const once = new Map<string, string>();
  for (const [key, first] of Object.entries(record(value, path)))
    once.set(key, hash(first, `${path}/${key}`));
  return once;
}

function decodeTotals(value: unknown, path: string): Totals {
  const t = record(value, path);
  const map = (v: unknown, p: string) =>
    Object.fromEntries(Object.entries(record(v, p)).map(([k, x]) => [k, minor(x, `${p}/${k}`)]));
  return {
    total: minor(t.total, `${path}/total`),
    byKind: map(t.byKind, `${path}/byKind`) as Partial<Record<EntryKind, bigint>>,
    byMonth: map(t.byMonth, `${path}/byMonth`),
  };
}

function decodeHead(value: unknown, position: number): ChainHead {
  const h = record(value, '/head');
  const nextSeq = h.nextSeq;
  if (nextSeq !== position) fail('/head/nextSeq is not the snapshot size');
  if (!Number.isSafeInteger(h.keyIndex) || (h.keyIndex as number) < 0) fail('/head/keyIndex');
  if (!decodeMultikey(text(h.ledgerKey, '/head/ledgerKey')).ok) fail('/head/ledgerKey is not a Multikey');
  const head: ChainHead = {
    actor: text(h.actor, '/head/actor'),
    name: text(h.name, '/head/name'),
    currency: text(h.currency, '/head/currency'),
    nextSeq: position,
    prevHash: hash(h.prevHash, '/head/prevHash'),
    keyIndex: h.keyIndex as number,
    ledgerKey: h.ledgerKey as string,
  };
  if (h.host !== undefined) {
    const host = record(h.host, '/head/host');
    const key = text(host.key, '/head/host/key');
    if (!decodeMultikey(key).ok) fail('/head/host/key is not a Multikey');
    head.host = { id: text(host.id, '/head/host/id'), key };
  }
  const known = new Set([
    'actor',
    'name',
    'currency',
    'nextSeq',
    'prevHash',
    'keyIndex',
    'ledgerKey',
    'host',
  ]);
  for (const k of Object.keys(h)) if (!known.has(k)) fail(`/head/${k} is not a head field`);
  return head;
}

/**
 * Reads a snapshot written by {@link encodeChainState}: every field checked, the digest
 * recomputed. Anything else is `snapshotInvalid` with what is wrong.
 */
export function decodeChainState(value: unknown, backend: CryptoBackend): SnapshotDecode {
  try {
    const s = record(value, '');
    if (s.type !== 'ChainSnapshot' || (s.version !== 1 && s.version !== CHAIN_SNAPSHOT_VERSION))
      fail(`not a version 1 or ${CHAIN_SNAPSHOT_VERSION} chain snapshot`);
    if (typeof s.digest !== 'string' || s.digest !== snapshotDigest(s as JsonObject, backend))
      fail('the digest does not match the content');
    const position = s.size;
    if (!Number.isSafeInteger(position) || (position as number) < 0) fail('/size is not a size');
    const size = position as number;
    const head = size === 0 ? undefined : decodeHead(s.head, size);
    if (size === 0 && s.head !== undefined) fail('/head before any entry');
    const budget = s.budget === undefined ? undefined : record(s.budget, '/budget');
    if ((budget === undefined) !== (head === undefined)) fail('/budget and /head go together');
    if (budget !== undefined && budget.currency !== head?.currency)
      fail('/budget/currency is not the ledger');
    const expenses = new Map<string, SnapshotExpense>();
    for (const [key, item] of Object.entries(record(s.expenses, '/expenses'))) {
      const path = `/expenses/${key}`;
      if (!Array.isArray(item) || item.length < 2 || item.length > 3)
        fail(`${path} is not [state, amount, by?]`);
      const state = item[0] as ExpenseState;
      if (!STATES.includes(state)) fail(`${path} has no open state`);
      expenses.set(hash(key, path), {
        state,
        amount: minor(item[1], path),
        ...(item.length === 3 ? { by: text(item[2], path) } : {}),
      });
    }
    const packed = s.version === CHAIN_SNAPSHOT_VERSION;
    const contributions = packed
      ? unpackContributions(s.contributions)
      : objectContributions(s.contributions);
    const once = packed ? unpackOnce(s.once) : objectOnce(s.once, '/once');
    const members = new Map<string, string>();
    for (const [key, joined] of Object.entries(record(s.members, '/members')))
      members.set(key, hash(joined, `/members/${key}`));
    const state: ChainState = {
      position: size,
      head,
      balance: minor(s.balance, '/balance'),
      budget:
        budget === undefined
          ? undefined
          : {
              currency: budget.currency as string,
              balance: signedMinor(budget.balance, '/budget/balance'),
              income: decodeTotals(budget.income, '/budget/income'),
              spending: decodeTotals(budget.spending, '/budget/spending'),
            },
      expenses,
      contributions,
      once,
      members,
    };
    return { ok: true, state };
  } catch (error) {
    if (!(error instanceof Invalid)) throw error;
    return { ok: false, reason: { type: 'snapshotInvalid', problem: error.message } };
  }
}
