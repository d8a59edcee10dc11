/**
 * What federation needs from the rest of the node, as narrow interfaces so that handlers are
 * tested against real ledgers and stores without the whole app, and so that the node's actor
 * registry can change without touching ActivityPub code.
 */
import type { CryptoBackend } from '../../protocol/crypto.ts';
import type { EntryRecord, LedgerHead, Page, PageOptions } from '../ledger/types.ts';
import type { Store } from '../storage/types.ts';

/** The reads federation makes of a ledger (LedgerService has them). */
export interface FederatedLedger {
  head(): LedgerHead;
  get(seq: number): Promise<EntryRecord | undefined>;
  page(options?: PageOptions): Promise<Page>;
}

/** A collective or host as federation shows it. */
export interface FederatedActor {
  name: string;
  /** `${origin}/actors/${name}`. */
  id: string;
  type: 'Group' | 'Organization';
  ledger: FederatedLedger;
}

/** The node's actors. */
export interface ActorSource {
  get(name: string): Promise<FederatedActor | undefined>;
  list(): Promise<{ name: string }[]>;
}

/** Everything federation is built from, wired explicitly by the app. */
export interface FederationDeps {
  /** The node's public origin, e.g. `https://collective.example`. */
  origin: string;
  /** The data directory (actor key files live in `<dataDir>/keys/`). */
  dataDir: string;
  store: Store;
  actors: ActorSource;
  backend: CryptoBackend;
  /** Fetch and deliver to private and loopback addresses (local testing only). */
  allowPrivateAddress: boolean;
  /** Actors whose followers are approved by hand (default: none; Follows are accepted). */
  manuallyApprovesFollowers?: (name: string) => boolean | Promise<boolean>;
  /** Node software version for NodeInfo. */
  version?: string;
}
