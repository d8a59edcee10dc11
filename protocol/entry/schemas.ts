/**
 * Closed JSON Schemas (draft-07, compiled with ajv) for the entry envelope, each kind and the
 * host-signed objects (SPEC.md §5.1–5.2). They bound every string and array so that a hostile
 * ledger cannot make a verifier allocate without limit, and they fix the shape of hashes,
 * amounts, currency codes and times; what a pattern cannot say (a currency's minor digits, the
 * sum of an expense's items) is checked by the builder and the chain verifier with money.ts.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { type QuickCheck, quickCheck } from './schema-check.ts';
import { ENTRY_CONTEXT, type EntryKind, type HostSignedType, isEntryKind, PUBLIC_AUDIENCE } from './types.ts';

/** Why a value does not match its schema; `path` is a JSON Pointer into the entry. */
export interface SchemaViolation {
  type: 'schemaViolation';
  path: string;
  message: string;
}

/** Result of a schema check; `unknownKind` when `kind` names no kind at all. */
export type SchemaResult =
  | { ok: true }
  | { ok: false; reason: SchemaViolation | { type: 'unknownKind'; kind: string } };

/** Bounds on user text, in UTF-16 code units (SPEC.md §5.2). */
export const LIMITS = {
  name: 200,
  comment: 2_000,
  body: 20_000,
  url: 2_000,
  content: 10_000,
  items: 100,
  attachments: 20,
} as const;

const HASH = { type: 'string', pattern: '^[0-9a-f]{64}$' };
const AMOUNT = { type: 'string', pattern: '^(0|[1-9][0-9]{0,14})(\\.[0-9]{1,4})?$', maxLength: 20 };
const CURRENCY = { type: 'string', pattern: '^[A-Z]{3}$' };
const TIMESTAMP = { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' };
const DATE = { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' };
const TIME_ZONE = {
  type: 'string',
  maxLength: 64,
  pattern: '^(UTC|[A-Z][A-Za-z_-]*(/[A-Za-z0-9_+-]+){1,2})$',
};
const MULTIKEY = { type: 'string', pattern: '^z[1-9A-HJ-NP-Za-km-z]{40,60}$' };
const URL = { type: 'string', maxLength: LIMITS.url, pattern: '^https?://[^\\s]+$' };
const NAME = { type: 'string', minLength: 1, maxLength: LIMITS.name };
const COMMENT = { type: 'string', minLength: 1, maxLength: LIMITS.comment };
const BODY = { type: 'string', minLength: 1, maxLength: LIMITS.body };
const CONTEXT = { const: [...ENTRY_CONTEXT] };
/** A bank or host reference: printable, no leading or trailing space (it is compared exactly). */
const REFERENCE = { type: 'string', minLength: 1, maxLength: LIMITS.name, pattern: '^\\S(.*\\S)?$' };

const PROOF = {
  type: 'object',
  additionalProperties: false,
  required: [
    '@context',
    'type',
    'cryptosuite',
    'verificationMethod',
    'proofPurpose',
    'created',
    'proofValue',
  ],
  properties: {
    '@context': CONTEXT,
    type: { const: 'DataIntegrityProof' },
    cryptosuite: { const: 'eddsa-jcs-2022' },
    verificationMethod: { type: 'string', maxLength: LIMITS.url + 100 },
    proofPurpose: { const: 'assertionMethod' },
    created: TIMESTAMP,
    proofValue: { type: 'string', pattern: '^z[1-9A-HJ-NP-Za-km-z]{80,100}$' },
  },
};

function object(properties: Record<string, unknown>, required: string[]): Record<string, unknown> {
  return { type: 'object', additionalProperties: false, required, properties };
}

function hostSignedSchema(type: HostSignedType, signed: boolean): Record<string, unknown> {
  const properties: Record<string, unknown> = {
    '@context': CONTEXT,
    type: { const: type },
    host: URL,
    collective: URL,
    amount: AMOUNT,
    currency: CURRENCY,
  };
  const required = ['@context', 'type', 'host', 'collective', 'amount', 'currency'];
  if (type !== 'Receipt') {
    properties.expense = HASH;
    required.push('expense');
  }
  if (type !== 'ExpenseCountersignature') {
    properties.memo = COMMENT;
    // Money moved: the host's own entry for it is named, so both ledgers reconcile.
    properties.hostEntry = HASH;
    required.push('hostEntry');
  }
  if (signed) {
    properties.proof = PROOF;
    required.push('proof');
  }
  return object(properties, required);
}

const KIND_FIELDS: Record<EntryKind, { properties: Record<string, unknown>; required: string[] }> = {
  Genesis: {
    properties: {
      actorType: { enum: ['Group', 'Organization'] },
      name: NAME,
      currency: CURRENCY,
      ledgerKey: MULTIKEY,
      checkpointKey: MULTIKEY,
      origin: { type: 'string', minLength: 1, maxLength: LIMITS.name, pattern: '^[\\x21-\\x7e]+$' },
    },
    required: ['actorType', 'name', 'currency', 'ledgerKey', 'checkpointKey', 'origin'],
  },
  HostJoined: {
    properties: {
      host: URL,
      hostKey: MULTIKEY,
      feeBasisPoints: { type: 'integer', minimum: 0, maximum: 10_000 },
    },
    required: ['host', 'hostKey', 'feeBasisPoints'],
  },
  HostLeft: { properties: { host: URL }, required: ['host'] },
  Contribution: {
    properties: {
      amount: AMOUNT,
      currency: CURRENCY,
      contributor: NAME,
      message: COMMENT,
      receipt: hostSignedSchema('Receipt', true),
    },
    required: ['amount', 'currency'],
  },
  Expense: {
    properties: {
      expenseType: { enum: ['invoice', 'receipt', 'grant'] },
      title: NAME,
      payee: NAME,
      items: {
        type: 'array',
        minItems: 1,
        maxItems: LIMITS.items,
        items: object({ description: COMMENT, amount: AMOUNT, incurredOn: DATE }, [
          'description',
          'amount',
          'incurredOn',
        ]),
      },
      amount: AMOUNT,
      currency: CURRENCY,
      commitments: object({ payout: HASH, email: HASH }, []),
      attachments: {
        type: 'array',
        maxItems: LIMITS.attachments,
        items: object(
          {
            sha256: HASH,
            mediaType: {
              type: 'string',
              maxLength: LIMITS.name,
              pattern: '^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+$',
            },
            size: { type: 'integer', minimum: 0, maximum: 1_000_000_000 },
          },
          ['sha256', 'mediaType', 'size'],
        ),
      },
    },
    required: ['expenseType', 'title', 'payee', 'items', 'amount', 'currency', 'commitments', 'attachments'],
  },
  ExpenseApproved: { properties: { expense: HASH, comment: COMMENT }, required: ['expense'] },
  ExpenseRejected: { properties: { expense: HASH, comment: COMMENT }, required: ['expense', 'comment'] },
  ExpenseCountersigned: {
    properties: { expense: HASH, countersignature: hostSignedSchema('ExpenseCountersignature', true) },
    required: ['expense', 'countersignature'],
  },
  ExpensePaid: {
    properties: {
      expense: HASH,
      amount: AMOUNT,
      currency: CURRENCY,
      payout: hostSignedSchema('Payout', true),
    },
    required: ['expense', 'amount', 'currency'],
  },
  Refund: {
    properties: { contribution: HASH, amount: AMOUNT, currency: CURRENCY, reason: COMMENT },
    required: ['contribution', 'amount', 'currency'],
  },
  HostFee: {
    properties: { contribution: HASH, amount: AMOUNT, currency: CURRENCY, host: URL },
    required: ['contribution', 'amount', 'currency', 'host'],
  },
  Transfer: {
    properties: {
      amount: AMOUNT,
      currency: CURRENCY,
      direction: { enum: ['in', 'out'] },
      counterparty: URL,
      memo: COMMENT,
    },
    required: ['amount', 'currency', 'direction', 'counterparty'],
  },
  KeyRotated: { properties: { ledgerKey: MULTIKEY }, required: ['ledgerKey'] },
  Update: { properties: { title: NAME, body: BODY }, required: ['title', 'body'] },
  Event: {
    properties: {
      name: NAME,
      startTime: TIMESTAMP,
      endTime: TIMESTAMP,
      timeZone: TIME_ZONE,
      place: NAME,
      description: BODY,
    },
    required: ['name', 'startTime', 'endTime', 'timeZone', 'place', 'description'],
  },
  MemberJoined: {
    properties: {
      collective: URL,
      collectiveKey: MULTIKEY,
      feeBasisPoints: { type: 'integer', minimum: 0, maximum: 10_000 },
      application: HASH,
      terms: HASH,
    },
    required: ['collective', 'collectiveKey', 'feeBasisPoints', 'application', 'terms'],
  },
  MemberLeft: { properties: { collective: URL, reason: COMMENT }, required: ['collective'] },
  FundsReceived: {
    properties: { collective: URL, amount: AMOUNT, currency: CURRENCY, reference: REFERENCE, memo: COMMENT },
    required: ['collective', 'amount', 'currency', 'reference'],
  },
  PayoutMade: {
    properties: {
      collective: URL,
      expense: HASH,
      amount: AMOUNT,
      currency: CURRENCY,
      reference: REFERENCE,
      memo: COMMENT,
    },
    required: ['collective', 'expense', 'amount', 'currency', 'reference'],
  },
};

/** The closed JSON Schema of a whole entry of `kind`, signed (with `proof`) or not. */
export function entrySchema(kind: EntryKind, signed: boolean): Record<string, unknown> {
  const fields = KIND_FIELDS[kind];
  const properties: Record<string, unknown> = {
    '@context': CONTEXT,
    id: URL,
    type: { const: 'Note' },
    attributedTo: URL,
    to: { const: [PUBLIC_AUDIENCE] },
    published: TIMESTAMP,
    content: { type: 'string', minLength: 1, maxLength: LIMITS.content },
    seq: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    prev: HASH,
    kind: { const: kind },
    by: { type: 'string', minLength: 1, maxLength: LIMITS.url },
    ...fields.properties,
  };
  const required = ['@context', 'id', 'type', 'attributedTo', 'to', 'published', 'content', 'seq', 'kind'];
  required.push(...fields.required);
  if (signed) {
    properties.proof = PROOF;
    required.push('proof');
  }
  return { $schema: 'http://json-schema.org/draft-07/schema#', ...object(properties, required) };
}

/** The closed JSON Schema of a host-signed object of `type`, signed or not. */
export function hostSignedObjectSchema(type: HostSignedType, signed: boolean): Record<string, unknown> {
  return { $schema: 'http://json-schema.org/draft-07/schema#', ...hostSignedSchema(type, signed) };
}

// Compiling costs milliseconds per schema; each is compiled on first use and kept for the process.
// The schemas are this module's constants, not input: checking each against JSON Schema's
// meta-schema (which ajv compiles first) took a third of an audit's compiling, about 45 ms of its
// start. scripts/build-ui.test.ts compiles every one with the check on.
let ajv: Ajv | undefined;

/** A schema's quick check (schema-check.ts) and, once a value fails it, its ajv validator. */
class Validator {
  readonly quick: QuickCheck;
  readonly #schema: Record<string, unknown>;
  #full: ValidateFunction | undefined;

  constructor(schema: Record<string, unknown>) {
    this.#schema = schema;
    this.quick = quickCheck(schema);
  }

  /** ajv's verdict, with its first error. */
  check(value: unknown): SchemaResult {
    if (this.#full === undefined) {
      ajv ??= new Ajv({ strict: true, allErrors: false, validateSchema: false });
      this.#full = ajv.compile(this.#schema);
    }
    return this.#full(value) ? OK : violation(this.#full.errors);
  }
}

const OK: SchemaResult = Object.freeze({ ok: true });
const signedEntries = new Map<string, Validator>();
const unsignedEntries = new Map<string, Validator>();
const hostObjects = new Map<string, Validator>();

function validatorFor(
  cache: Map<string, Validator>,
  key: string,
  schema: () => Record<string, unknown>,
): Validator {
  let validator = cache.get(key);
  if (validator === undefined) {
    validator = new Validator(schema());
    cache.set(key, validator);
  }
  return validator;
}

function violation(errors: ErrorObject[] | null | undefined): SchemaResult {
  const error = errors?.[0];
  if (error === undefined)
    return { ok: false, reason: { type: 'schemaViolation', path: '', message: 'invalid' } };
  const extra = error.params as { additionalProperty?: string; missingProperty?: string };
  const member = extra.additionalProperty ?? extra.missingProperty;
  const path = member === undefined ? error.instancePath : `${error.instancePath}/${escapePointer(member)}`;
  const message = extra.additionalProperty === undefined ? (error.message ?? 'invalid') : 'unknown member';
  return { ok: false, reason: { type: 'schemaViolation', path, message } };
}

function escapePointer(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

/**
 * Checks `value` against the closed schema of its kind: a signed entry (the default) or, with
 * `signed: false`, the entry before its proof is added.
 */
export function validateEntry(value: unknown, options: { signed?: boolean } = {}): SchemaResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: { type: 'schemaViolation', path: '', message: 'must be object' } };
  }
  const kind = (value as { kind?: unknown }).kind;
  if (typeof kind !== 'string') {
    return { ok: false, reason: { type: 'schemaViolation', path: '/kind', message: 'must be string' } };
  }
  if (!isEntryKind(kind)) return { ok: false, reason: { type: 'unknownKind', kind: kind.slice(0, 100) } };
  const signed = options.signed ?? true;
  const validator = validatorFor(signed ? signedEntries : unsignedEntries, kind, () =>
    entrySchema(kind, signed),
  );
  return validator.quick(value) ? OK : validator.check(value);
}

/** Checks `value` against the closed schema of a host-signed object of `type`. */
export function validateHostSigned(
  value: unknown,
  type: HostSignedType,
  options: { signed?: boolean } = {},
): SchemaResult {
  const signed = options.signed ?? true;
  const validator = validatorFor(hostObjects, `${type}:${signed}`, () =>
    hostSignedObjectSchema(type, signed),
  );
  return validator.quick(value) ? OK : validator.check(value);
}
