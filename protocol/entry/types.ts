/**
 * The ledger entry: an ActivityStreams `Note` carrying the ledger fields in Cagnotte's JSON-LD
 * namespace and exactly one `eddsa-jcs-2022` proof. SPEC.md §Entries is the normative text.
 */
import type { DataIntegrityProof } from '../proof.ts';

export const ACTIVITYSTREAMS_CONTEXT = 'https://www.w3.org/ns/activitystreams';
export const DATA_INTEGRITY_CONTEXT = 'https://w3id.org/security/data-integrity/v2';
/** Cagnotte's own terms; nodes serve it and the package ships it (protocol/context.jsonld). */
export const CAGNOTTE_CONTEXT = 'https://w3id.org/cagnotte/v1';
export const ENTRY_CONTEXT = [ACTIVITYSTREAMS_CONTEXT, DATA_INTEGRITY_CONTEXT, CAGNOTTE_CONTEXT] as const;
export const PUBLIC_AUDIENCE = 'https://www.w3.org/ns/activitystreams#Public';

/** Largest accepted leaf (the JCS bytes of a signed entry). */
export const MAX_LEAF_BYTES = 64 * 1024;

/** Lowercase hex SHA-256 (a leaf hash or a commitment), 64 characters. */
export type Hash = string;
/** A decimal amount with exactly the currency's minor digits: `"25.00"` EUR, `"1000"` JPY. */
export type Amount = string;
/** `YYYY-MM-DDThh:mm:ssZ`. */
export type Timestamp = string;

export type EntryKind =
  | 'Genesis'
  | 'HostJoined'
  | 'HostLeft'
  | 'Contribution'
  | 'Expense'
  | 'ExpenseApproved'
  | 'ExpenseRejected'
  | 'ExpenseCountersigned'
  | 'ExpensePaid'
  | 'Refund'
  | 'HostFee'
  | 'Transfer'
  | 'KeyRotated'
  | 'Update'
  | 'Event'
  | 'MemberJoined'
  | 'MemberLeft'
  | 'FundsReceived'
  | 'PayoutMade';

/** The kinds of objects a host signs for a collective. */
export type HostSignedType = 'Receipt' | 'ExpenseCountersignature' | 'Payout';

/**
 * An object signed by the host and embedded in a collective's entry (its own proof, FEP-8b32,
 * with the entry's `@context` so that it also verifies on its own). It attests `amount` and
 * `currency`, for an expense the expense's leaf hash, and for money that moved (receipt,
 * payout) the host's own ledger entry that records the movement.
 */
export interface HostSigned<T extends HostSignedType = HostSignedType> {
  '@context': typeof ENTRY_CONTEXT | string[];
  type: T;
  /** The host actor id. */
  host: string;
  /** The collective actor id. */
  collective: string;
  /** The expense's leaf hash (countersignature and payout only). */
  expense?: Hash;
  amount: Amount;
  currency: string;
  /** A short note for people, such as the bank transfer reference (payout and receipt only). */
  memo?: string;
  /**
   * Leaf hash of the host's own entry for this movement of money (`FundsReceived` for a receipt,
   * `PayoutMade` for a payout); required on those two, absent on a countersignature. A ledger
   * records each host entry at most once.
   */
  hostEntry?: Hash;
  proof: DataIntegrityProof;
}

/** Fields of each kind, beside the envelope. */
export interface KindFields {
  Genesis: {
    actorType: 'Group' | 'Organization';
    name: string;
    currency: string;
    /** Multikey of the ledger key that signs entries (verification method `#ledger-key-0`). */
    ledgerKey: string;
    /** Multikey of the Ed25519 key that signs checkpoints, and the checkpoint origin line. */
    checkpointKey: string;
    origin: string;
  };
  HostJoined: { host: string; hostKey: string; feeBasisPoints: number };
  HostLeft: { host: string };
  Contribution: {
    amount: Amount;
    currency: string;
    /** Public name; absent for an anonymous contribution. */
    contributor?: string;
    message?: string;
    receipt?: HostSigned<'Receipt'>;
  };
  Expense: {
    expenseType: 'invoice' | 'receipt' | 'grant';
    title: string;
    payee: string;
    items: { description: string; amount: Amount; incurredOn: string }[];
    /** The sum of the items. */
    amount: Amount;
    currency: string;
    /** SHA-256(salt || value) of private data (payout details, e-mail), hex. */
    commitments: { payout?: Hash; email?: Hash };
    attachments: { sha256: Hash; mediaType: string; size: number }[];
  };
  ExpenseApproved: { expense: Hash; comment?: string };
  ExpenseRejected: { expense: Hash; comment: string };
  ExpenseCountersigned: { expense: Hash; countersignature: HostSigned<'ExpenseCountersignature'> };
  /** `payout` is required when the ledger has a host and absent otherwise. */
  ExpensePaid: { expense: Hash; amount: Amount; currency: string; payout?: HostSigned<'Payout'> };
  Refund: { contribution: Hash; amount: Amount; currency: string; reason?: string };
  HostFee: { contribution: Hash; amount: Amount; currency: string; host: string };
  Transfer: {
    amount: Amount;
    currency: string;
    direction: 'in' | 'out';
    counterparty: string;
    memo?: string;
  };
  KeyRotated: { ledgerKey: string };
  Update: { title: string; body: string };
  Event: {
    name: string;
    startTime: Timestamp;
    endTime: Timestamp;
    /** IANA time zone the event is held in, e.g. `Europe/Brussels`. */
    timeZone: string;
    /** Where, as free text (AS `location` would make it a link). */
    place: string;
    description: string;
  };
  /** Host ledger: the host accepted `collective` as a member (SPEC.md §5.6). */
  MemberJoined: {
    collective: string;
    /** The collective's ledger key (Multikey) when it applied: the key that signed its application. */
    collectiveKey: string;
    feeBasisPoints: number;
    /** SHA-256 of the JCS of the signed application, and of the host terms it accepted, hex. */
    application: Hash;
    terms: Hash;
  };
  /** Host ledger: `collective`, a current member, left (or was let go). */
  MemberLeft: { collective: string; reason?: string };
  /**
   * Host ledger: money received for member `collective` under `reference`, the host's unique
   * reference of that receipt (a pledge's structured communication); one entry per reference.
   */
  FundsReceived: { collective: string; amount: Amount; currency: string; reference: string; memo?: string };
  /**
   * Host ledger: the host paid member `collective`'s countersigned expense (its leaf hash on the
   * collective's ledger); `reference` is the bank's payout reference. One entry per expense.
   */
  PayoutMade: {
    collective: string;
    expense: Hash;
    amount: Amount;
    currency: string;
    reference: string;
    memo?: string;
  };
}

/** Fields every entry carries. */
export interface Envelope<K extends EntryKind = EntryKind> {
  '@context': typeof ENTRY_CONTEXT | string[];
  /** `${attributedTo}/ledger/${seq}`: the URL it is served at. */
  id: string;
  type: 'Note';
  attributedTo: string;
  to: string[];
  published: Timestamp;
  /** A short human sentence in HTML (escaped), with the amount and a link. */
  content: string;
  seq: number;
  /** Leaf hash of entry `seq - 1`; absent on the genesis entry only. */
  prev?: Hash;
  kind: K;
  /** Who caused the entry: an account id, or for anonymous filers a commitment. */
  by?: string;
}

export type UnsignedEntry<K extends EntryKind = EntryKind> = Envelope<K> & KindFields[K];
export type SignedEntry<K extends EntryKind = EntryKind> = UnsignedEntry<K> & { proof: DataIntegrityProof };
/** The kind-specific part a caller supplies to append an entry. */
export type EntryBody<K extends EntryKind = EntryKind> = { kind: K; by?: string } & KindFields[K];

/** Every kind, in the order SPEC.md §5.2 lists them. */
export const ENTRY_KINDS: readonly EntryKind[] = [
  'Genesis',
  'HostJoined',
  'HostLeft',
  'Contribution',
  'Expense',
  'ExpenseApproved',
  'ExpenseRejected',
  'ExpenseCountersigned',
  'ExpensePaid',
  'Refund',
  'HostFee',
  'Transfer',
  'KeyRotated',
  'Update',
  'Event',
  'MemberJoined',
  'MemberLeft',
  'FundsReceived',
  'PayoutMade',
];

/** True when `kind` names one of the {@link ENTRY_KINDS}. */
export function isEntryKind(kind: unknown): kind is EntryKind {
  return typeof kind === 'string' && (ENTRY_KINDS as readonly string[]).includes(kind);
}
