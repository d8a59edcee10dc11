/**
 * RFC 8785 JSON Canonicalization Scheme. The chain hashes these bytes, so every runtime must
 * produce them identically: values JSON cannot represent faithfully are refused, never coerced.
 */
import { utf8 } from './encoding.ts';

/** A JSON value as the formats use it (no undefined, no non-finite numbers). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Why a value cannot be canonicalized; `path` is a JSON Pointer to the offending value. */
export class CanonicalizationError extends Error {
  override name = 'CanonicalizationError';
  readonly path: string;
  constructor(message: string, path: string) {
    super(`${message} at ${path === '' ? '(root)' : path}`);
    this.path = path;
  }
}

/** Default bound on nesting, so hostile input cannot exhaust the stack. */
export const MAX_JSON_DEPTH = 64;

function pointer(path: string, key: string | number): string {
  return `${path}/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`;
}

function checkString(text: string, path: string): void {
  // Some JCS libraries escape lone surrogates and others throw; either way the bytes differ
  // between implementations, so such strings never reach a signature.
  if (!text.isWellFormed()) throw new CanonicalizationError('lone UTF-16 surrogate', path);
}

/**
 * Throws a {@link CanonicalizationError} unless `value` is plain JSON: null, booleans, finite
 * numbers, strings without lone surrogates, arrays and plain objects, nested at most `maxDepth`.
 */
export function assertJson(value: unknown, maxDepth = MAX_JSON_DEPTH): asserts value is JsonValue {
  check(value, '', 0);
  function check(v: unknown, path: string, depth: number): void {
    switch (typeof v) {
      case 'string':
        checkString(v, path);
        return;
      case 'boolean':
        return;
      case 'number':
        if (!Number.isFinite(v)) throw new CanonicalizationError(`non-finite number ${v}`, path);
        return;
      case 'object': {
        if (v === null) return;
        if (depth >= maxDepth) throw new CanonicalizationError(`nesting deeper than ${maxDepth}`, path);
        if (Array.isArray(v)) {
          for (let i = 0; i < v.length; i++) {
            if (!(i in v)) throw new CanonicalizationError('sparse array', pointer(path, i));
            check(v[i], pointer(path, i), depth + 1);
          }
          return;
        }
        const proto = Object.getPrototypeOf(v);
        if (proto !== Object.prototype && proto !== null) {
          throw new CanonicalizationError('not a plain object', path);
        }
        for (const key of Object.keys(v)) {
          checkString(key, pointer(path, key));
          check((v as Record<string, unknown>)[key], pointer(path, key), depth + 1);
        }
        return;
      }
      default:
        throw new CanonicalizationError(`${typeof v} is not JSON`, path);
    }
  }
}

/** Thrown inside the fast serializer; {@link canonicalize} re-walks with paths to explain. */
const NOT_JSON = Symbol('not JSON');

/**
 * One pass, no path bookkeeping: the chain canonicalizes every entry three times on its hot path
 * (leaf, document, proof configuration), so paths are only computed, by {@link assertJson}, once
 * something is already known to be wrong.
 */
function serialize(value: unknown, depth: number, maxDepth: number): string {
  switch (typeof value) {
    case 'string':
      if (!value.isWellFormed()) throw NOT_JSON;
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw NOT_JSON;
      // ECMAScript Number::toString is exactly RFC 8785 §3.2.2.3 (and -0 prints as 0).
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (depth >= maxDepth) throw NOT_JSON;
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          out += serialize(value[i], depth + 1, maxDepth);
        }
        return `${out}]`;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw NOT_JSON;
      // Default sort compares UTF-16 code units, which is RFC 8785 §3.2.3's order.
      const keys = Object.keys(value).sort();
      let out = '{';
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i] as string;
        if (!key.isWellFormed()) throw NOT_JSON;
        if (i > 0) out += ',';
        out += `${JSON.stringify(key)}:${serialize((value as Record<string, unknown>)[key], depth + 1, maxDepth)}`;
      }
      return `${out}}`;
    }
    default:
      throw NOT_JSON;
  }
}

function explain(value: unknown, maxDepth: number): never {
  assertJson(value, maxDepth);
  // assertJson accepts everything serialize accepts; reaching here would be a bug in one of them.
  throw new CanonicalizationError('value is not canonicalizable', '');
}

/** The RFC 8785 canonical text of `value`; throws {@link CanonicalizationError} on non-JSON. */
export function canonicalize(value: unknown, maxDepth = MAX_JSON_DEPTH): string {
  try {
    return serialize(value, 0, maxDepth);
  } catch (error) {
    if (error === NOT_JSON) explain(value, maxDepth);
    throw error;
  }
}

/** The RFC 8785 canonical UTF-8 bytes of `value`. */
export function canonicalBytes(value: unknown, maxDepth = MAX_JSON_DEPTH): Uint8Array {
  return utf8(canonicalize(value, maxDepth));
}

/**
 * The canonical text of each member of a plain object, so that several canonical forms sharing
 * most members (an entry with and without its proof) cost one pass: see {@link joinMembers}.
 */
export function canonicalMembers(object: JsonObject, maxDepth = MAX_JSON_DEPTH): Map<string, string> {
  const members = new Map<string, string>();
  try {
    const proto = Object.getPrototypeOf(object);
    if (typeof object !== 'object' || object === null || Array.isArray(object)) throw NOT_JSON;
    if (proto !== Object.prototype && proto !== null) throw NOT_JSON;
    for (const key of Object.keys(object)) {
      if (!key.isWellFormed()) throw NOT_JSON;
      members.set(key, serialize(object[key], 1, maxDepth));
    }
  } catch (error) {
    if (error === NOT_JSON) explain(object, maxDepth);
    throw error;
  }
  return members;
}

/** The canonical text of an object from its members' canonical texts (as {@link canonicalMembers} gives). */
export function joinMembers(members: Map<string, string>, omit?: string): string {
  const keys = [...members.keys()].sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    if (key === omit) continue;
    if (!first) out += ',';
    first = false;
    out += `${JSON.stringify(key)}:${members.get(key)}`;
  }
  return `${out}}`;
}

/**
 * Whether two parsed JSON values are the same JSON value (arrays in order, objects by their
 * members whatever their order), so that their canonical texts are equal; `maxDepth` bounds
 * the walk. Cheaper than serializing both to compare them.
 */
export function sameJson(a: unknown, b: unknown, maxDepth = MAX_JSON_DEPTH): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || maxDepth <= 0)
    return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i], maxDepth - 1)) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) {
    if (!Object.hasOwn(b, key)) return false;
    if (!sameJson((a as JsonObject)[key], (b as JsonObject)[key], maxDepth - 1)) return false;
  }
  return true;
}
