/**
 * Belgian structured communication (`gestructureerde mededeling` / `communication structurée`),
 * the payment reference Belgian banks carry intact from payer to payee: `+++123/4567/89002+++`.
 * Twelve digits: a ten-digit number, then two check digits, the number modulo 97, written 97 when
 * the remainder is 0. Banks also print it with `***` instead of `+++`, or as the bare 12 digits;
 * all are read, and {@link formatStructured} writes the `+++` form.
 */

/** The largest number a structured communication can carry (ten digits). */
export const MAX_STRUCTURED_NUMBER = 9_999_999_999n;

/** Why a text is not a structured communication. */
export type StructuredFailure =
  | { type: 'syntax' }
  | { type: 'checkDigits'; expected: string; actual: string };

/** Result of {@link parseStructured}: the ten-digit number and the canonical `+++` form. */
export type StructuredResult =
  | { ok: true; number: bigint; reference: string }
  | { ok: false; reason: StructuredFailure };

/** The two check digits of a ten-digit number: `n mod 97`, `97` when that is 0. */
export function structuredCheckDigits(number: bigint): string {
  checkRange(number);
  const remainder = number % 97n;
  return (remainder === 0n ? 97n : remainder).toString().padStart(2, '0');
}

/**
 * The structured communication for `number` (0 to {@link MAX_STRUCTURED_NUMBER}):
 * `1234567890n` → `+++123/4567/89002+++`. Throws a RangeError outside that range.
 */
export function formatStructured(number: bigint): string {
  const digits = number.toString().padStart(10, '0') + structuredCheckDigits(number);
  return `+++${digits.slice(0, 3)}/${digits.slice(3, 7)}/${digits.slice(7)}+++`;
}

// With `+++` or `***` around it, slashes optional; or the twelve digits alone. Spaces are
// tolerated where bank statements put them.
const FRAMED = /^\s*([+*]{3})\s*(\d{3})\s*\/?\s*(\d{4})\s*\/?\s*(\d{5})\s*\1\s*$/;
const BARE = /^\s*(\d{12})\s*$/;

/** Reads a structured communication in any usual printed form and checks its digits. */
export function parseStructured(text: string): StructuredResult {
  if (text.length > 64) return { ok: false, reason: { type: 'syntax' } };
  const framed = FRAMED.exec(text);
  const bare = framed === null ? BARE.exec(text) : null;
  const digits = framed !== null ? `${framed[2]}${framed[3]}${framed[4]}` : bare?.[1];
  if (digits === undefined) return { ok: false, reason: { type: 'syntax' } };
  const number = BigInt(digits.slice(0, 10));
  const expected = structuredCheckDigits(number);
  const actual = digits.slice(10);
  if (expected !== actual) return { ok: false, reason: { type: 'checkDigits', expected, actual } };
  return { ok: true, number, reference: formatStructured(number) };
}

/** Boolean form of {@link parseStructured}. */
export function isStructured(text: string): boolean {
  return parseStructured(text).ok;
}

/**
 * The first valid structured communication inside free text (a bank statement's description
 * column often wraps it in other words), in canonical form, or undefined.
 */
export function findStructured(text: string): string | undefined {
  for (const match of text
    .slice(0, 1000)
    .matchAll(/([+*]{3})\s*\d{3}\s*\/?\s*\d{4}\s*\/?\s*\d{5}\s*\1|(?<!\d)\d{12}(?!\d)/g)) {
    const parsed = parseStructured(match[0]);
    if (parsed.ok) return parsed.reference;
  }
  return undefined;
}

function checkRange(number: bigint): void {
  if (number < 0n || number > MAX_STRUCTURED_NUMBER) {
    throw new RangeError('a structured communication carries a number of at most ten digits');
  }
}
