/**
 * Shapes of the host's records (node/host/store.ts) and of what its services answer. Amounts
 * are wire strings in the host's currency; JSON has no bigint.
 */
import type { HostSigned } from '../../protocol/entry/types.ts';
import type { HostMessage } from '../../protocol/host/messages.ts';

/** A collective's application, as received and as decided. */
export interface ApplicationRecord {
  /** SHA-256 of the JCS of the signed application, hex: its id. */
  id: string;
  collective: string;
  status: 'pending' | 'accepted' | 'rejected';
  application: HostMessage<'HostApplication'>;
  receivedAt: string;
  decidedBy?: string;
  membership?: HostMessage<'HostMembership'>;
}

/** A member collective, as the host knows it. */
export interface MemberRecord {
  collective: string;
  status: 'active' | 'left';
  since: string;
  application: string;
  currency: string;
  ledgerKey: string;
  checkpointKey: string;
  origin: string;
  feeBasisPoints: number;
  /** Leaf hash of the host's `MemberJoined` entry. */
  hostEntry: string;
}

/** A pledge: the reference a supporter quotes on the bank transfer. */
export interface PledgeRecord {
  reference: string;
  collective: string;
  createdAt: string;
  /** The amount promised, if the supporter said. */
  amount?: string;
  /** The supporter's public name; absent: anonymous. */
  name?: string;
  status: 'awaiting' | 'received';
  received?: {
    amount: string;
    at: string;
    by: string;
    hostEntry: string;
    receipt: HostSigned<'Receipt'>;
    fee: string;
  };
}

/** Where an expense stands at the host. */
export type CountersignState = 'review' | 'countersigned' | 'refused' | 'paid';

/** A countersigning request and everything the host answered. */
export interface CountersignRecord {
  collective: string;
  expense: string;
  amount: string;
  title: string;
  payee: string;
  state: CountersignState;
  /** Host admins needed (0: automatic) and those who approved. */
  approvals: number;
  approvedBy: string[];
  /** The collective's ledger size when the host decided (a refusal is re-decided once it grows). */
  decidedAtSize: number;
  countersignature?: HostSigned<'ExpenseCountersignature'>;
  refusal?: HostMessage<'CountersignRefusal'>;
  payout?: HostSigned<'Payout'>;
  hostEntry?: string;
  paidBy?: string;
}

/** The host's books for one collective, minor units as decimal strings. */
export interface BooksRecord {
  collective: string;
  received: string;
  fees: string;
  paid: string;
}

/** The witness's state for one collective's log. */
export interface WitnessRecord {
  collective: string;
  size: number;
  rootHash: string;
  /** The checkpoint as the collective signed it. */
  note: string;
  /** The same with this host's cosignature line. */
  cosigned: string;
  cosignature: string;
}

/** Two signed checkpoints of one log that cannot both be true, kept for anyone to check. */
export interface EvidenceRecord {
  id: string;
  collective: string;
  kind: 'fork' | 'inconsistent' | 'entriesMismatch';
  /** The checkpoint this host had cosigned. */
  cosigned: string;
  /** The checkpoint offered after it. */
  offered: string;
  /** The consistency proof that came with it, hex. */
  proof: string[];
  detail: unknown;
  at: string;
}

/** What confirming money received answers. */
export interface ReceiptResult {
  reference: string;
  collective: string;
  amount: string;
  /** The host's fee on it, which the collective records as `HostFee`. */
  fee: string;
  receipt: HostSigned<'Receipt'>;
  /** Leaf hash of the host's own `FundsReceived` (the receipt's `hostEntry`). */
  hostEntry: string;
}
