/**
 * How the two ledgers of one movement of money name each other (double entry across two nodes,
 * SPEC.md §5.6). The host appends its own entry first, `FundsReceived` for money received (its
 * `reference` is the receipt's unique reference) or `PayoutMade` for a payout (its `expense` is
 * the collective's `Expense` leaf hash), then signs the object the collective embeds (`Receipt`
 * in `Contribution`, `Payout` in `ExpensePaid`), whose `hostEntry` is that entry's leaf hash. An
 * auditor or the host's witness follows `hostEntry` to the host's ledger and checks here that the
 * entry records what the object attests.
 */
import type { HostSigned, HostSignedType, UnsignedEntry } from '../entry/types.ts';

/** The host entry kind that records the movement each host-signed type attests (none for a countersignature). */
export const HOST_ENTRY_KIND = {
  Receipt: 'FundsReceived',
  Payout: 'PayoutMade',
  ExpenseCountersignature: undefined,
} as const satisfies Record<HostSignedType, string | undefined>;

/** Why a host-signed object and the host entry it names do not record the same movement. */
export type LinkProblem =
  | { type: 'noHostEntry' }
  | { type: 'hostEntryNotFound'; hostEntry: string }
  | { type: 'wrongKind'; expected: string; actual: string }
  | { type: 'mismatch'; field: 'host' | 'collective' | 'amount' | 'currency' | 'expense' };

/**
 * Checks that `hostEntry`, the entry the caller found on the host's ledger under
 * `signed.hostEntry` (undefined when there is none), records the movement `signed` attests: the
 * right kind, by the same host, for the same collective, amount and currency, and for a payout
 * the same expense. Proofs are the caller's to check (entry/rules.ts, chain.ts).
 */
export function checkHostLink(
  signed: HostSigned,
  hostEntry: UnsignedEntry | undefined,
): LinkProblem | undefined {
  const expected = HOST_ENTRY_KIND[signed.type];
  if (expected === undefined || signed.hostEntry === undefined) return { type: 'noHostEntry' };
  if (hostEntry === undefined) return { type: 'hostEntryNotFound', hostEntry: signed.hostEntry };
  if (hostEntry.kind !== expected) return { type: 'wrongKind', expected, actual: hostEntry.kind };
  const e = hostEntry as UnsignedEntry<'FundsReceived'> | UnsignedEntry<'PayoutMade'>;
  if (e.attributedTo !== signed.host) return { type: 'mismatch', field: 'host' };
  if (e.collective !== signed.collective) return { type: 'mismatch', field: 'collective' };
  if (e.amount !== signed.amount) return { type: 'mismatch', field: 'amount' };
  if (e.currency !== signed.currency) return { type: 'mismatch', field: 'currency' };
  if (e.kind === 'PayoutMade' && e.expense !== signed.expense) return { type: 'mismatch', field: 'expense' };
  return undefined;
}

/** Boolean form of {@link checkHostLink}. */
export function isHostLinkValid(signed: HostSigned, hostEntry: UnsignedEntry | undefined): boolean {
  return checkHostLink(signed, hostEntry) === undefined;
}
