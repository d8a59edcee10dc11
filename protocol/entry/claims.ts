/**
 * What an entry claims that a ledger may hold only once, and what it needs of a host's member
 * list (SPEC.md §5.5). A receipt or payout names the host entry that moved the money, and a
 * collective records each at most once; a host receives under a reference once, pays an expense
 * once, and keeps a member list that `MemberJoined` / `MemberLeft` change. The chain verifier
 * and the node's writer both decide with these functions, over their own storage, so they refuse
 * the same entries for the same reasons.
 *
 * The functions read fields defensively: the writer asks for the keys of a body before the body
 * has been checked against its schema.
 */
import type { EntryKind, Hash } from './types.ts';

/** A fact an entry records that its ledger may record only once. */
export interface OnceClaim {
  /** Opaque key, unique per fact: `hostEntry <hash>`, `received <reference>`, `paid <collective> <expense>`. */
  key: string;
  /** JSON Pointer of the field that makes the claim. */
  path: string;
}

/** What an entry needs of the member list, and how it changes it (host ledgers). */
export interface MembershipStep {
  collective: string;
  /** `join`: must not be a member and becomes one; `leave`: must be one and stops; `use`: must be one. */
  step: 'join' | 'leave' | 'use';
}

/** Why {@link checkClaims} refuses an entry. */
export type ClaimFailure =
  | { type: 'alreadyRecorded'; path: string; key: string; first: Hash }
  | { type: 'forbiddenTransition'; rule: 'notAMember' | 'selfMembership'; reference: string };

/** What a ledger already holds: the leaf hash that first recorded a key, the current members. */
export interface ClaimLookup {
  /** Leaf hash of the entry that recorded `key`, or undefined. */
  once(key: string): Hash | undefined;
  /** Leaf hash of the `MemberJoined` that made `collective` a current member, or undefined. */
  member(collective: string): Hash | undefined;
}

/** Where {@link applyClaims} records an accepted entry's claims. */
export interface ClaimSink {
  setOnce(key: string, leafHash: Hash): void;
  /** `leafHash` of the `MemberJoined`, or undefined when the member left. */
  setMember(collective: string, leafHash: Hash | undefined): void;
}

type Fields = { kind: EntryKind | string } & Record<string, unknown>;

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function embeddedHostEntry(value: unknown): string | undefined {
  return typeof value === 'object' && value !== null ? text((value as Fields).hostEntry) : undefined;
}

/** The facts `entry` (signed, unsigned or a body) records that its ledger may hold once. */
export function onceClaims(entry: { kind: EntryKind | string }): OnceClaim[] {
  const e = entry as Fields;
  switch (e.kind) {
    case 'Contribution': {
      const hash = embeddedHostEntry(e.receipt);
      return hash === undefined ? [] : [{ key: `hostEntry ${hash}`, path: '/receipt/hostEntry' }];
    }
    case 'ExpensePaid': {
      const hash = embeddedHostEntry(e.payout);
      return hash === undefined ? [] : [{ key: `hostEntry ${hash}`, path: '/payout/hostEntry' }];
    }
    case 'FundsReceived': {
      const reference = text(e.reference);
      return reference === undefined ? [] : [{ key: `received ${reference}`, path: '/reference' }];
    }
    case 'PayoutMade': {
      const collective = text(e.collective);
      const expense = text(e.expense);
      return collective === undefined || expense === undefined
        ? []
        : [{ key: `paid ${collective} ${expense}`, path: '/expense' }];
    }
    default:
      return [];
  }
}

/** What `entry` needs of its ledger's member list, or undefined for kinds that need nothing. */
export function membershipStep(entry: { kind: EntryKind | string }): MembershipStep | undefined {
  const e = entry as Fields;
  const collective = text(e.collective);
  if (collective === undefined) return undefined;
  switch (e.kind) {
    case 'MemberJoined':
      return { collective, step: 'join' };
    case 'MemberLeft':
      return { collective, step: 'leave' };
    case 'FundsReceived':
    case 'PayoutMade':
      return { collective, step: 'use' };
    default:
      return undefined;
  }
}

/** Key under which a member is looked up by the writer's storage (never collides with a once key). */
export function memberKey(collective: string): string {
  return `member ${collective}`;
}

/**
 * Checks `entry` of ledger `actor` against what the ledger holds: a second `MemberJoined` for a
 * current member, a reused host entry, reference or paid expense is `alreadyRecorded` (naming the
 * entry that recorded it first, so that a writer retrying after a crash finds its own entry); an
 * entry about a collective that is not a current member is `notAMember`.
 */
export function checkClaims(
  entry: { kind: EntryKind | string },
  actor: string,
  lookup: ClaimLookup,
): ClaimFailure | undefined {
  const membership = membershipStep(entry);
  if (membership !== undefined) {
    const { collective, step } = membership;
    const joined = lookup.member(collective);
    if (step === 'join') {
      if (collective === actor)
        return { type: 'forbiddenTransition', rule: 'selfMembership', reference: actor };
      if (joined !== undefined)
        return { type: 'alreadyRecorded', path: '/collective', key: memberKey(collective), first: joined };
    } else if (joined === undefined) {
      return { type: 'forbiddenTransition', rule: 'notAMember', reference: collective };
    }
  }
  for (const claim of onceClaims(entry)) {
    const first = lookup.once(claim.key);
    if (first !== undefined) return { type: 'alreadyRecorded', path: claim.path, key: claim.key, first };
  }
  return undefined;
}

/** Records the claims of an accepted `entry` whose leaf hash is `leafHash`. */
export function applyClaims(entry: { kind: EntryKind | string }, leafHash: Hash, sink: ClaimSink): void {
  const membership = membershipStep(entry);
  if (membership?.step === 'join') sink.setMember(membership.collective, leafHash);
  if (membership?.step === 'leave') sink.setMember(membership.collective, undefined);
  for (const claim of onceClaims(entry)) sink.setOnce(claim.key, leafHash);
}
