// Ledgers for tests: real keys from fixed seeds, real signatures, a clock that ticks one hour
// per entry. `forge` signs anything, bypassing the builder's checks, to make bad ledgers.
import { nativeBackend } from '../node/crypto/native.ts';
import type { CryptoBackend } from '../protocol/crypto.ts';
import { keyPairFromSeed } from '../protocol/crypto.ts';
import { toHex, utf8 } from '../protocol/encoding.ts';
import {
  type BuiltEntry,
  buildEntry,
  buildGenesis,
  type ChainHead,
  entryIdFor,
  type HostObjectFields,
  leafHashOf,
  leafOf,
  nextHead,
  signHostObject,
  verificationMethodFor,
} from '../protocol/entry/build.ts';
import {
  ENTRY_CONTEXT,
  type EntryBody,
  type EntryKind,
  type HostSigned,
  type HostSignedType,
  PUBLIC_AUDIENCE,
  type SignedEntry,
} from '../protocol/entry/types.ts';
import type { JsonObject } from '../protocol/jcs.ts';
import { encodeMultikey } from '../protocol/multikey.ts';
import { createProof } from '../protocol/proof.ts';

export const ACTOR = 'https://repair.example/actors/repair-cafe';
export const HOST = 'https://host.example/actors/brussels-together';
export const ALICE = 'https://repair.example/users/alice';
export const BOB = 'https://repair.example/users/bob';

/** A 32-byte seed filled with `n`: ledger keys use 1.., the host 200, the checkpoint key 250. */
export function seed(n: number): Uint8Array {
  return new Uint8Array(32).fill(n);
}

export const hostKeys = keyPairFromSeed(seed(200));
export const checkpointKeys = keyPairFromSeed(seed(250));

/** Appends entries to one ledger, rotating keys on `KeyRotated`. */
export class LedgerWriter {
  readonly built: BuiltEntry[] = [];
  readonly backend: CryptoBackend;
  head: ChainHead;
  #keyIndex = 0;
  #hostEntries = 0;
  #time = Date.UTC(2026, 0, 1, 9);

  constructor(options: { currency?: string; backend?: CryptoBackend; name?: string } = {}) {
    this.backend = options.backend ?? nativeBackend;
    const genesis = buildGenesis(
      {
        actor: ACTOR,
        actorType: 'Group',
        name: options.name ?? 'Repair Café',
        currency: options.currency ?? 'EUR',
        checkpointKey: encodeMultikey(checkpointKeys.publicKey),
        origin: 'repair.example/repair-cafe',
      },
      { time: this.tick(), secretKey: this.secretKey(), backend: this.backend },
    );
    this.built.push(genesis);
    this.head = genesis.head;
  }

  /** The secret key of the current ledger key. */
  secretKey(index = this.#keyIndex): Uint8Array {
    return seed(index + 1);
  }

  tick(): Date {
    const time = new Date(this.#time);
    this.#time += 3_600_000;
    return time;
  }

  get entries(): SignedEntry[] {
    return this.built.map((b) => b.entry);
  }

  /** Hex leaf hash of entry `seq`. */
  hash(seq: number): string {
    return toHex((this.built[seq] as BuiltEntry).leafHash);
  }

  append<K extends EntryKind>(body: EntryBody<K>): BuiltEntry<K> {
    const built = buildEntry(this.head, body, {
      time: this.tick(),
      secretKey: this.secretKey(),
      backend: this.backend,
    });
    this.built.push(built);
    this.head = built.head;
    if (body.kind === 'KeyRotated') this.#keyIndex++;
    return built;
  }

  /**
   * A host-signed object for this collective. A receipt or payout names a host entry: a fresh
   * one unless `fields.hostEntry` says which (a collective's ledger records each only once).
   */
  hostSign<T extends HostSignedType>(
    type: T,
    fields: HostObjectFields,
    secretKey = hostKeys.secretKey,
  ): HostSigned<T> {
    const hostEntry =
      type === 'ExpenseCountersignature' || fields.hostEntry !== undefined
        ? {}
        : { hostEntry: toHex(this.backend.sha256(utf8(`host entry ${++this.#hostEntries}`))) };
    return signHostObject(
      type,
      { ...fields, ...hostEntry },
      {
        host: HOST,
        collective: ACTOR,
        time: this.tick(),
        secretKey,
        backend: this.backend,
      },
    );
  }

  joinHost(): void {
    this.append({
      kind: 'HostJoined',
      host: HOST,
      hostKey: encodeMultikey(hostKeys.publicKey),
      feeBasisPoints: 500,
    });
  }

  /**
   * Signs `fields` as the next entry without any check (a bad ledger), with `overrides` applied
   * to the envelope, and appends it.
   */
  forge(
    fields: Record<string, unknown>,
    overrides: Record<string, unknown> = {},
    keyIndex = this.#keyIndex,
  ): SignedEntry {
    const seq = this.head.nextSeq;
    const unsigned = {
      '@context': [...ENTRY_CONTEXT],
      id: entryIdFor(ACTOR, seq),
      type: 'Note',
      attributedTo: ACTOR,
      to: [PUBLIC_AUDIENCE],
      published: '',
      content: `<p>forged <a href="${entryIdFor(ACTOR, seq)}">#${seq}</a></p>`,
      seq,
      prev: this.head.prevHash,
      ...fields,
      ...overrides,
    } as Record<string, unknown>;
    const time = this.tick();
    unsigned.published = time.toISOString().replace(/\.\d{3}Z$/, 'Z');
    for (const [k, v] of Object.entries(unsigned)) if (v === undefined) delete unsigned[k];
    const entry = createProof(unsigned as JsonObject, {
      verificationMethod: verificationMethodFor(ACTOR, keyIndex),
      secretKey: this.secretKey(keyIndex),
      created: time,
      backend: this.backend,
    }) as unknown as SignedEntry;
    let leaf: Uint8Array;
    try {
      leaf = leafOf(entry);
    } catch {
      leaf = new TextEncoder().encode(JSON.stringify(entry));
    }
    const leafHash = leafHashOf(leaf, this.backend);
    this.built.push({ entry, leaf, leafHash, head: nextHead(this.head, entry, leafHash) });
    this.head = nextHead(this.head, entry, leafHash);
    return entry;
  }
}

/** A deep copy, for mutating a ledger. */
export function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
