/**
 * A quick acceptance test compiled from the same JSON Schemas as ajv's validators (schemas.ts),
 * for the keywords those schemas use. It answers true only for values ajv accepts, and false for
 * everything else including whatever it does not decide on its own (a string longer in UTF-16
 * units than a bound counted in code points, a keyword it does not know): the caller then asks
 * ajv, whose verdict and error stand. An auditor checks every entry's schema, and ajv's general
 * code (a property lookup per key for additionalProperties, a deep comparison for each constant,
 * code points counted for each length bound) cost it more than the rest of an entry's checks.
 */

/**
 * True only when ajv (draft-07, `unicodeRegExp` on) would accept the value, for plain data: objects
 * with Object.prototype as prototype and only enumerable properties, as JSON.parse and object
 * literals make them (anything else has no enumerable member for the one pass to see, and is
 * left to ajv when its prototype differs).
 */
export type QuickCheck = (value: unknown) => boolean;

const refuse: QuickCheck = () => false;

/** Keywords that say nothing about the value. */
const ANNOTATIONS = new Set(['$schema']);

/** The quick check of `schema`: refuses every value when the schema uses a keyword it does not know. */
export function quickCheck(schema: Record<string, unknown>): QuickCheck {
  const checks: QuickCheck[] = [];
  for (const [keyword, argument] of Object.entries(schema)) {
    if (ANNOTATIONS.has(keyword)) continue;
    const check = keywordCheck(keyword, argument, schema);
    if (check === undefined) return refuse;
    if (check !== accept) checks.push(check);
  }
  return all(checks);
}

const accept: QuickCheck = () => true;

function all(checks: QuickCheck[]): QuickCheck {
  switch (checks.length) {
    case 0:
      return accept;
    case 1:
      return checks[0] as QuickCheck;
    case 2: {
      const [a, b] = checks as [QuickCheck, QuickCheck];
      return (v) => a(v) && b(v);
    }
    default:
      return (v) => {
        for (let i = 0; i < checks.length; i++) if (!(checks[i] as QuickCheck)(v)) return false;
        return true;
      };
  }
}

/** The check of one keyword; `accept` when another keyword of the schema covers it; undefined when unknown. */
function keywordCheck(
  keyword: string,
  argument: unknown,
  schema: Record<string, unknown>,
): QuickCheck | undefined {
  switch (keyword) {
    case 'type':
      return typeCheck(argument);
    case 'const':
      return constCheck(argument);
    case 'enum':
      return Array.isArray(argument) && argument.every((a) => typeof a === 'string')
        ? (v) => typeof v === 'string' && argument.includes(v)
        : undefined;
    case 'pattern':
      return typeof argument === 'string' ? patternCheck(argument) : undefined;
    case 'maxLength':
      // ajv counts code points, never more than UTF-16 units: within the bound in units is
      // within it in code points. Past it, ajv counts.
      return typeof argument === 'number' ? (v) => typeof v !== 'string' || v.length <= argument : undefined;
    case 'minLength':
      // At least half as many code points as units (a pair is two units, one code point).
      return typeof argument === 'number'
        ? (v) => typeof v !== 'string' || Math.ceil(v.length / 2) >= argument
        : undefined;
    case 'minimum':
      return typeof argument === 'number' ? (v) => typeof v !== 'number' || v >= argument : undefined;
    case 'maximum':
      return typeof argument === 'number' ? (v) => typeof v !== 'number' || v <= argument : undefined;
    case 'minItems':
      return typeof argument === 'number' ? (v) => !Array.isArray(v) || v.length >= argument : undefined;
    case 'maxItems':
      return typeof argument === 'number' ? (v) => !Array.isArray(v) || v.length <= argument : undefined;
    case 'items': {
      if (typeof argument !== 'object' || argument === null || Array.isArray(argument)) return undefined;
      const item = quickCheck(argument as Record<string, unknown>);
      return (v) => {
        if (!Array.isArray(v)) return true;
        for (let i = 0; i < v.length; i++) if (!item(v[i])) return false;
        return true;
      };
    }
    case 'required':
    case 'additionalProperties':
      // Both are checked with the properties, in one pass over the object.
      return schema.properties === undefined ? undefined : accept;
    case 'properties':
      return propertiesCheck(schema);
    default:
      return undefined;
  }
}

/** `^prefix[class]{m}$` or `{m,n}`, prefix and class plain ASCII: a hash, a base58 key or signature. */
const COUNTED = /^\^([A-Za-z0-9]*)\[([\x20-\x5b\x5d-\x7e]+)\]\{(\d+)(?:,(\d+))?\}\$$/;

function patternCheck(source: string): QuickCheck {
  // ajv compiles patterns with the u flag, and ignores them for non-strings.
  const counted = COUNTED.exec(source);
  const [, prefix = '', set = '', min = '', max = min] = counted ?? [];
  if (counted === null || set.startsWith('^') || set.includes(']')) {
    const pattern = new RegExp(source, 'u');
    return (v) => typeof v !== 'string' || pattern.test(v);
  }
  // A counted repetition costs V8 several times a `+` over the same characters, and a string
  // made of ASCII characters only has as many UTF-16 units as characters: the count becomes a
  // length bound.
  const shortest = prefix.length + Number(min);
  const longest = prefix.length + Number(max);
  const run = new RegExp(`^${prefix}[${set}]${Number(min) === 0 ? '*' : '+'}$`, 'u');
  return (v) => typeof v !== 'string' || (v.length >= shortest && v.length <= longest && run.test(v));
}

function typeCheck(type: unknown): QuickCheck | undefined {
  switch (type) {
    case 'object':
      return (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'array':
      return Array.isArray;
    case 'string':
      return (v) => typeof v === 'string';
    case 'integer':
      // ajv: typeof number, no fraction, not NaN, finite.
      return Number.isInteger;
    default:
      return undefined;
  }
}

/** Constants the schemas use: a string, or an array of strings (compared as ajv's deep equality would). */
function constCheck(constant: unknown): QuickCheck | undefined {
  if (typeof constant === 'string') return (v) => v === constant;
  if (!Array.isArray(constant) || !constant.every((c) => typeof c === 'string')) return undefined;
  const items = constant as string[];
  return (v) => {
    if (!Array.isArray(v) || v.length !== items.length) return false;
    for (let i = 0; i < items.length; i++) if (v[i] !== items[i]) return false;
    return true;
  };
}

/** `properties` with `required` and `additionalProperties: false` (the only form the schemas use). */
function propertiesCheck(schema: Record<string, unknown>): QuickCheck | undefined {
  const properties = schema.properties;
  const required = schema.required ?? [];
  if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) return undefined;
  if (schema.additionalProperties !== false) return undefined;
  if (!Array.isArray(required) || !required.every((r) => typeof r === 'string')) return undefined;
  const names = Object.keys(properties);
  const members = new Map<string, { check: QuickCheck; required: boolean }>();
  for (const name of names) {
    const check = quickCheck((properties as Record<string, Record<string, unknown>>)[name] ?? {});
    members.set(name, { check, required: required.includes(name) });
  }
  const requiredCount = (required as string[]).filter((r) => members.has(r)).length;
  if (requiredCount !== new Set(required).size) return undefined;
  // One pass over the object's keys, as ajv's additionalProperties loop does (for...in: inherited
  // enumerable keys count too), each member checked on the way: looking each property up by a
  // name held in an array costs more than the check itself.
  return (v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return true;
    if (Object.getPrototypeOf(v) !== Object.prototype) return false;
    const object = v as Record<string, unknown>;
    let present = 0;
    for (const key in object) {
      const member = members.get(key);
      if (member === undefined) return false;
      const value = object[key];
      // ajv reads a member holding undefined as absent: left to it.
      if (value === undefined || !member.check(value)) return false;
      if (member.required) present += 1;
    }
    return present === requiredCount;
  };
}
