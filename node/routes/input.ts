/**
 * Turning what people type into entry fields: amounts through protocol/money.ts (never floats),
 * time zones checked against the runtime's IANA database, and the schema fragments the write
 * routes share.
 */
import { describeAmountFailure, formatAmount, parseAmount } from '../../protocol/money.ts';
import { AppError } from '../errors.ts';

/** The wire form of a typed amount in `currency`, or `INVALID_AMOUNT` naming the field and reason. */
export function amountField(
  input: unknown,
  currency: string,
  field: string,
): { text: string; minor: bigint } {
  const result = parseAmount(input, currency);
  if (!result.ok) {
    throw new AppError('INVALID_AMOUNT', `${field}: ${describeAmountFailure(result.reason)}`, {
      field,
      reason: result.reason,
    });
  }
  if (result.minor === 0n) {
    throw new AppError('INVALID_AMOUNT', `${field}: the amount must be more than zero.`, {
      field,
      reason: { type: 'zero' },
    });
  }
  return { text: formatAmount(result.minor, currency), minor: result.minor };
}

/** The ledger's currency, or `CURRENCY_MISMATCH` when the request names another one. */
export function sameCurrency(given: string | undefined, ledgerCurrency: string): void {
  if (given !== undefined && given !== ledgerCurrency) {
    throw new AppError('CURRENCY_MISMATCH', undefined, { currency: given, ledgerCurrency });
  }
}

/** True when the runtime knows `zone` as an IANA time zone. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** JSON schema fragments for request bodies. */
export const TEXT = (max: number) =>
  ({ type: 'string', minLength: 1, maxLength: max, pattern: '\\S' }) as const;
/** Amounts arrive as strings so that no client is tempted to send a float. */
export const AMOUNT_INPUT = {
  type: 'string',
  minLength: 1,
  maxLength: 32,
  description: 'Decimal, e.g. "25.00".',
} as const;
export const CURRENCY_INPUT = { type: 'string', pattern: '^[A-Z]{3}$' } as const;
export const UTC_TIME = {
  type: 'string',
  pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$',
  description: 'UTC, YYYY-MM-DDThh:mm:ssZ',
} as const;
export const DATE_INPUT = { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' } as const;

/** True for a real calendar date `YYYY-MM-DD` (rejects 2026-02-30). */
export function isCalendarDate(date: string): boolean {
  const d = new Date(`${date}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === date;
}
