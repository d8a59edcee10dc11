/**
 * An audit's saved state as bytes: the chain snapshot's version 3 (chain-snapshot.ts), with the
 * rest of {@link LedgerAudit.snapshot}'s object (the genesis, the tree's frontier, and whatever
 * the caller added, such as the byte length of a file's entry lines) as its `extra` fields,
 * under the same digest. {@link LedgerAudit.resume} takes these bytes as it takes the object.
 */

import type { SnapshotFailure } from '../chain-snapshot.ts';
import { chainStateExtra, decodeChainState, encodeChainStateBytes } from '../chain-snapshot.ts';
import type { CryptoBackend } from '../crypto.ts';
import type { JsonObject } from '../jcs.ts';

/** Result of {@link auditStateBytes}. */
export type AuditStateBytes = { ok: true; bytes: Uint8Array } | { ok: false; reason: SnapshotFailure };

/**
 * The bytes of an audit snapshot object (LedgerAudit.snapshot(), with any fields added): its
 * chain state is read and checked (any JSON version), then written as version 3.
 */
export function auditStateBytes(snapshot: JsonObject, backend: CryptoBackend): AuditStateBytes {
  const { chain, ...rest } = snapshot;
  const decoded = decodeChainState(chain, backend);
  if (!decoded.ok) return decoded;
  return { ok: true, bytes: encodeChainStateBytes(decoded.state, backend, rest) };
}

/**
 * The audit snapshot object that `bytes` stand for, its chain state being the bytes themselves;
 * unchecked (LedgerAudit.resume checks it all, digest first). Undefined if they are not one.
 */
export function auditStateOfBytes(bytes: Uint8Array): Record<string, unknown> | undefined {
  const extra = chainStateExtra(bytes);
  return extra?.type === 'AuditSnapshot' ? { ...extra, chain: bytes } : undefined;
}
