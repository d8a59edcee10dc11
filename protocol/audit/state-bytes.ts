/**
 * An audit's saved state as bytes (LedgerAudit.snapshotBytes): the chain snapshot's version 3
 * (chain-snapshot.ts), with the rest of LedgerAudit.snapshot's object (the genesis, the tree's
 * frontier, and whatever the caller added, such as the byte length of a file's entry lines) as
 * its `extra` fields, under the same digest. LedgerAudit.resume takes these bytes as it takes
 * the object.
 */

import { chainStateExtra } from '../chain-snapshot.ts';

/**
 * The audit snapshot object that `bytes` stand for, its chain state being the bytes themselves;
 * unchecked (LedgerAudit.resume checks it all, digest first). Undefined if they are not one.
 */
export function auditStateOfBytes(bytes: Uint8Array): Record<string, unknown> | undefined {
  const extra = chainStateExtra(bytes);
  return extra?.type === 'AuditSnapshot' ? { ...extra, chain: bytes } : undefined;
}
