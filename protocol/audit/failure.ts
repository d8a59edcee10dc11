/**
 * Every reason an audit of a ledger fails, whoever runs it: the CLI (scripts/verify) knows them
 * all; the audit page (ui/audit) meets only a subset (no export lines, no host ledger, no single
 * entry), so its own union is assignable to this one.
 */
import type { ForkEvidence } from './forks.ts';
import type { EntryCheckFailure } from './inclusion.ts';
import type { AuditFailure } from './ledger.ts';
import type { ReconcileFailure } from './reconcile.ts';

/** Why the host's side of an audit fails. */
export type HostFailure =
  | ReconcileFailure
  /** The host's own ledger does not verify; `failure` is as for any ledger (its seq is the host's). */
  | { type: 'hostLedgerInvalid'; host: string; failure: VerifyFailure }
  /** The host ledger read is not the ledger of the host the collective declares. */
  | { type: 'hostMismatch'; declared: string; actual: string };

/** Every reason a verification fails (the CLI's exit 1). */
export type VerifyFailure =
  | AuditFailure
  | EntryCheckFailure
  | { type: 'sourceMalformed'; problem: string; seq?: number }
  | { type: 'notJson'; seq: number }
  | { type: 'fork'; evidence: ForkEvidence }
  | HostFailure;

/** The seq of the audited ledger's entry a failure names, if it names one. */
export function failureSeq(failure: VerifyFailure): number | undefined {
  // A seq on the host's ledger is not an entry of the audited one.
  if ('side' in failure && failure.side === 'host') return undefined;
  return 'seq' in failure && typeof failure.seq === 'number' ? failure.seq : undefined;
}
