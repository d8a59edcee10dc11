/**
 * RFC 8785 JSON Canonicalization Scheme. The chain hashes these bytes, so every runtime must
 * produce them identically: values JSON cannot represent faithfully are refused, never coerced.
 */
import { canonicalize as jcsCanonicalize } from 'json-canonicalize';
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

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function pointer(path: string, key: string | number): string {
  return `${path}/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`;
}

function checkString(text: string, path: string): void {
  // Some JCS libraries escape lone surrogates and others throw; either way the bytes differ
  // between implementations, so such strings never reach a signature.
  if (LONE_SURROGATE.test(text)) throw new CanonicalizationError('lone UTF-16 surrogate', path);
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

/** The RFC 8785 canonical text of `value`; throws {@link CanonicalizationError} on non-JSON. */
export function canonicalize(value: unknown, maxDepth = MAX_JSON_DEPTH): string {
  assertJson(value, maxDepth);
  return jcsCanonicalize(value);
}

/** The RFC 8785 canonical UTF-8 bytes of `value`. */
export function canonicalBytes(value: unknown, maxDepth = MAX_JSON_DEPTH): Uint8Array {
  return utf8(canonicalize(value, maxDepth));
}
