/**
 * A host's terms, published on its profile and accepted by each collective that applies: the fee
 * it takes on money received, its currency, its expense policy, the amount up to which it
 * countersigns without a person looking, and the amount above which two host admins must approve.
 * Amounts are wire strings in the terms' currency; the checks here turn them into minor units.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { formatAmount, parseWireAmount } from '../money.ts';

/** What a host publishes and a collective accepts when it joins. */
export interface HostTerms {
  /** Fee on each contribution received, in basis points (1/100 of a percent): 500 is 5 %. */
  feeBasisPoints: number;
  /** ISO 4217 code; a member collective's ledger must be in it. */
  currency: string;
  /** The expense policy, plain text, shown to collectives and their contributors. */
  expensePolicy: string;
  /** Expenses up to and including this amount are countersigned automatically. */
  autoCountersignLimit: string;
  /** Expenses above this amount need two different host admins. */
  twoAdminThreshold: string;
  /** Where supporters send money; shown with each pledge's reference. */
  bankAccount?: { holder: string; iban: string; bic?: string };
}

/** The terms with their amounts in minor units. */
export interface ParsedTerms extends HostTerms {
  autoLimitMinor: bigint;
  twoAdminMinor: bigint;
}

/** Why terms are not acceptable. */
export type TermsFailure =
  | { type: 'schemaViolation'; path: string; message: string }
  | { type: 'badAmount'; field: 'autoCountersignLimit' | 'twoAdminThreshold'; problem: string }
  | { type: 'thresholdBelowAutoLimit' };

/** Result of {@link parseTerms}. */
export type TermsResult = { ok: true; terms: ParsedTerms } | { ok: false; reason: TermsFailure };

const AMOUNT = { type: 'string', pattern: '^(0|[1-9][0-9]{0,14})(\\.[0-9]{1,4})?$', maxLength: 20 };

/** The closed JSON Schema of {@link HostTerms}. */
export const HOST_TERMS_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  required: ['feeBasisPoints', 'currency', 'expensePolicy', 'autoCountersignLimit', 'twoAdminThreshold'],
  properties: {
    feeBasisPoints: { type: 'integer', minimum: 0, maximum: 10_000 },
    currency: { type: 'string', pattern: '^[A-Z]{3}$' },
    expensePolicy: { type: 'string', minLength: 1, maxLength: 20_000 },
    autoCountersignLimit: AMOUNT,
    twoAdminThreshold: AMOUNT,
    bankAccount: {
      type: 'object',
      additionalProperties: false,
      required: ['holder', 'iban'],
      properties: {
        holder: { type: 'string', minLength: 1, maxLength: 200 },
        iban: { type: 'string', pattern: '^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$' },
        bic: { type: 'string', pattern: '^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$' },
      },
    },
  },
} as const;

let validate: ValidateFunction | undefined;

/** Checks terms against {@link HOST_TERMS_SCHEMA} and the money rules; gives the limits in minor units. */
export function parseTerms(value: unknown): TermsResult {
  validate ??= new Ajv({ strict: true, validateSchema: false }).compile(HOST_TERMS_SCHEMA);
  if (!validate(value)) {
    const error = validate.errors?.[0];
    const extra = error?.params as { additionalProperty?: string; missingProperty?: string } | undefined;
    const member = extra?.additionalProperty ?? extra?.missingProperty;
    const path = `${error?.instancePath ?? ''}${member === undefined ? '' : `/${member}`}`;
    return { ok: false, reason: { type: 'schemaViolation', path, message: error?.message ?? 'invalid' } };
  }
  const terms = value as HostTerms;
  const limits: Record<'autoCountersignLimit' | 'twoAdminThreshold', bigint> = {
    autoCountersignLimit: 0n,
    twoAdminThreshold: 0n,
  };
  for (const field of ['autoCountersignLimit', 'twoAdminThreshold'] as const) {
    const parsed = parseWireAmount(terms[field], terms.currency);
    if (!parsed.ok) return { ok: false, reason: { type: 'badAmount', field, problem: parsed.reason.type } };
    limits[field] = parsed.minor;
  }
  if (limits.twoAdminThreshold < limits.autoCountersignLimit) {
    // Otherwise an expense could be countersigned automatically while it needs two people.
    return { ok: false, reason: { type: 'thresholdBelowAutoLimit' } };
  }
  return {
    ok: true,
    terms: { ...terms, autoLimitMinor: limits.autoCountersignLimit, twoAdminMinor: limits.twoAdminThreshold },
  };
}

/** Boolean form of {@link parseTerms}. */
export function areTermsValid(value: unknown): boolean {
  return parseTerms(value).ok;
}

/**
 * The host's fee on `amount` minor units at `basisPoints`: `floor(amount × bp / 10 000)`.
 * Rounding is always down to the minor unit, so the host never takes more than its stated rate
 * (5 % of €0.99 is €0.04, not €0.05). Throws a RangeError for a negative amount or a rate outside
 * 0..10 000.
 */
export function hostFeeMinor(amount: bigint, basisPoints: number): bigint {
  if (amount < 0n) throw new RangeError('a fee is taken on a non-negative amount');
  if (!Number.isInteger(basisPoints) || basisPoints < 0 || basisPoints > 10_000) {
    throw new RangeError('a fee rate is 0 to 10 000 basis points');
  }
  return (amount * BigInt(basisPoints)) / 10_000n;
}

/** {@link hostFeeMinor} on a wire amount, answered as a wire amount. */
export function hostFee(amount: string, currency: string, basisPoints: number): string {
  const parsed = parseWireAmount(amount, currency);
  if (!parsed.ok) throw new RangeError(`not a ${currency} amount: ${parsed.reason.type}`);
  return formatAmount(hostFeeMinor(parsed.minor, basisPoints), currency);
}
