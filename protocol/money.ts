/**
 * Money: integer minor units (bigint) in memory, decimal strings on the wire (DESIGN.md §4).
 * Amounts are read digit by digit and never pass through a JavaScript number, so no value is
 * ever rounded: "0.10" + "0.20" is exactly "0.30".
 */
import { currencyInfo } from './currencies.ts';

export { CURRENCIES, type CurrencyInfo, type CurrencyKind, currencyInfo } from './currencies.ts';

/**
 * Most digits an amount may have, counted in minor units: 999 999 999 999 999 is below
 * Number.MAX_SAFE_INTEGER, so every amount also survives JSON consumers that parse to doubles.
 */
export const MAX_AMOUNT_DIGITS = 15;
/** The largest amount in minor units (fifteen nines). */
export const MAX_MINOR_UNITS = 10n ** BigInt(MAX_AMOUNT_DIGITS) - 1n;

/** Why a text is not an amount; `describeAmountFailure` turns it into a sentence. */
export type AmountFailure =
  | { type: 'unknownCurrency'; currency: string }
  | { type: 'notString' }
  | { type: 'empty' }
  | { type: 'syntax' }
  | { type: 'tooManyDecimals'; currency: string; digits: number; found: number }
  | { type: 'missingDecimals'; currency: string; digits: number; found: number }
  | { type: 'negative' }
  | { type: 'negativeZero' }
  | { type: 'exponent' }
  | { type: 'comma'; currency: string; digits: number }
  | { type: 'tooLong'; maxDigits: number }
  | { type: 'leadingZero' };

/** The result of parsing an amount. */
export type AmountResult = { ok: true; minor: bigint } | { ok: false; reason: AmountFailure };

/** Thrown by functions that cannot return a result (formatting); carries the tagged reason. */
export class AmountError extends Error {
  override name = 'AmountError';
  readonly reason: AmountFailure;
  constructor(reason: AmountFailure) {
    super(describeAmountFailure(reason));
    this.reason = reason;
  }
}

/** Minor unit digits of an ISO 4217 code (`JPY` 0, `EUR` 2, `KWD` 3, `CLF` 4), or undefined. */
export function currencyDigits(code: string): number | undefined {
  return currencyInfo(code)?.digits;
}

/** True for an accepted ISO 4217 code (upper case), funds codes included. */
export function isCurrency(code: string): boolean {
  return currencyInfo(code) !== undefined;
}

/** True for ISO 4217 funds codes (CLF, UYW, USN…): accepted, but a form may prefer to hide them. */
export function isFundCode(code: string): boolean {
  return currencyInfo(code)?.kind === 'fund';
}

const UNSIGNED = /^([0-9]+)(?:\.([0-9]+))?$/;
// Shapes that are clearly meant as a number, to name the mistake instead of saying "syntax".
const NUMBER_LIKE = /^[0-9]*[.,]?[0-9]*(?:[eE][+-]?[0-9]*)?$/;
const HAS_DIGIT = /[0-9]/;
const ONLY_ZEROS = /^[0.,]*$/;
const COMMA_LIKE = /^[0-9][0-9.,]*$/;
const EXPONENT_LIKE = /^(?:[0-9]+\.?[0-9]*|\.[0-9]+)[eE][+-]?[0-9]*$/;

type Mode = 'wire' | 'input';

function parse(text: unknown, currency: string, mode: Mode): AmountResult {
  if (typeof text !== 'string') return fail({ type: 'notString' });
  const digits = currencyDigits(currency);
  if (digits === undefined) return fail({ type: 'unknownCurrency', currency });
  const body = mode === 'input' ? text.trim() : text;
  if (body === '') return fail({ type: 'empty' });

  if (body[0] === '-') {
    const rest = body.slice(1);
    if (!HAS_DIGIT.test(rest) || !NUMBER_LIKE.test(rest)) return fail({ type: 'syntax' });
    const mantissa = rest.split(/[eE]/)[0] as string;
    return fail({ type: ONLY_ZEROS.test(mantissa) ? 'negativeZero' : 'negative' });
  }
  const match = UNSIGNED.exec(body);
  if (match === null) {
    if (EXPONENT_LIKE.test(body)) return fail({ type: 'exponent' });
    if (body.includes(',') && COMMA_LIKE.test(body)) return fail({ type: 'comma', currency, digits });
    return fail({ type: 'syntax' });
  }

  const whole = match[1] as string;
  const fraction = match[2] ?? '';
  if (whole.length > 1 && whole[0] === '0') return fail({ type: 'leadingZero' });
  if (fraction.length > digits) {
    return fail({ type: 'tooManyDecimals', currency, digits, found: fraction.length });
  }
  if (mode === 'wire' && fraction.length < digits) {
    return fail({ type: 'missingDecimals', currency, digits, found: fraction.length });
  }
  // Counting digits before converting keeps a megabyte of digits from becoming a huge bigint.
  const minorDigits = (whole + fraction.padEnd(digits, '0')).replace(/^0+/, '');
  if (minorDigits.length > MAX_AMOUNT_DIGITS) return fail({ type: 'tooLong', maxDigits: MAX_AMOUNT_DIGITS });
  return { ok: true, minor: minorDigits === '' ? 0n : BigInt(minorDigits) };
}

function fail(reason: AmountFailure): AmountResult {
  return { ok: false, reason };
}

/**
 * Parses an amount as signed JSON carries it: a string with exactly the currency's minor digits
 * (`"25.00"` EUR, `"1000"` JPY, `"0.500"` KWD), no sign, no exponent, no leading zero, at most
 * {@link MAX_AMOUNT_DIGITS} digits in minor units. Accepts `unknown` so that a JSON number in
 * place of the string is reported (`notString`) rather than coerced.
 */
export function parseWireAmount(text: unknown, currency: string): AmountResult {
  return parse(text, currency, 'wire');
}

/** True if `text` is a valid wire amount in `currency`. */
export function isWireAmount(text: unknown, currency: string): boolean {
  return parse(text, currency, 'wire').ok;
}

/**
 * Parses an amount typed in a form: surrounding whitespace is ignored and fewer decimals than
 * the currency has are accepted (`"25"` and `"25.5"` in EUR are 2500 and 2550). Everything the
 * wire form rejects for another reason is rejected here too, with the same reason.
 */
export function parseAmount(text: unknown, currency: string): AmountResult {
  return parse(text, currency, 'input');
}

/** True if `minor` is an amount the wire form can carry: 0 to {@link MAX_MINOR_UNITS}. */
export function isValidMinor(minor: bigint): boolean {
  return minor >= 0n && minor <= MAX_MINOR_UNITS;
}

/**
 * The wire form of an amount (`2500n` EUR → `"25.00"`). Throws an {@link AmountError} for an
 * unknown currency, a negative amount or one above {@link MAX_MINOR_UNITS}: such values are bugs
 * upstream, never something to sign.
 */
export function formatAmount(minor: bigint, currency: string): string {
  const digits = currencyDigits(currency);
  if (digits === undefined) throw new AmountError({ type: 'unknownCurrency', currency });
  if (minor < 0n) throw new AmountError({ type: 'negative' });
  if (minor > MAX_MINOR_UNITS) throw new AmountError({ type: 'tooLong', maxDigits: MAX_AMOUNT_DIGITS });
  const text = minor.toString();
  if (digits === 0) return text;
  const padded = text.padStart(digits + 1, '0');
  return `${padded.slice(0, -digits)}.${padded.slice(-digits)}`;
}

/**
 * Adds amounts in minor units; the `tooLong` failure says the total no longer fits the wire
 * form (an expense whose items add up beyond fifteen digits, say).
 */
export function addAmounts(...amounts: bigint[]): AmountResult {
  let total = 0n;
  for (const amount of amounts) {
    if (amount < 0n) return fail({ type: 'negative' });
    total += amount;
  }
  if (total > MAX_MINOR_UNITS) return fail({ type: 'tooLong', maxDigits: MAX_AMOUNT_DIGITS });
  return { ok: true, minor: total };
}

function example(digits: number): string {
  return digits === 0 ? '25' : `25.${'0'.repeat(digits)}`;
}

function decimals(count: number): string {
  return count === 1 ? '1 decimal' : `${count} decimals`;
}

/** A sentence for a person (English), shown by the forms and the API errors. */
export function describeAmountFailure(reason: AmountFailure): string {
  switch (reason.type) {
    case 'unknownCurrency':
      return `"${reason.currency}" is not an ISO 4217 currency code (like EUR or USD, in capitals).`;
    case 'notString':
      return 'The amount must be a string of digits, like "25.00", not a number.';
    case 'empty':
      return 'The amount is empty.';
    case 'syntax':
      return 'The amount must be written with digits and at most one decimal point, like 25.00.';
    case 'tooManyDecimals':
      return reason.digits === 0
        ? `${reason.currency} amounts have no decimals: write ${example(0)}, not ${example(2)}.`
        : `${reason.currency} amounts have at most ${decimals(reason.digits)} (this one has ${reason.found}), like ${example(reason.digits)}.`;
    case 'missingDecimals':
      return `${reason.currency} amounts are written with exactly ${decimals(reason.digits)}, like ${example(reason.digits)}.`;
    case 'negative':
      return 'The amount cannot be negative.';
    case 'negativeZero':
      return 'Zero has no sign: write 0 without the minus.';
    case 'exponent':
      return 'Write the amount in full, without an exponent (1000, not 1e3).';
    case 'comma':
      return reason.digits === 0
        ? `${reason.currency} amounts are whole numbers without separators: write 1000, not 1,000.`
        : `Use a point for decimals and no thousands separator: write 1000.${'0'.repeat(reason.digits)}, not 1000,${'0'.repeat(reason.digits)} or 1,000.${'0'.repeat(reason.digits)}.`;
    case 'tooLong':
      return `The amount is too large: at most ${reason.maxDigits} digits.`;
    case 'leadingZero':
      return 'The amount must not start with a zero: write 25, not 025.';
  }
}
