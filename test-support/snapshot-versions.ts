/**
 * A chain snapshot (protocol/chain-snapshot.ts version 2) rewritten in version 1's layout, as
 * auditors saved it before: objects of hex leaf hashes to decimal minor units and of fact keys to
 * hashes, digested again. For the tests and the benchmark that check old states still resume.
 */
import { snapshotDigest } from '../protocol/chain-snapshot.ts';
import type { CryptoBackend } from '../protocol/crypto.ts';
import { fromBase64, toHex } from '../protocol/encoding.ts';
import type { JsonObject } from '../protocol/jcs.ts';

/** The same state as `snapshot` (version 2), in version 1's layout. */
export function asVersion1(snapshot: JsonObject, backend: CryptoBackend): JsonObject {
  const packed = snapshot.contributions as { keys: string; amounts: string };
  const keys = fromBase64(packed.keys);
  const amounts = fromBase64(packed.amounts);
  const view = new DataView(amounts.buffer, amounts.byteOffset, amounts.byteLength);
  const contributions: JsonObject = {};
  for (let i = 0; i < amounts.length / 8; i++)
    contributions[toHex(keys.subarray(32 * i, 32 * i + 32))] = view.getBigUint64(8 * i, true).toString();
  const facts = snapshot.once as { keys: string; values: string; other: JsonObject };
  const factKeys = fromBase64(facts.keys);
  const factValues = fromBase64(facts.values);
  const once: JsonObject = {};
  for (let i = 0; i < factKeys.length / 32; i++)
    once[`hostEntry ${toHex(factKeys.subarray(32 * i, 32 * i + 32))}`] = toHex(
      factValues.subarray(32 * i, 32 * i + 32),
    );
  const old: JsonObject = { ...snapshot, version: 1, contributions, once: { ...once, ...facts.other } };
  return { ...old, digest: snapshotDigest(old, backend) };
}
