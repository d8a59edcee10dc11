/**
 * Keys made ready once per key bytes (a node:crypto KeyObject, libsodium's expanded signing key)
 * and kept, up to a bound: a node uses a handful of keys, an auditor a few per ledger.
 */

/** How many keys a cache keeps. */
const CACHE_SIZE = 256;

/** `make()`'s key for `bytes`, made once and kept in `cache`. */
export function cachedKey<K>(cache: Map<string, K>, bytes: Uint8Array, make: () => K): K {
  const id = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
  const hit = cache.get(id);
  if (hit !== undefined) return hit;
  const key = make();
  // Insertion order is the eviction order: a rough LRU is enough for a bounded cache.
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  cache.set(id, key);
  return key;
}
