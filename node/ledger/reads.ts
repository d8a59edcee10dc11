/**
 * Reads of a ledger's stored entries and expense indexes: by seq, by leaf hash, and in pages
 * whose cursor is a seq, so that pages stay stable while the ledger grows.
 */
import { fromUtf8 } from '../../protocol/encoding.ts';
import type { ExpenseState } from '../../protocol/fold.ts';
import { AppError } from '../errors.ts';
import { parseJsonValue, parseSeqKey, seqKey } from '../storage/codec.ts';
import { type LedgerCore, recordOf } from './core.ts';
import { expenseStateKey } from './layout.ts';
import type { ExpenseStatus } from './state.ts';
import type { EntryRecord, Page, PageOptions } from './types.ts';

const DEFAULT_PAGE = 50;
const MAX_PAGE = 500;
const EXPENSE_STATES: readonly string[] = ['pending', 'approved', 'rejected', 'countersigned', 'paid'];
const HEX_HASH = /^[0-9a-fA-F]{64}$/;

/** The entry at `seq`, or undefined. */
export async function readEntry(core: LedgerCore, seq: number): Promise<EntryRecord | undefined> {
  if (!Number.isSafeInteger(seq) || seq < 0) return undefined;
  const leaf = await core.subs.entries.get(seqKey(seq));
  return leaf === undefined ? undefined : recordOf(core, seq, leaf);
}

/** The entry whose leaf hash is `leafHash` (hex, either case), or undefined. */
export async function readByHash(core: LedgerCore, leafHash: string): Promise<EntryRecord | undefined> {
  if (!HEX_HASH.test(leafHash)) return undefined;
  const seq = await core.subs.hashes.get(leafHash.toLowerCase());
  return seq === undefined ? undefined : readEntry(core, parseSeqKey(fromUtf8(seq)));
}

/** A page of entries up to the committed head (see `LedgerService.page`). */
export async function readPage(core: LedgerCore, options: PageOptions): Promise<Page> {
  const limit = pageLimit(options.limit);
  const newest = (options.order ?? 'newest') === 'newest';
  const from = options.cursor === undefined ? undefined : parseCursor(options.cursor);
  const size = core.state.head.size;
  const range = newest
    ? { lt: seqKey(Math.min(from === undefined ? size : from + 1, size)), reverse: true, limit: limit + 1 }
    : { gte: seqKey(from ?? 0), lt: seqKey(size), limit: limit + 1 };
  const items: EntryRecord[] = [];
  let next: string | undefined;
  for await (const [key, leaf] of core.subs.entries.entries(range)) {
    const seq = parseSeqKey(key);
    if (items.length === limit) {
      next = String(seq);
      break;
    }
    items.push(recordOf(core, seq, leaf));
  }
  return next === undefined ? { items } : { items, next };
}

/** The status of the expense whose `Expense` entry has leaf hash `hash`, or undefined. */
export async function readExpense(core: LedgerCore, hash: string): Promise<ExpenseStatus | undefined> {
  if (!HEX_HASH.test(hash)) return undefined;
  const value = await core.subs.expenses.get(hash.toLowerCase());
  return value === undefined ? undefined : parseJsonValue<ExpenseStatus>(value);
}

/** A page of the expenses in `state` (see `LedgerService.expenses`). */
export async function readExpenses(
  core: LedgerCore,
  state: ExpenseState,
  options: PageOptions,
): Promise<Page<ExpenseStatus>> {
  if (!EXPENSE_STATES.includes(state))
    throw new AppError('VALIDATION_FAILED', `unknown expense state ${state}`);
  const limit = pageLimit(options.limit);
  const from = options.cursor === undefined ? undefined : parseCursor(options.cursor);
  const newest = (options.order ?? 'newest') === 'newest';
  const range = newest
    ? {
        gte: `${state}:`,
        ...(from === undefined ? { lt: `${state};` } : { lte: expenseStateKey(state, from) }),
        reverse: true,
      }
    : { gte: from === undefined ? `${state}:` : expenseStateKey(state, from), lt: `${state};` };
  const hashes: string[] = [];
  let next: string | undefined;
  for await (const [key, value] of core.subs.expensesByState.entries({ ...range, limit: limit + 1 })) {
    if (hashes.length === limit) {
      next = String(parseSeqKey(key.slice(state.length + 1)));
      break;
    }
    hashes.push(parseJsonValue<string>(value));
  }
  const values = await core.subs.expenses.getMany(hashes);
  const items = values.map((value) => parseJsonValue<ExpenseStatus>(value as Uint8Array));
  return next === undefined ? { items } : { items, next };
}

function pageLimit(limit: number | undefined): number {
  const n = Math.trunc(limit ?? DEFAULT_PAGE);
  return Number.isFinite(n) ? Math.min(Math.max(n, 1), MAX_PAGE) : DEFAULT_PAGE;
}

function parseCursor(cursor: string): number {
  if (!/^(0|[1-9]\d{0,15})$/.test(cursor) || !Number.isSafeInteger(Number(cursor))) {
    throw new AppError('INVALID_CURSOR');
  }
  return Number(cursor);
}
