/**
 * The ledger service's public shapes: what routes, the CLI, federation and export see. The
 * service itself is `service.ts` (one `LedgerService` per actor, the single writer).
 */
import type { CryptoBackend } from '../../protocol/crypto.ts';
import type { EntryBody, Hash, SignedEntry } from '../../protocol/entry/types.ts';
import type { Store } from '../storage/types.ts';

/** The actor a ledger belongs to, with the secret keys the writer signs with. */
export interface LedgerActor {
  /** `${origin}/actors/${name}`. */
  id: string;
  name: string;
  /**
   * 32-byte Ed25519 seed of the ledger key (signs entries). Without it (a ledger imported without
   * its key file) the ledger is read-only: appends reject with `LEDGER_CLOSED`.
   */
  ledgerSecretKey?: Uint8Array;
  /** 32-byte Ed25519 seed of the checkpoint key (signs C2SP checkpoints); read-only without it. */
  checkpointSecretKey?: Uint8Array;
}

/** Options for {@link import('./service.ts').LedgerService.open}. */
export interface LedgerOptions {
  store: Store;
  actor: LedgerActor;
  /** Default: node:crypto when available, else noble. */
  backend?: CryptoBackend;
  /** The clock entries are stamped with; tests inject one. */
  now?: () => Date;
  /** Most entries in one batch (default 1,000). */
  maxBatch?: number;
  /**
   * fsync each batch before acknowledging it (default true). Only tools that rebuild a database
   * they can throw away (import, seed into a fresh copy) may turn it off.
   */
  sync?: boolean;
}

/** One stored entry: the exact leaf bytes and what they parse to. */
export interface EntryRecord {
  seq: number;
  /** Lowercase hex SHA-256(0x00 || leaf). */
  leafHash: Hash;
  /** JCS bytes of the signed entry, exactly as hashed (serve these, never a re-serialisation). */
  leaf: Uint8Array;
  entry: SignedEntry;
}

/** What an acknowledged append returns: the entry is durable when this resolves. */
export type AppendResult = EntryRecord;

/** The current end of the ledger. */
export interface LedgerHead {
  /** Number of entries (the tree size); the next entry gets this seq. */
  size: number;
  /** Leaf hash of entry `size - 1`, or undefined for an empty ledger. */
  leafHash: Hash | undefined;
  /** RFC 9162 root of the tree of `size` leaves, hex. */
  rootHash: Hash;
}

/** Options for a page of entries. */
export interface PageOptions {
  /** `newest` (default) walks from the head down, `oldest` from the genesis up. */
  order?: 'newest' | 'oldest';
  /** Opaque cursor from a previous page's `next`. */
  cursor?: string;
  /** Entries per page, 1..500 (default 50). */
  limit?: number;
}

/** A page of entries and the cursor of the next page (absent on the last page). */
export interface Page<T = EntryRecord> {
  items: T[];
  next?: string;
}

/** A signed C2SP checkpoint and what it commits to. */
export interface StoredCheckpoint {
  size: number;
  /** Root hash, hex. */
  rootHash: Hash;
  /** The signed note, exactly as published (text/plain; charset=utf-8). */
  note: string;
}

/** RFC 9162 inclusion proof of entry `seq` in the tree of `size` leaves. */
export interface InclusionProof {
  seq: number;
  size: number;
  leafHash: Hash;
  /** Leaf-to-root order, hex. */
  hashes: Hash[];
}

/** RFC 9162 consistency proof from `size1` to `size2`. */
export interface ConsistencyProof {
  size1: number;
  size2: number;
  hashes: Hash[];
}

/** Counters for tests and the benchmark. */
export interface LedgerStats {
  batches: number;
  entries: number;
  rejected: number;
  /** Largest batch written. */
  maxBatch: number;
}

/** A caller-supplied body and who caused it; `by` overrides `body.by`. */
export interface AppendRequest {
  body: EntryBody;
  by?: string;
}
