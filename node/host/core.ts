/**
 * What every part of the host role shares: the host's ledger and keys, its terms, its records,
 * the way it reads a collective's ledger, and signing. The parts (applications.ts, funds.ts,
 * countersign.ts, witness.ts) each take a `HostCore`; service.ts puts them together.
 */

import { type ChainFailure, ChainVerifier } from '../../protocol/chain.ts';
import { type CryptoBackend, nobleBackend } from '../../protocol/crypto.ts';
import { toHex } from '../../protocol/encoding.ts';
import { type HostObjectFields, signHostObject, verificationMethodFor } from '../../protocol/entry/build.ts';
import type { EntryBody, HostSigned, HostSignedType, SignedEntry } from '../../protocol/entry/types.ts';
import { ExpenseFold } from '../../protocol/fold.ts';
import {
  type HostMessage,
  type HostMessageFields,
  type HostMessageType,
  signHostMessage,
} from '../../protocol/host/messages.ts';
import { type HostTerms, type ParsedTerms, parseTerms } from '../../protocol/host/terms.ts';
import { parseWireAmount } from '../../protocol/money.ts';
import { type NoteSignerKey, noteKeyFromSeed, SIG_TYPE_COSIGNATURE } from '../../protocol/note.ts';
import { AppError } from '../errors.ts';
import { checkpointOrigin, type LedgerService } from '../ledger/service.ts';
import type { EntryRecord } from '../ledger/types.ts';
import type { Store } from '../storage/types.ts';
import { checkJunction, type ReadProgress, readProgress, resumeRead } from './progress.ts';
import { HostStore } from './store.ts';
import type { BooksRecord, MemberRecord } from './types.ts';

/**
 * How the host reads a member's ledger: every entry from `from` on, oldest first, as the
 * collective serves them (in process: its LedgerService; over the network: its outbox).
 */
export interface CollectiveSource {
  entries(collective: string, from?: number): AsyncIterable<unknown>;
}

/** What a host is built from. */
export interface HostOptions {
  /** The host's own ledger (an `Organization`), with its keys. */
  ledger: LedgerService;
  store: Store;
  terms: HostTerms;
  source: CollectiveSource;
  backend?: CryptoBackend;
  now?: () => Date;
}

/** A collective's ledger as the host verified it. */
export interface ChainView {
  chain: { ok: true } | { ok: false; reason: ChainFailure };
  size: number;
  genesis: SignedEntry<'Genesis'> | undefined;
  host: { id: string; key: string } | undefined;
  ledgerKey: string | undefined;
  currency: string | undefined;
  balance: bigint;
  expenses: ExpenseFold;
}

/** The host's shared state and helpers. */
export class HostCore {
  readonly id: string;
  readonly name: string;
  readonly ledger: LedgerService;
  readonly records: HostStore;
  readonly terms: ParsedTerms;
  readonly source: CollectiveSource;
  readonly backend: CryptoBackend;
  readonly now: () => Date;

  constructor(options: HostOptions) {
    const parsed = parseTerms(options.terms);
    if (!parsed.ok)
      throw new AppError('VALIDATION_FAILED', `host terms: ${parsed.reason.type}`, { reason: parsed.reason });
    this.ledger = options.ledger;
    this.id = options.ledger.actor.id;
    this.name = options.ledger.actor.name;
    this.records = new HostStore(options.store, this.name);
    this.terms = parsed.terms;
    this.source = options.source;
    this.backend = options.backend ?? nobleBackend;
    this.now = options.now ?? (() => new Date());
  }

  /** ISO time without milliseconds, for records. */
  stamp(): string {
    return this.now()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
  }

  #secret(): Uint8Array {
    const key = this.ledger.actor.ledgerSecretKey;
    if (key === undefined) throw new AppError('LEDGER_CLOSED', "this host's keys are not on this node");
    return key;
  }

  #method(): string {
    return verificationMethodFor(this.id, this.ledger.chainHead()?.keyIndex ?? 0);
  }

  /** The host's ledger key as a Multikey: what a collective records in `HostJoined`. */
  hostKey(): string {
    const head = this.ledger.chainHead();
    if (head === undefined) throw new AppError('LEDGER_CLOSED', 'the host ledger has no genesis');
    return head.ledgerKey;
  }

  /** The witness key (type 0x04) the host cosigns with: its checkpoint key under its origin line. */
  witnessKey(): NoteSignerKey {
    const seed = this.ledger.actor.checkpointSecretKey;
    if (seed === undefined) throw new AppError('LEDGER_CLOSED', "this host's keys are not on this node");
    return noteKeyFromSeed(checkpointOrigin(this.id), seed, SIG_TYPE_COSIGNATURE, this.backend);
  }

  /** Signs an object the collective embeds (receipt, countersignature, payout). */
  signObject<T extends HostSignedType>(type: T, collective: string, fields: HostObjectFields): HostSigned<T> {
    return signHostObject(type, fields, {
      host: this.id,
      collective,
      verificationMethod: this.#method(),
      secretKey: this.#secret(),
      time: this.now(),
      backend: this.backend,
    });
  }

  /** Signs a host message (membership, refusal). */
  signMessage<T extends HostMessageType>(type: T, fields: HostMessageFields[T]): HostMessage<T> {
    return signHostMessage(type, fields, {
      verificationMethod: this.#method(),
      secretKey: this.#secret(),
      time: this.now(),
      backend: this.backend,
    });
  }

  /**
   * Appends the host's own entry for a decision, or finds the one already on its ledger. Each
   * host entry records a fact its ledger holds once (a member, a receipt's reference, a paid
   * expense: protocol/entry/claims.ts), so when the host crashed after appending and before
   * saving its record, the retry's append is refused with `LEDGER_ALREADY_RECORDED` naming the
   * entry already there, and the host carries on from that entry instead of appending twice.
   * The caller checks that the entry found records what it meant to record.
   */
  async appendOnce(body: EntryBody, by: string): Promise<{ record: EntryRecord; existing: boolean }> {
    try {
      return { record: await this.ledger.append(body, by), existing: false };
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'LEDGER_ALREADY_RECORDED') throw error;
      const first = (error.details?.reason as { first?: unknown } | undefined)?.first;
      const record = typeof first === 'string' ? await this.ledger.getByHash(first) : undefined;
      if (record === undefined || record.entry.kind !== body.kind) throw error;
      return { record, existing: true };
    }
  }

  /** The member record of `collective`, or undefined. */
  member(collective: string): Promise<MemberRecord | undefined> {
    return this.records.get<MemberRecord>('members', collective);
  }

  /** The active member record of `collective`, or `HOST_NOT_MEMBER`. */
  async activeMember(collective: string): Promise<MemberRecord> {
    const member = await this.member(collective);
    if (member?.status !== 'active') throw new AppError('HOST_NOT_MEMBER', undefined, { collective });
    return member;
  }

  /** The host's books for `collective`, zero when it has none yet. */
  async books(collective: string): Promise<BooksRecord> {
    return (
      (await this.records.get<BooksRecord>('books', collective)) ?? {
        collective,
        received: '0',
        fees: '0',
        paid: '0',
      }
    );
  }

  /** What the host holds for `collective` by its books: received − fees − paid, minor units. */
  async held(collective: string): Promise<bigint> {
    const b = await this.books(collective);
    return BigInt(b.received) - BigInt(b.fees) - BigInt(b.paid);
  }

  /**
   * Reads and verifies a collective's ledger with the protocol's chain verifier: for a member,
   * from where the last read stopped (progress.ts), its first entry read again to check that it is
   * still the one verified; otherwise, or when that state is unusable, from the genesis. What a
   * member's read verified is kept for the next one.
   */
  async readChain(collective: string): Promise<ChainView> {
    const saved = await this.progress<ReadProgress>(`read ${collective}`);
    const resumed = saved === undefined ? undefined : resumeRead(saved, collective, this.backend);
    const verifier = resumed?.verifier ?? new ChainVerifier({ actor: collective, backend: this.backend });
    const expenses = resumed?.expenses ?? new ExpenseFold();
    let genesis = resumed?.genesis;
    let size = resumed?.size ?? 0;
    let balance = resumed?.balance ?? 0n;
    const junctionHead = resumed?.verifier.head;
    let junction: ChainFailure | undefined;
    let atJunction = junctionHead !== undefined;
    for await (const value of this.source.entries(collective, atJunction ? size - 1 : 0)) {
      if (atJunction && junctionHead !== undefined) {
        atJunction = false;
        junction = checkJunction(value, junctionHead, size, this.backend);
        if (junction !== undefined) break;
        continue;
      }
      const step = verifier.push(value);
      if (!step.ok) break;
      const entry = value as SignedEntry;
      if (step.seq === 0) genesis = entry as SignedEntry<'Genesis'>;
      expenses.push(entry, toHex(step.leafHash), verifier.head?.currency ?? '');
      size = step.seq + 1;
      balance = step.balance;
    }
    // Nothing served where the saved state ends: the ledger was cut back.
    if (atJunction && junctionHead !== undefined)
      junction = checkJunction(undefined, junctionHead, size, this.backend);
    const failure = junction ?? verifier.failure;
    if (
      failure === undefined &&
      genesis !== undefined &&
      size > (resumed?.size ?? 0) &&
      (await this.member(collective)) !== undefined
    ) {
      const progress = readProgress(collective, { size, verifier, balance, genesis, expenses });
      await this.records.put([['progress', `read ${collective}`, progress]], { sync: false });
    }
    const head = verifier.head;
    return {
      chain: failure === undefined ? { ok: true } : { ok: false, reason: failure },
      size,
      genesis,
      host: head?.host,
      ledgerKey: head?.ledgerKey,
      currency: head?.currency,
      balance,
      expenses,
    };
  }

  /** A progress record (progress.ts); undefined when there is none or it does not parse. */
  async progress<T>(key: string): Promise<T | undefined> {
    try {
      return await this.records.get<T>('progress', key);
    } catch (error) {
      // Not JSON, or not UTF-8: read from the genesis instead. Anything else is the store's.
      if (error instanceof SyntaxError || error instanceof TypeError) return undefined;
      throw error;
    }
  }

  /** Minor units of a wire amount in the host's currency (the amount was checked before). */
  minor(amount: string): bigint {
    const parsed = parseWireAmount(amount, this.terms.currency);
    if (!parsed.ok) throw new AppError('INVALID_AMOUNT', undefined, { amount, reason: parsed.reason });
    return parsed.minor;
  }
}
