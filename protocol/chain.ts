/**
 * Streaming verification of a ledger (SPEC.md §5.3, §5.5): entries are pushed one at a time and
 * checked in the spec's order (size and schema, seq and prev, actor, proof with the ledger's
 * current key, then what the ledger may record once, the kind's rules and the balance). Memory
 * stays constant apart from the open expenses, the contributions that a refund or host fee may
 * still reference, the host entries and references already recorded, and a host's members.
 * The first failure is final and names the seq (the position in the stream) and the reason.
 */
import { checkEnvelope, type EnvelopeFailure } from './chain-envelope.ts';
import type { ChainFailure, ChainSummary, ChainVerifierOptions, StepResult } from './chain-result.ts';
import {
  type ChainState,
  decodeChainState,
  encodeChainState,
  encodeChainStateBytes,
  type SnapshotFailure,
} from './chain-snapshot.ts';
import { type CryptoBackend, nobleBackend } from './crypto.ts';
import { bytesEqual, toHex } from './encoding.ts';
import { type ChainHead, headFromGenesis, leafHashOf, nextHead } from './entry/build.ts';
import { applyClaims, type ClaimLookup, type ClaimSink, checkClaims } from './entry/claims.ts';
import { checkHostSigned, checkStaticRules, type DeclaredHost, hostObjectReferences } from './entry/rules.ts';
import type { SignedEntry } from './entry/types.ts';
import {
  BudgetFold,
  type ExpenseAction,
  type ExpenseState,
  expenseTransition,
  moneyDirection,
} from './fold.ts';
import type { JsonObject } from './jcs.ts';
import { LeafAmounts, OnceRecords } from './leaf-maps.ts';
import { formatAmount } from './money.ts';
import { decodeMultikey } from './multikey.ts';

export type { EnvelopeFailure } from './chain-envelope.ts';
export type {
  ChainFailure,
  ChainResult,
  ChainSummary,
  ChainVerifierOptions,
  StepResult,
} from './chain-result.ts';
export { isChainValid, verifyChain, verifyChainAsync } from './chain-run.ts';

interface OpenExpense {
  state: ExpenseState;
  amount: bigint;
  by?: string;
}

type Fail = EnvelopeFailure;

/** Checks a ledger entry by entry; see {@link verifyChain} for whole ledgers. */
export class ChainVerifier {
  readonly #backend: CryptoBackend;
  readonly #actor: string | undefined;
  #head: ChainHead | undefined;
  #publicKey: Uint8Array = new Uint8Array(0);
  #host: DeclaredHost | undefined;
  #balance = 0n;
  #budget: BudgetFold | undefined;
  readonly #expenses = new Map<string, OpenExpense>();
  /** Contributions by leaf hash, with what refunds and fees have not yet taken back. */
  readonly #contributions = new LeafAmounts();
  /** Facts recorded once (entry/claims.ts), with the leaf hash that recorded each. */
  readonly #once = new OnceRecords();
  /** A host's current members, with the leaf hash of the `MemberJoined` that admitted each. */
  readonly #members = new Map<string, string>();
  readonly #lookup: ClaimLookup = {
    once: (key) => this.#once.get(key),
    member: (collective) => this.#members.get(collective),
  };
  readonly #sink: ClaimSink = {
    setOnce: (key, hash) => this.#once.set(key, hash),
    setMember: (collective, hash) => {
      if (hash === undefined) this.#members.delete(collective);
      else this.#members.set(collective, hash);
    },
  };
  #failure: ChainFailure | undefined;
  #position = 0;

  constructor(options: ChainVerifierOptions = {}) {
    this.#backend = options.backend ?? nobleBackend;
    this.#actor = options.actor;
  }

  /** The head after the last accepted entry (undefined before the genesis). */
  get head(): ChainHead | undefined {
    return this.#head;
  }

  /** The first failure, once there is one. */
  get failure(): ChainFailure | undefined {
    return this.#failure;
  }

  /**
   * The leaf hash of the entry that recorded the once-only fact `key` (entry/claims.ts, e.g.
   * `hostEntry <hash>`), if an accepted entry did: a reconciliation asks it of a resumed audit,
   * whose older entries it does not read again.
   */
  recordedOnce(key: string): string | undefined {
    return this.#once.get(key);
  }

  /** Summary of the entries accepted so far. */
  summary(): ChainSummary {
    const currency = this.#head?.currency;
    return {
      entries: this.#position,
      balance: currency === undefined ? '0' : formatAmount(this.#balance, currency),
      budget: this.#budget?.summary() ?? {
        currency: '',
        balance: 0n,
        income: { total: 0n, byKind: {}, byMonth: {} },
        spending: { total: 0n, byKind: {}, byMonth: {} },
      },
      openExpenses: this.#expenses.size,
    };
  }

  /**
   * The complete state after the entries accepted so far, as compact JSON (chain-snapshot.ts):
   * {@link ChainVerifier.resume} continues from it exactly. Throws after a failure, which is final.
   */
  snapshot(): JsonObject {
    return encodeChainState(this.#state(), this.#backend);
  }

  /**
   * {@link snapshot} as bytes (chain-snapshot.ts version 3), with the caller's `extra` fields under
   * its digest: the maps are written as they are held, without the JSON form's packing.
   */
  snapshotBytes(extra?: JsonObject): Uint8Array {
    return encodeChainStateBytes(this.#state(), this.#backend, extra);
  }

  #state(): ChainState {
    if (this.#failure !== undefined) throw new TypeError('a failed verification has no state to resume');
    return {
      position: this.#position,
      head: this.#head,
      balance: this.#balance,
      budget: this.#budget?.summary(),
      expenses: this.#expenses,
      contributions: this.#contributions,
      once: this.#once,
      members: this.#members,
    };
  }

  /**
   * A verifier that continues from `snapshot` (see {@link snapshot}); `snapshotInvalid` when its
   * digest or any field is wrong. The caller ties `size` and `head.prevHash` to a checkpoint.
   */
  static resume(
    snapshot: unknown,
    options: ChainVerifierOptions = {},
  ): { ok: true; verifier: ChainVerifier } | { ok: false; reason: SnapshotFailure } {
    const decoded = decodeChainState(snapshot, options.backend ?? nobleBackend);
    if (!decoded.ok) return decoded;
    const { state } = decoded;
    const head = state.head;
    if (head !== undefined && options.actor !== undefined && head.actor !== options.actor)
      return {
        ok: false,
        reason: { type: 'snapshotInvalid', problem: `not the ledger of ${options.actor}` },
      };
    const verifier = new ChainVerifier(options);
    verifier.#position = state.position;
    verifier.#head = head;
    verifier.#balance = state.balance;
    if (state.budget !== undefined) verifier.#budget = BudgetFold.resume(state.budget);
    for (const [k, v] of state.expenses) verifier.#expenses.set(k, { ...v });
    verifier.#contributions.setAll(state.contributions);
    verifier.#once.setAll(state.once);
    for (const [k, v] of state.members) verifier.#members.set(k, v);
    // The current key and the host's key are the head's; decodeChainState checked both decode.
    if (head !== undefined) {
      verifier.#publicKey = (decodeMultikey(head.ledgerKey) as { publicKey: Uint8Array }).publicKey;
      if (head.host !== undefined) {
        const key = decodeMultikey(head.host.key) as { publicKey: Uint8Array };
        verifier.#host = { id: head.host.id, publicKey: key.publicKey };
      }
    }
    return { ok: true, verifier };
  }

  /**
   * Checks the next entry. After a failure every push returns that failure. `line`, the UTF-8
   * bytes the entry was parsed from, spares serializing it again when they are canonical; the
   * verdict is the same with or without it.
   */
  push(value: unknown, line?: Uint8Array): StepResult {
    if (this.#failure !== undefined) return { ok: false, reason: this.#failure };
    const seq = this.#position;
    const outcome = this.#check(value, seq, line);
    if ('type' in outcome) {
      this.#failure = { ...outcome, seq } as ChainFailure;
      return { ok: false, reason: this.#failure };
    }
    this.#position++;
    return { ok: true, seq, leaf: outcome.leaf, leafHash: outcome.leafHash, balance: this.#balance };
  }

  #check(
    value: unknown,
    position: number,
    line?: Uint8Array,
  ): Fail | { leaf: Uint8Array; leafHash: Uint8Array } {
    const head = this.#head;
    const context = {
      position,
      head,
      actor: this.#actor,
      publicKey: this.#publicKey,
      backend: this.#backend,
    };
    const checked = checkEnvelope(value, context, line);
    if ('type' in checked) return checked;
    const { entry, leaf, actor, publicKey } = checked;

    const currency = head?.currency ?? (entry as SignedEntry<'Genesis'>).currency;
    const rules = checkStaticRules(entry, currency, actor);
    if (!rules.ok) {
      const r = rules.reason;
      if (head === undefined) return { type: 'genesisInvalid', problem: `${r.type} at ${r.path}` };
      return r;
    }

    // Before the kind's rules and the balance: a payout retried after a crash must read as
    // recorded, not as money the ledger no longer has.
    const claim = checkClaims(entry, actor, this.#lookup);
    if (claim !== undefined) return claim;
    const leafHash = leafHashOf(leaf, this.#backend);
    const hash = toHex(leafHash);
    const kindFailure = this.#applyKind(entry, hash, rules.minor);
    if (kindFailure !== undefined) return kindFailure;
    applyClaims(entry, hash, this.#sink);

    if (head === undefined) {
      this.#head = headFromGenesis(entry as SignedEntry<'Genesis'>, leafHash);
      this.#publicKey = publicKey;
      this.#budget = new BudgetFold(currency);
    } else {
      this.#head = nextHead(head, entry, leafHash);
    }
    this.#budget?.push(entry);
    return { leaf, leafHash };
  }

  #applyKind(entry: SignedEntry, hash: string, minor: bigint): Fail | undefined {
    switch (entry.kind) {
      case 'Genesis': {
        const g = entry as SignedEntry<'Genesis'>;
        if (!decodeMultikey(g.checkpointKey).ok) return { type: 'genesisInvalid', problem: 'checkpointKey' };
        return undefined;
      }
      case 'HostJoined': {
        const h = entry as SignedEntry<'HostJoined'>;
        if (this.#host !== undefined)
          return { type: 'forbiddenTransition', rule: 'hostAlreadyJoined', reference: h.host };
        const key = decodeMultikey(h.hostKey);
        if (!key.ok) return { type: 'schemaViolation', path: '/hostKey', message: 'not an Ed25519 Multikey' };
        this.#host = { id: h.host, publicKey: key.publicKey };
        return undefined;
      }
      case 'HostLeft': {
        const h = entry as SignedEntry<'HostLeft'>;
        if (this.#host?.id !== h.host)
          return { type: 'forbiddenTransition', rule: 'notTheHost', reference: h.host };
        this.#host = undefined;
        return undefined;
      }
      case 'KeyRotated': {
        const key = decodeMultikey((entry as SignedEntry<'KeyRotated'>).ledgerKey);
        if (!key.ok) return { type: 'keyRotationInvalid', problem: `ledgerKey: ${key.reason.type}` };
        if (bytesEqual(key.publicKey, this.#publicKey))
          return { type: 'keyRotationInvalid', problem: 'same key' };
        this.#publicKey = key.publicKey;
        return undefined;
      }
      case 'Contribution': {
        const receipt = (entry as SignedEntry<'Contribution'>).receipt;
        if (receipt !== undefined) {
          const problem = checkHostSigned(receipt, 'Receipt', this.#host, this.#backend);
          if (problem !== undefined) return { type: 'hostSignatureInvalid', path: '/receipt', problem };
        }
        this.#contributions.set(hash, minor);
        return this.#move(entry, minor);
      }
      case 'Expense':
        this.#expenses.set(hash, {
          state: 'pending',
          amount: minor,
          ...(entry.by === undefined ? {} : { by: entry.by }),
        });
        return undefined;
      case 'ExpenseApproved':
      case 'ExpenseRejected':
      case 'ExpenseCountersigned':
      case 'ExpensePaid':
        return this.#expenseStep(entry, minor);
      case 'Refund':
      case 'HostFee': {
        const reference = (entry as SignedEntry<'Refund'>).contribution;
        const left = this.#contributions.get(reference);
        if (left === undefined)
          return { type: 'forbiddenTransition', rule: 'unknownContribution', reference };
        if (minor > left) return { type: 'forbiddenTransition', rule: 'exceedsContribution', reference };
        this.#contributions.set(reference, left - minor);
        return this.#move(entry, minor);
      }
      case 'Transfer':
      case 'FundsReceived':
      case 'PayoutMade':
        return this.#move(entry, minor);
      default:
        return undefined;
    }
  }

  #expenseStep(entry: SignedEntry, minor: bigint): Fail | undefined {
    const action = entry.kind as ExpenseAction;
    const reference = (entry as SignedEntry<'ExpenseApproved'>).expense;
    const open = this.#expenses.get(reference);
    if (open === undefined)
      return { type: 'forbiddenTransition', rule: 'unknownExpense', reference, to: action };
    if (action === 'ExpenseApproved' && open.by !== undefined && entry.by === open.by) {
      return { type: 'selfApproval', expense: reference, by: open.by };
    }
    const next = expenseTransition(open.state, action, this.#host !== undefined);
    if (next === undefined) {
      return { type: 'forbiddenTransition', rule: 'expenseState', reference, from: open.state, to: action };
    }
    const currency = this.#head?.currency as string;
    const expected = {
      actor: entry.attributedTo,
      currency,
      amount: formatAmount(open.amount, currency),
      expense: reference,
    };
    if (action === 'ExpenseCountersigned') {
      const signed = (entry as SignedEntry<'ExpenseCountersigned'>).countersignature;
      const problem =
        checkHostSigned(signed, 'ExpenseCountersignature', this.#host, this.#backend) ??
        hostObjectReferences(signed, expected);
      if (problem !== undefined) return { type: 'hostSignatureInvalid', path: '/countersignature', problem };
    }
    if (action === 'ExpensePaid') {
      if (minor !== open.amount) {
        return {
          type: 'amountMismatch',
          path: '/amount',
          expected: expected.amount,
          actual: (entry as SignedEntry<'ExpensePaid'>).amount,
        };
      }
      const payout = (entry as SignedEntry<'ExpensePaid'>).payout;
      if (payout === undefined && this.#host !== undefined) {
        return { type: 'hostSignatureInvalid', path: '/payout', problem: { type: 'missing' } };
      }
      if (payout !== undefined) {
        const problem = checkHostSigned(payout, 'Payout', this.#host, this.#backend);
        if (problem !== undefined) return { type: 'hostSignatureInvalid', path: '/payout', problem };
      }
      const moved = this.#move(entry, minor);
      if (moved !== undefined) return moved;
      this.#expenses.delete(reference);
      return undefined;
    }
    open.state = next;
    return undefined;
  }

  #move(entry: SignedEntry, minor: bigint): Fail | undefined {
    const balance = this.#balance + BigInt(moneyDirection(entry)) * minor;
    if (balance < 0n) {
      const currency = this.#head?.currency as string;
      return {
        type: 'balanceBelowZero',
        balance: formatAmount(this.#balance, currency),
        amount: formatAmount(minor, currency),
      };
    }
    this.#balance = balance;
    return undefined;
  }
}
