// What the independent verifiers (Fedify, Digital Bazaar) need to check our proofs without a
// network: an in-memory document loader serving the JSON-LD contexts and the actors' documents,
// whose `assertionMethod` lists the keys as FEP-521a Multikeys; and ledgers with every kind.
import { preloadedContexts } from '@fedify/fedify/runtime';
import { CAGNOTTE_CONTEXT, CAGNOTTE_CONTEXT_DOCUMENT } from '../protocol/context.ts';
import { keyPairFromSeed } from '../protocol/crypto.ts';
import { verificationMethodFor } from '../protocol/entry/build.ts';
import {
  ACTIVITYSTREAMS_CONTEXT,
  DATA_INTEGRITY_CONTEXT,
  ENTRY_CONTEXT,
  type EntryBody,
} from '../protocol/entry/types.ts';
import type { JsonObject } from '../protocol/jcs.ts';
import { encodeMultikey } from '../protocol/multikey.ts';
import { ACTOR, ALICE, BOB, HOST, hostKeys, LedgerWriter, seed } from './ledger.ts';

export const MULTIKEY_CONTEXT = 'https://w3id.org/security/multikey/v1';
/** Defines `assertionMethod` outside a proof; the Multikey and Data Integrity contexts do not. */
export const DID_CONTEXT = 'https://www.w3.org/ns/did/v1';

/** The shape both Fedify's and jsonld.js's loaders return. */
export interface RemoteDocument {
  contextUrl: null;
  documentUrl: string;
  document: unknown;
}

/**
 * An actor document (FEP-521a): each key a `Multikey` in `assertionMethod`, with the id
 * `<actor>#ledger-key-<n>` the proofs name.
 */
export function actorDocument(actor: string, type: 'Group' | 'Organization', publicKeys: Uint8Array[]) {
  return {
    // The contexts Fedify itself gives actors; without the DID context a JSON-LD processor drops
    // `assertionMethod` (the FEP-8b32 example's actor has this problem).
    '@context': [ACTIVITYSTREAMS_CONTEXT, DATA_INTEGRITY_CONTEXT, DID_CONTEXT, MULTIKEY_CONTEXT],
    id: actor,
    type,
    inbox: `${actor}/inbox`,
    outbox: `${actor}/outbox`,
    assertionMethod: publicKeys.map((key, index) => ({
      id: verificationMethodFor(actor, index),
      type: 'Multikey',
      controller: actor,
      publicKeyMultibase: encodeMultikey(key),
    })),
  };
}

/** How {@link memoryLoader} answers a URL with a fragment (a key id). */
export type FragmentMode =
  /** As HTTP would: the fragment is dropped and the whole actor document comes back. */
  | 'document'
  /** As a DID-style resolver would: the `assertionMethod` entry with that id, as a Multikey document. */
  | 'verificationMethod';

/**
 * A document loader over a fixed map: the contexts a signed entry names, plus `documents` keyed
 * by URL. Anything else is refused: the tests never touch the network.
 */
export function memoryLoader(
  documents: Record<string, unknown>,
  fragments: FragmentMode = 'verificationMethod',
): (url: string) => Promise<RemoteDocument> {
  const known = new Map<string, unknown>([
    [ACTIVITYSTREAMS_CONTEXT, preloadedContexts[ACTIVITYSTREAMS_CONTEXT]],
    [DATA_INTEGRITY_CONTEXT, preloadedContexts[DATA_INTEGRITY_CONTEXT]],
    [MULTIKEY_CONTEXT, preloadedContexts[MULTIKEY_CONTEXT]],
    [DID_CONTEXT, preloadedContexts[DID_CONTEXT]],
    [CAGNOTTE_CONTEXT, CAGNOTTE_CONTEXT_DOCUMENT],
    ...Object.entries(documents),
  ]);
  return async (url: string) => {
    const [base, fragment] = url.split('#') as [string, string | undefined];
    let document = known.get(base);
    if (document === undefined) throw new Error(`no such document in the test loader: ${url}`);
    if (fragment !== undefined && fragments === 'verificationMethod') {
      const methods = (document as { assertionMethod?: { id: string }[] }).assertionMethod ?? [];
      const method = methods.find((m) => m.id === url);
      if (method === undefined) throw new Error(`no verification method ${url}`);
      document = { '@context': MULTIKEY_CONTEXT, ...method };
    }
    // A deep copy each time: verifiers may annotate what they load.
    return { contextUrl: null, documentUrl: url, document: structuredClone(document) };
  };
}

/** A Note shaped like a ledger entry, without going through the entry builder. */
export function entryShapedNote(actor: string): JsonObject {
  return {
    '@context': [...ENTRY_CONTEXT],
    id: `${actor}/ledger/1`,
    type: 'Note',
    attributedTo: actor,
    to: ['https://www.w3.org/ns/activitystreams#Public'],
    published: '2026-01-01T10:00:00Z',
    content: `<p>Repair Café received €25.00 from Alice. <a href="${actor}/ledger/1">#1</a></p>`,
    seq: 1,
    prev: 'ab'.repeat(32),
    kind: 'Contribution',
    amount: '25.00',
    currency: 'EUR',
    contributor: 'Alice',
  };
}

const expense: EntryBody<'Expense'> = {
  kind: 'Expense',
  by: ALICE,
  expenseType: 'invoice',
  title: 'Soldering irons',
  payee: 'Alice',
  items: [
    { description: 'Irons', amount: '100.00', incurredOn: '2026-01-02' },
    { description: 'Tin', amount: '20.00', incurredOn: '2026-01-02' },
  ],
  amount: '120.00',
  currency: 'EUR',
  commitments: { payout: 'ab'.repeat(32), email: 'cd'.repeat(32) },
  attachments: [{ sha256: 'ef'.repeat(32), mediaType: 'application/pdf', size: 4096 }],
};

/** A real ledger in which every entry kind appears, with a host and a key rotation. */
export function everyKindLedger(): LedgerWriter {
  const w = new LedgerWriter();
  w.joinHost();
  const contribution = w.append({
    kind: 'Contribution',
    amount: '500.00',
    currency: 'EUR',
    contributor: 'Bob <b>',
    message: 'For the café — merci !',
    receipt: w.hostSign('Receipt', { amount: '500.00', currency: 'EUR', memo: 'REF 42' }),
  });
  const cHash = w.hash(contribution.entry.seq);
  const e = w.append(expense);
  const eHash = w.hash(e.entry.seq);
  w.append({ kind: 'ExpenseRejected', by: BOB, expense: eHash, comment: 'Need the receipt' });
  w.append({ kind: 'ExpenseApproved', by: BOB, expense: eHash, comment: 'OK now' });
  w.append({
    kind: 'ExpenseCountersigned',
    expense: eHash,
    countersignature: w.hostSign('ExpenseCountersignature', {
      amount: '120.00',
      currency: 'EUR',
      expense: eHash,
    }),
  });
  w.append({
    kind: 'ExpensePaid',
    expense: eHash,
    amount: '120.00',
    currency: 'EUR',
    payout: w.hostSign('Payout', { amount: '120.00', currency: 'EUR', expense: eHash, memo: 'SEPA 7' }),
  });
  w.append({ kind: 'Refund', contribution: cHash, amount: '10.00', currency: 'EUR', reason: 'Asked back' });
  w.append({ kind: 'HostFee', contribution: cHash, amount: '25.00', currency: 'EUR', host: HOST });
  w.append({
    kind: 'Transfer',
    amount: '40.00',
    currency: 'EUR',
    direction: 'out',
    counterparty: 'https://x.example/a',
  });
  w.append({ kind: 'KeyRotated', ledgerKey: encodeMultikey(keyPairFromSeed(seed(2)).publicKey) });
  w.append({ kind: 'Update', title: 'News', body: 'We fixed 40 toasters. 🔧' });
  w.append({
    kind: 'Event',
    name: 'Repair day',
    startTime: '2026-03-01T09:00:00Z',
    endTime: '2026-03-01T17:00:00Z',
    timeZone: 'Europe/Brussels',
    place: 'Rue Haute 1',
    description: 'Bring your broken things.',
  });
  w.append({ kind: 'HostLeft', host: HOST });
  return w;
}

/** The loader for {@link everyKindLedger}: the collective with both its keys, and the host. */
export function ledgerLoader(fragments?: FragmentMode): (url: string) => Promise<RemoteDocument> {
  return memoryLoader(
    {
      [ACTOR]: actorDocument(ACTOR, 'Group', [
        keyPairFromSeed(seed(1)).publicKey,
        keyPairFromSeed(seed(2)).publicKey,
      ]),
      [HOST]: actorDocument(HOST, 'Organization', [hostKeys.publicKey]),
    },
    fragments,
  );
}
