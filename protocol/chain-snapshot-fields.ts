/**
 * The fields of a chain snapshot (chain-snapshot.ts) other than the two big maps, shared by its
 * JSON versions and its binary one: how each is written, and how each is read back and checked.
 */
import type { ChainState, SnapshotExpense } from './chain-snapshot.ts';
import type { ChainHead } from './entry/build.ts';
import type { EntryKind } from './entry/types.ts';
import type { ExpenseState, Totals } from './fold.ts';
import type { JsonObject } from './jcs.ts';
import { decodeMultikey } from './multikey.ts';

const HEX_HASH = /^[0-9a-f]{64}$/;
const MINOR = /^(0|[1-9][0-9]*)$/;
const STATES: readonly ExpenseState[] = ['pending', 'approved', 'rejected', 'countersigned'];

/** What is wrong with a snapshot, thrown by the readers here and turned into `snapshotInvalid`. */
export class SnapshotInvalid extends Error {}

/** Refuses the snapshot for `problem`. */
export function fail(problem: string): never {
  throw new SnapshotInvalid(problem);
}

/** `value` as an object, else refused. */
export function record(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${path} is not an object`);
  return value as Record<string, unknown>;
}

/** `value` as minor units (a decimal string), else refused. */
export function minor(value: unknown, path: string): bigint {
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

/** `value` as a hex hash, else refused. */
export function hash(value: unknown, path: string): string {
  if (typeof value !== 'string' || !HEX_HASH.test(value)) fail(`${path} is not a hex hash`);
  return value;
}

/** Runs a leaf-maps.ts loader, whose RangeError says what is wrong with the bytes. */
export function loaded<T>(path: string, load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof RangeError) fail(`${path}: ${error.message}`);
    throw error;
  }
}

/** Facts recorded once as an object of keys to hex leaf hashes. */
export function objectOnce(value: unknown, path: string): Map<string, string> {
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

/** The fields of `state` other than its contributions and facts recorded once, as JSON. */
export function encodeFields(state: ChainState): JsonObject {
  const totals = (t: Totals): JsonObject => ({
    total: t.total.toString(),
    byKind: Object.fromEntries(Object.entries(t.byKind).map(([k, v]) => [k, (v as bigint).toString()])),
    byMonth: Object.fromEntries(Object.entries(t.byMonth).map(([k, v]) => [k, v.toString()])),
  });
  const body: JsonObject = {
    size: state.position,
    balance: state.balance.toString(),
    expenses: Object.fromEntries(
      [...state.expenses].map(([hash, e]) => [
        hash,
        e.by === undefined ? [e.state, e.amount.toString()] : [e.state, e.amount.toString(), e.by],
      ]),
    ),
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
  return body;
}

/** The state of snapshot `s`, every field but the two maps checked, with the maps given. */
export function decodeFields(
  s: Record<string, unknown>,
  contributions: ChainState['contributions'],
  once: ChainState['once'],
): ChainState {
  const position = s.size;
  if (!Number.isSafeInteger(position) || (position as number) < 0) fail('/size is not a size');
  const size = position as number;
  const head = size === 0 ? undefined : decodeHead(s.head, size);
  if (size === 0 && s.head !== undefined) fail('/head before any entry');
  const budget = s.budget === undefined ? undefined : record(s.budget, '/budget');
  if ((budget === undefined) !== (head === undefined)) fail('/budget and /head go together');
  if (budget !== undefined && budget.currency !== head?.currency) fail('/budget/currency is not the ledger');
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
  const members = new Map<string, string>();
  for (const [key, joined] of Object.entries(record(s.members, '/members')))
    members.set(key, hash(joined, `/members/${key}`));
  return {
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
}
