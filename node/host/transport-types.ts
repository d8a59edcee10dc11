/**
 * Shapes and wire constants of the host flows (transport.ts sends, transport-inbox.ts receives).
 */
import type { CryptoBackend } from '../../protocol/crypto.ts';
import type { HostMessage } from '../../protocol/host/messages.ts';
import type { NodeFederation } from '../federation/federation.ts';
import type { LedgerService } from '../ledger/service.ts';
import type { HostService } from './service.ts';

/** The ActivityStreams namespace (activity types in Fedify's queue messages). */
export const AS = 'https://www.w3.org/ns/activitystreams#';
/** `name` of the `Document` that carries a checkpoint note (request) or a cosigned one (answer). */
export const CHECKPOINT_DOCUMENT = 'checkpoint';

/** What a collective remembers of its application until the host answers. */
export interface PendingApplication {
  host: string;
  inbox: string;
  offer: string;
  application: HostMessage<'HostApplication'>;
  /** Set when the host rejected it (verified). */
  rejected?: HostMessage<'HostMembership'>;
}

/** What a collective remembers of the last cosigned checkpoint of its log. */
export interface CosignedCheckpoint {
  size: number;
  cosigned: string;
}

/** Something received and refused (tests read it; the node logs it). */
export interface TransportRefusal {
  activity: string;
  actor: string;
  problem: string;
  details?: unknown;
}

/** What the transport is built from. */
export interface TransportDeps {
  fed: NodeFederation;
  /** The host service of a local host actor (an `Organization`), by name. */
  host(name: string): Promise<HostService | undefined>;
  /** The ledger of a local actor, by name. */
  ledger(name: string): Promise<LedgerService | undefined>;
  backend?: CryptoBackend;
  now?: () => Date;
  onRefused?: (refusal: TransportRefusal) => void;
}

/** The property that carries a signed Cagnotte object (see {@link carry}). */
export const SIGNED = 'cg:signed';

/**
 * Where an activity carries its payload: an ActivityStreams object (the `Note` of a ledger entry,
 * a checkpoint `Document`) as `object`; a signed Cagnotte object (application, membership,
 * receipt, countersignature, refusal, payout) as `cg:signed`, because Fedify refuses an activity
 * whose `object` is not of an ActivityStreams type, and a signed object's type is its domain tag.
 */
export function carry(payload: unknown): Record<string, unknown> {
  const type = (payload as { type?: unknown } | null)?.type;
  return type === 'Note' || type === 'Document' ? { object: payload } : { [SIGNED]: payload };
}

/** A request the receiver refuses (recorded, not retried); `message` is the problem's name. */
export class Refused extends Error {
  readonly details: unknown;
  constructor(problem: string, details?: unknown) {
    super(problem);
    this.details = details;
  }
}
