/**
 * The end of a ledger audit in a report's terms, shared by the CLI (scripts/verify/run.ts) and the
 * audit page (ui/audit/audit.ts): the checkpoint checked against the entries walked, the summary,
 * and the warning a checkpoint signed by unknown keys deserves.
 */
import type { AuditFailure, AuditSummary, CheckpointSignature, LedgerAudit } from './ledger.ts';

/** The checkpoint a report states once the entries are found to match it. */
export interface ReportCheckpoint {
  origin: string;
  size: number;
  rootHash: string;
  note: string;
  signatures: CheckpointSignature[];
}

/** What {@link finishReport} adds to a report. */
export interface FinishedReport {
  /** The whole ledger's summary, or the entries accepted before a failure; none without a genesis. */
  summary?: AuditSummary;
  /** Only when the checkpoint verified against the entries. */
  checkpoint?: ReportCheckpoint;
  /** The checkpoint's failure, when it was checked and failed. */
  failure?: AuditFailure;
  warnings: string[];
}

/**
 * Ends `audit` against the checkpoint `note`. When the walk already `failed` (an entry, or a
 * signature answered elsewhere) the checkpoint is not checked: only the summary of the entries
 * accepted is given.
 */
export function finishReport(audit: LedgerAudit, note: string, failed: boolean): FinishedReport {
  const result = failed ? undefined : audit.finish(note);
  const summary = result?.ok ? result.summary : audit.summary();
  const out: FinishedReport = { warnings: [] };
  if (summary !== undefined) out.summary = summary;
  if (result === undefined) return out;
  if (!result.ok) {
    out.failure = result.failure;
    return out;
  }
  out.checkpoint = {
    origin: result.checkpoint.origin,
    size: result.checkpoint.size,
    rootHash: result.rootHash,
    note,
    signatures: result.signatures,
  };
  if (result.signatures.some((s) => s.by === 'unknown'))
    out.warnings.push('the checkpoint carries signatures by keys this audit does not know (not checked)');
  return out;
}
