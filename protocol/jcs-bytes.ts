/**
 * RFC 8785 recognised in UTF-8 bytes, without parsing or serializing: an auditor reading an export
 * line holds the bytes an entry was parsed from, and when they are already canonical they are the
 * ledger leaf as they are, and the signed entry's unsecured document is those bytes without the
 * proof member. One pass over the bytes decides both, several times cheaper than writing the
 * entry out again to compare (a kilobyte line, each entry of a ledger).
 */
import { MAX_JSON_DEPTH } from './jcs.ts';

/** Where a top-level member lies in canonical bytes, with one adjoining comma: `[start, end)`. */
export interface MemberSpan {
  start: number;
  end: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
/** Digits RFC 8785 writes as they are: every integer below 10^15 is exact in a double. */
const MAX_DIGITS = 15;

/**
 * Escapes RFC 8785 (ECMAScript's JSON.stringify) writes: `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`.
 * It also writes `\u00xx` for other controls and `\udxxx` for lone surrogates; a `\u` is left to
 * the caller's canonicalization (a lone surrogate must make it fail, not pass unseen).
 */
const SHORT_ESCAPE = new Uint8Array(128);
for (const c of '"\\bfnrt') SHORT_ESCAPE[c.charCodeAt(0)] = 1;

const TRUE = [0x74, 0x72, 0x75, 0x65];
const FALSE = [0x66, 0x61, 0x6c, 0x73, 0x65];
const NULL = [0x6e, 0x75, 0x6c, 0x6c];

// The scan is synchronous and never re-entered: its position lives here rather than being
// returned from every call.
const EMPTY = new Uint8Array(0);
let src: Uint8Array = EMPTY;
let at = 0;
let depthBound = MAX_JSON_DEPTH;

/**
 * The span of the top-level member `key` in `bytes` (empty, at the closing brace, when there is
 * none), when `bytes` are exactly the RFC 8785 canonical UTF-8 bytes of a JSON object; undefined
 * when they are not, and also when this scan does not decide: any `\u` escape, a number that is
 * not an integer of at most 15 digits, a key with an escape or a non-ASCII character, nesting
 * deeper than `maxDepth`. The caller then canonicalizes the value, so undefined is never a
 * verdict. The bytes are checked to be well-formed UTF-8 JSON, with no whitespace between
 * tokens and every object's keys in ascending order without repeats (for ASCII keys, byte order
 * is RFC 8785's UTF-16 order); strings and integers in that form are written by RFC 8785 exactly
 * as they are, so such bytes are the canonical bytes of the value they parse to.
 */
export function canonicalMemberSpan(
  bytes: Uint8Array,
  key: string,
  maxDepth = MAX_JSON_DEPTH,
): MemberSpan | undefined {
  if (bytes[0] !== OPEN_OBJECT || maxDepth <= 0) return undefined;
  src = bytes;
  at = 0;
  depthBound = maxDepth;
  const span = topObject(key);
  const whole = at === bytes.length;
  // Not kept: a line is a view of a read buffer many times its size.
  src = EMPTY;
  return whole ? span : undefined;
}

/** The root object, noting where the member `key` starts and ends. */
function topObject(key: string): MemberSpan | undefined {
  at = 1;
  if (src[at] === CLOSE_OBJECT) {
    at += 1;
    return { start: 1, end: 1 };
  }
  let previousStart = -1;
  let previousEnd = -1;
  let found: MemberSpan | undefined;
  for (;;) {
    const memberStart = at;
    const keyStart = at + 1;
    if (src[at] !== QUOTE || !objectKey()) return undefined;
    const keyEnd = at - 1;
    if (previousStart >= 0 && !ascending(previousStart, previousEnd, keyStart, keyEnd)) return undefined;
    previousStart = keyStart;
    previousEnd = keyEnd;
    if (src[at] !== COLON) return undefined;
    at += 1;
    if (!value(1)) return undefined;
    const memberEnd = at;
    const next = src[at];
    if (next !== COMMA && next !== CLOSE_OBJECT) return undefined;
    if (isKey(keyStart, keyEnd, key)) {
      // With the comma before it, or the one after it when it comes first.
      if (memberStart > 1) found = { start: memberStart - 1, end: memberEnd };
      else found = { start: memberStart, end: next === COMMA ? memberEnd + 1 : memberEnd };
    }
    at += 1;
    if (next === CLOSE_OBJECT) return found ?? { start: at - 1, end: at - 1 };
  }
}

function isKey(start: number, end: number, key: string): boolean {
  if (end - start !== key.length) return false;
  for (let i = 0; i < key.length; i++) if (src[start + i] !== key.charCodeAt(i)) return false;
  return true;
}

/** Whether the key at [start, end) sorts strictly after the one at [previousStart, previousEnd). */
function ascending(previousStart: number, previousEnd: number, start: number, end: number): boolean {
  const length = Math.min(previousEnd - previousStart, end - start);
  for (let i = 0; i < length; i++) {
    const a = src[previousStart + i] as number;
    const b = src[start + i] as number;
    if (a !== b) return b > a;
  }
  return end - start > previousEnd - previousStart;
}

function value(depth: number): boolean {
  const c = src[at];
  if (c === QUOTE) return string();
  if (c === OPEN_OBJECT) return object(depth);
  if (c === OPEN_ARRAY) return array(depth);
  if (c === MINUS || (c !== undefined && c >= ZERO && c <= NINE)) return integer();
  if (c === 0x74) return literal(TRUE);
  if (c === 0x66) return literal(FALSE);
  if (c === 0x6e) return literal(NULL);
  return false;
}

function object(depth: number): boolean {
  if (depth >= depthBound) return false;
  at += 1;
  if (src[at] === CLOSE_OBJECT) {
    at += 1;
    return true;
  }
  let previousStart = -1;
  let previousEnd = -1;
  for (;;) {
    const keyStart = at + 1;
    if (src[at] !== QUOTE || !objectKey()) return false;
    const keyEnd = at - 1;
    if (previousStart >= 0 && !ascending(previousStart, previousEnd, keyStart, keyEnd)) return false;
    previousStart = keyStart;
    previousEnd = keyEnd;
    if (src[at] !== COLON) return false;
    at += 1;
    if (!value(depth + 1)) return false;
    const next = src[at];
    at += 1;
    if (next === CLOSE_OBJECT) return true;
    if (next !== COMMA) return false;
  }
}

function array(depth: number): boolean {
  if (depth >= depthBound) return false;
  at += 1;
  if (src[at] === CLOSE_ARRAY) {
    at += 1;
    return true;
  }
  for (;;) {
    if (!value(depth + 1)) return false;
    const next = src[at];
    at += 1;
    if (next === CLOSE_ARRAY) return true;
    if (next !== COMMA) return false;
  }
}

/**
 * Bytes a string holds as they are: printable ASCII but the quote and the backslash. Most of a
 * line is such runs, skipped with one table lookup per byte.
 */
const PLAIN = new Uint8Array(256);
for (let c = 0x20; c < 0x7f; c++) PLAIN[c] = c === QUOTE || c === BACKSLASH ? 0 : 1;

/** A key: printable ASCII without escapes, so that its bytes sort as RFC 8785 sorts keys. */
function objectKey(): boolean {
  let i = at + 1;
  while (PLAIN[src[i] as number] === 1) i += 1;
  if (src[i] !== QUOTE) return false;
  at = i + 1;
  return true;
}

/** A string as RFC 8785 writes it: well-formed UTF-8, no raw control, only the short escapes. */
function string(): boolean {
  let i = at + 1;
  for (;;) {
    while (PLAIN[src[i] as number] === 1) i += 1;
    const c = src[i];
    if (c === QUOTE) {
      at = i + 1;
      return true;
    }
    if (c === BACKSLASH) {
      if (SHORT_ESCAPE[src[i + 1] as number] !== 1) return false;
      i += 2;
      continue;
    }
    // The end of the bytes, a raw control, or the first byte of a multi-byte character.
    if (c === undefined || c < 0x80) return false;
    const length = utf8Sequence(i);
    if (length === 0) return false;
    i += length;
  }
}

/** Length of the well-formed UTF-8 sequence at `i` (RFC 3629 §4), 0 when it is not one. */
function utf8Sequence(i: number): number {
  const c = src[i] as number;
  const c1 = src[i + 1];
  if (c1 === undefined) return 0;
  if (c >= 0xc2 && c <= 0xdf) return (c1 & 0xc0) === 0x80 ? 2 : 0;
  const c2 = src[i + 2];
  if (c2 === undefined || (c2 & 0xc0) !== 0x80) return 0;
  if (c >= 0xe0 && c <= 0xef) {
    // No overlong forms (E0 needs A0..BF) and no surrogates (ED needs 80..9F).
    const low = c === 0xe0 ? 0xa0 : 0x80;
    const high = c === 0xed ? 0x9f : 0xbf;
    return c1 >= low && c1 <= high ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const c3 = src[i + 3];
    if (c3 === undefined || (c3 & 0xc0) !== 0x80) return 0;
    // No overlong forms (F0 needs 90..BF) and nothing above U+10FFFF (F4 needs 80..8F).
    const low = c === 0xf0 ? 0x90 : 0x80;
    const high = c === 0xf4 ? 0x8f : 0xbf;
    return c1 >= low && c1 <= high ? 4 : 0;
  }
  return 0;
}

/** `0` or a non-zero integer of at most {@link MAX_DIGITS} digits: what RFC 8785 writes for it. */
function integer(): boolean {
  let i = at;
  if (src[i] === MINUS) i += 1;
  const first = i;
  const lead = src[i];
  if (lead === undefined || lead < ZERO || lead > NINE) return false;
  i += 1;
  if (lead === ZERO) {
    // 0 alone; -0 is written 0, and 0 followed by anything numeric is not canonical.
    if (first !== at) return false;
  } else {
    for (let c = src[i]; c !== undefined && c >= ZERO && c <= NINE; c = src[i]) i += 1;
    if (i - first > MAX_DIGITS) return false;
  }
  const next = src[i];
  // A fraction or an exponent: a number RFC 8785 may write otherwise, left to the caller.
  if (next === 0x2e || next === 0x65 || next === 0x45 || (next !== undefined && next >= ZERO && next <= NINE))
    return false;
  at = i;
  return true;
}

function literal(word: readonly number[]): boolean {
  for (let k = 0; k < word.length; k++) if (src[at + k] !== word[k]) return false;
  at += word.length;
  return true;
}
