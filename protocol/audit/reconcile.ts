/**
 * Reconciliation of a collective's ledger with its host's (SPEC.md §5.6, DESIGN.md §6): each
 * movement of money is on both. Both directions are checked with protocol/host/links.ts:
 *
 * - every `Contribution` receipt and `ExpensePaid` payout signed by this host names, in
 *   `hostEntry`, a `FundsReceived` or `PayoutMade` on the host's ledger that records the same
 *   movement (kind, host, collective, amount, currency, and for a payout the expense);
 * - every `FundsReceived` and `PayoutMade` for this collective on the host's ledger is named by
 *   an entry of the collective's.
 *
 * Both ledgers must already be verified (LedgerAudit) up to their checkpoints; this module only
 * matches them. It is fed both streams in any order and keeps only what is not yet matched,
 * indexed by the host entry's leaf hash and bounded to this collective's movements.
 *
 * Entries in flight: the host appends its entry first and the collective records the signed
 * object after, so a host entry may lawfully have no twin yet. A host entry without a twin that
 * was published after `inFlightAfter` is reported as in flight, not as a failure; an earlier one
 * is a failure. The other way has no such window: a receipt or payout names an entry the host
 * had already appended, so it must be on any host ledger audited after the collective's.
 */
import type { SignedEntry } from '../entry/types.ts';
import { checkHostLink, type LinkProblem } from '../host/links.ts';

/** The host money kinds that have a twin on the collective's ledger. */
type HostMoneyKind = 'FundsReceived' | 'PayoutMade';

/** Why the two ledgers do not reconcile; `side` names the ledger `seq` is on. */
export type ReconcileFailure =
  /** A receipt or payout whose `hostEntry` is missing from the host's ledger or records another movement. */
  | {
      type: 'hostLinkInvalid';
      side: 'collective';
      seq: number;
      path: '/receipt' | '/payout';
      hostEntry: string;
      /** The seq of the host entry, when it is on the host's ledger. */
      hostSeq?: number;
      problem: LinkProblem;
    }
  /** A host entry for this collective that no entry of the collective's names, and not in flight. */
  | {
      type: 'twinMissing';
      side: 'host';
      seq: number;
      kind: HostMoneyKind;
      hostEntry: string;
      amount: string;
      currency: string;
      published: string;
    };

/** A host entry with no twin yet, recent enough to be on its way to the collective. */
export interface InFlight {
  seq: number;
  kind: HostMoneyKind;
  hostEntry: string;
  amount: string;
  published: string;
}

/** What a reconciliation found, whatever its verdict. */
export interface ReconcileCounts {
  /** Movements found on both ledgers. */
  matched: number;
  /** Host entries named by collective entries verified before (a resumed audit), not read again. */
  earlier: number;
  /** Receipts and payouts signed by another host (an earlier one), not reconciled here. */
  otherHosts: number;
  inFlight: InFlight[];
}

/** Result of {@link HostReconciliation.finish}. */
export type ReconcileResult =
  | ({ ok: true } & ReconcileCounts)
  | ({ ok: false; failure: ReconcileFailure; failures: number } & ReconcileCounts);

/** Options of {@link HostReconciliation.finish}. */
export interface ReconcileFinish {
  /** The host's actor id (the audited host ledger's). */
  host: string;
  /**
   * Whether the collective recorded this host entry in an entry not fed here (a resumed audit:
   * LedgerAudit.recordedOnce(`hostEntry <hash>`)). Such a twin was reconciled by an earlier audit.
   */
  recordedBefore?: (hostEntry: string) => boolean;
  /** ISO 8601 instant: an unmatched host entry published after it is in flight (default: none is). */
  inFlightAfter?: string;
}

interface Link {
  seq: number;
  path: '/receipt' | '/payout';
  signed: NonNullable<SignedEntry<'Contribution'>['receipt'] | SignedEntry<'ExpensePaid'>['payout']>;
}

/** Matches a collective's verified entries with its host's; see the module comment. */
export class HostReconciliation {
  readonly #collective: string;
  /** Receipts and payouts not matched yet, by `hostEntry`. */
  readonly #links = new Map<string, Link>();
  /** This collective's host money entries not matched yet, by leaf hash. */
  readonly #hostEntries = new Map<string, { seq: number; entry: SignedEntry }>();
  readonly #failures: ReconcileFailure[] = [];
  #matched = 0;

  /** `collective`: the collective's actor id. */
  constructor(collective: string) {
    this.#collective = collective;
  }

  /** Feeds one verified entry of the collective's ledger. */
  collectiveEntry(seq: number, entry: SignedEntry): void {
    let link: Link | undefined;
    if (entry.kind === 'Contribution') {
      const receipt = (entry as SignedEntry<'Contribution'>).receipt;
      if (receipt !== undefined) link = { seq, path: '/receipt', signed: receipt };
    } else if (entry.kind === 'ExpensePaid') {
      const payout = (entry as SignedEntry<'ExpensePaid'>).payout;
      if (payout !== undefined) link = { seq, path: '/payout', signed: payout };
    }
    const hash = link?.signed.hostEntry;
    if (link === undefined || hash === undefined) return;
    const found = this.#hostEntries.get(hash);
    if (found === undefined) this.#links.set(hash, link);
    else {
      this.#hostEntries.delete(hash);
      this.#match(link, hash, found);
    }
  }

  /** Feeds one verified entry of the host's ledger, with its hex leaf hash. */
  hostEntry(seq: number, entry: SignedEntry, leafHash: string): void {
    if (entry.kind !== 'FundsReceived' && entry.kind !== 'PayoutMade') return;
    if ((entry as SignedEntry<HostMoneyKind>).collective !== this.#collective) return;
    const link = this.#links.get(leafHash);
    if (link === undefined) this.#hostEntries.set(leafHash, { seq, entry });
    else {
      this.#links.delete(leafHash);
      this.#match(link, leafHash, { seq, entry });
    }
  }

  /** The verdict once both ledgers are fed: the first failure on the collective's side, else on the host's. */
  finish(options: ReconcileFinish): ReconcileResult {
    const failures = [...this.#failures];
    let otherHosts = 0;
    for (const [hash, link] of this.#links) {
      if (link.signed.host !== options.host) otherHosts += 1;
      else failures.push(linkFailure(link, hash, checkHostLink(link.signed, undefined)));
    }
    const after = options.inFlightAfter === undefined ? undefined : Date.parse(options.inFlightAfter);
    const inFlight: InFlight[] = [];
    let earlier = 0;
    for (const [hash, { seq, entry }] of this.#hostEntries) {
      if (options.recordedBefore?.(hash)) {
        earlier += 1;
        continue;
      }
      const e = entry as SignedEntry<HostMoneyKind>;
      const moved = { seq, kind: e.kind, hostEntry: hash, amount: e.amount, published: e.published };
      if (after !== undefined && Date.parse(e.published) > after) inFlight.push(moved);
      else failures.push({ type: 'twinMissing', side: 'host', currency: e.currency, ...moved });
    }
    inFlight.sort((a, b) => a.seq - b.seq);
    const counts = { matched: this.#matched, earlier, otherHosts, inFlight };
    const first = failures.sort(
      (a, b) => Number(a.side === 'host') - Number(b.side === 'host') || a.seq - b.seq,
    )[0];
    if (first === undefined) return { ok: true, ...counts };
    return { ok: false, failure: first, failures: failures.length, ...counts };
  }

  #match(link: Link, hash: string, found: { seq: number; entry: SignedEntry }): void {
    const problem = checkHostLink(link.signed, found.entry);
    if (problem === undefined) this.#matched += 1;
    else this.#failures.push(linkFailure(link, hash, problem, found.seq));
  }
}

function linkFailure(link: Link, hostEntry: string, problem: LinkProblem | undefined, hostSeq?: number) {
  return {
    type: 'hostLinkInvalid' as const,
    side: 'collective' as const,
    seq: link.seq,
    path: link.path,
    hostEntry,
    ...(hostSeq === undefined ? {} : { hostSeq }),
    problem: problem ?? { type: 'hostEntryNotFound' as const, hostEntry },
  };
}

/** Boolean form of a reconciliation result. */
export function isReconciled(result: ReconcileResult): boolean {
  return result.ok;
}
