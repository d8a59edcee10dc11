/**
 * Where a ledger lives in the node's store: sublevels under `ledger/<actor name>/`. Changing a
 * key format means bumping {@link INDEX_VERSION} (indexes) or writing a migration (entries).
 */
import { seqKey } from '../storage/codec.ts';
import type { Store, Sublevel } from '../storage/types.ts';

/**
 * Version of the derived data (hash index, expense indexes, fold summary). A database written with
 * another version has its indexes rebuilt from the entries on open.
 */
export const INDEX_VERSION = 2;

/** Keys of the `meta` sublevel. */
export const META = {
  /** JSON {@link import('./service.ts').StoredHead}. */
  head: 'head',
  /** protocol/merkle `encodeTreeState` bytes. */
  tree: 'tree',
  /** JSON {@link import('../ledger/types.ts').StoredCheckpoint}. */
  checkpoint: 'checkpoint',
  /** JSON `{ version, size }`: indexes cover entries [0, size) at that version. */
  indexes: 'indexes',
  /** JSON fold summary (balance and totals) at `indexes.size`. */
  fold: 'fold',
} as const;

/** The sublevels of one actor's ledger. */
export interface LedgerSublevels {
  /** seqKey(seq) → leaf bytes (the exact JCS of the signed entry). */
  entries: Sublevel;
  /** leaf hash hex → seqKey(seq). */
  hashes: Sublevel;
  /** nodeKey(level, index) → 32-byte hash of that complete subtree. */
  nodes: Sublevel;
  meta: Sublevel;
  /** `${state}:${seqKey(expense seq)}` → expense leaf hash hex; one key per expense. */
  expensesByState: Sublevel;
  /** expense leaf hash hex → JSON expense status (state and the entries that moved it). */
  expenses: Sublevel;
  /** contribution leaf hash hex → JSON string of the minor units refunds and fees may still take. */
  contributions: Sublevel;
  /**
   * protocol/entry/claims.ts keys → JSON leaf hash: each fact recorded once (`hostEntry …`,
   * `received …`, `paid …`) and each current member of a host (`member …`). Since version 2.
   */
  claims: Sublevel;
}

/** The sublevels of the ledger of actor `name`. */
export function ledgerSublevels(store: Store, name: string): LedgerSublevels {
  return {
    entries: store.sublevel('ledger', name, 'entries'),
    hashes: store.sublevel('ledger', name, 'hashes'),
    nodes: store.sublevel('ledger', name, 'nodes'),
    meta: store.sublevel('ledger', name, 'meta'),
    expensesByState: store.sublevel('ledger', name, 'expenses-by-state'),
    expenses: store.sublevel('ledger', name, 'expenses'),
    contributions: store.sublevel('ledger', name, 'contributions'),
    claims: store.sublevel('ledger', name, 'claims'),
  };
}

/** Key of a complete Merkle node: level (2 digits) then index (fixed width), so they sort. */
export function nodeKey(level: number, index: number): string {
  if (!Number.isInteger(level) || level < 0 || level > 63)
    throw new RangeError(`invalid tree level ${level}`);
  return `${level.toString().padStart(2, '0')}:${seqKey(index)}`;
}

/** Key of an expense in the by-state index. */
export function expenseStateKey(state: string, seq: number): string {
  return `${state}:${seqKey(seq)}`;
}
