/**
 * The JSON-LD context of Cagnotte's own terms (`https://w3id.org/cagnotte/v1`), third in every entry's
 * `@context` after ActivityStreams and Data Integrity v2. Nodes serve it; verifiers load this copy
 * so that checking a ledger never needs the network. `protocol/context.jsonld` holds the same
 * document for tools that are not TypeScript; a test keeps the two identical.
 *
 * `prev`, `origin` and `items` are also ActivityStreams terms, defined there as IRIs
 * (`as:prev`, `as:origin`, `as:items`); entries use them for a leaf hash, a checkpoint origin line and
 * expense lines, so this context, which comes last, gives them Cagnotte meanings. ActivityStreams
 * terms used with their AS meaning (`name`, `startTime`, `endTime`, `location`, `mediaType`) are
 * not redefined.
 */
import type { JsonObject } from './jcs.ts';

export { CAGNOTTE_CONTEXT } from './entry/types.ts';

/** The vocabulary every Cagnotte term expands into. */
export const CAGNOTTE_VOCAB = 'https://w3id.org/cagnotte/ns#';

/** The context document served at `https://w3id.org/cagnotte/v1`. */
export const CAGNOTTE_CONTEXT_DOCUMENT = {
  '@context': {
    '@version': 1.1,
    cg: 'https://w3id.org/cagnotte/ns#',
    xsd: 'http://www.w3.org/2001/XMLSchema#',
    sec: 'https://w3id.org/security#',
    Receipt: 'cg:Receipt',
    ExpenseCountersignature: 'cg:ExpenseCountersignature',
    Payout: 'cg:Payout',
    HostApplication: 'cg:HostApplication',
    HostMembership: 'cg:HostMembership',
    CountersignRefusal: 'cg:CountersignRefusal',
    seq: {
      '@id': 'cg:seq',
      '@type': 'xsd:integer',
    },
    prev: 'cg:prev',
    kind: 'cg:kind',
    by: 'cg:by',
    amount: {
      '@id': 'cg:amount',
      '@type': 'xsd:decimal',
    },
    currency: 'cg:currency',
    actorType: {
      '@id': 'cg:actorType',
      '@type': '@vocab',
    },
    ledgerKey: {
      '@id': 'cg:ledgerKey',
      '@type': 'sec:multibase',
    },
    checkpointKey: {
      '@id': 'cg:checkpointKey',
      '@type': 'sec:multibase',
    },
    origin: 'cg:origin',
    host: {
      '@id': 'cg:host',
      '@type': '@id',
    },
    hostKey: {
      '@id': 'cg:hostKey',
      '@type': 'sec:multibase',
    },
    feeBasisPoints: {
      '@id': 'cg:feeBasisPoints',
      '@type': 'xsd:integer',
    },
    collective: {
      '@id': 'cg:collective',
      '@type': '@id',
    },
    collectiveKey: {
      '@id': 'cg:collectiveKey',
      '@type': 'sec:multibase',
    },
    application: 'cg:application',
    terms: 'cg:terms',
    decision: 'cg:decision',
    code: 'cg:code',
    contributor: 'cg:contributor',
    message: 'cg:message',
    receipt: 'cg:receipt',
    expenseType: 'cg:expenseType',
    title: 'cg:title',
    payee: 'cg:payee',
    items: {
      '@id': 'cg:items',
      '@container': '@list',
    },
    description: 'cg:description',
    incurredOn: {
      '@id': 'cg:incurredOn',
      '@type': 'xsd:date',
    },
    commitments: {
      '@id': 'cg:commitments',
      '@context': {
        payout: 'cg:payoutCommitment',
        email: 'cg:emailCommitment',
      },
    },
    payout: 'cg:payout',
    attachments: {
      '@id': 'cg:attachments',
      '@container': '@set',
    },
    sha256: 'cg:sha256',
    size: {
      '@id': 'cg:size',
      '@type': 'xsd:integer',
    },
    expense: 'cg:expense',
    comment: 'cg:comment',
    countersignature: 'cg:countersignature',
    contribution: 'cg:contribution',
    reason: 'cg:reason',
    direction: 'cg:direction',
    counterparty: {
      '@id': 'cg:counterparty',
      '@type': '@id',
    },
    memo: 'cg:memo',
    reference: 'cg:reference',
    hostEntry: 'cg:hostEntry',
    body: 'cg:body',
    timeZone: 'cg:timeZone',
    place: 'cg:place',
  },
} as const satisfies JsonObject;
