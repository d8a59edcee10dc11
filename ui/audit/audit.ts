/**
 * The audit the page runs: the same walk as `cagnotte verify` over a node (scripts/verify/run.ts,
 * full mode) with the same protocol code (protocol/audit/ledger.ts), reporting each entry as it is
 * checked. Signatures are answered at once by the backend (noble by default: strict RFC 8032,
 * the answers node:crypto is held to), so the first failure is found in one pass, and it is the
 * one the CLI names after its deferred, multi-threaded pass and its exact second walk.
 */

import { failureSeq } from '../../protocol/audit/failure.ts';
import { finishReport, type ReportCheckpoint } from '../../protocol/audit/finish.ts';
import {
  type CheckpointHistory,
  type ForkEvidence,
  findFork,
  newerThanCurrent,
  recordCheckpoint,
  trustedSeen,
} from '../../protocol/audit/forks.ts';
import {
  type AuditFailure,
  type AuditSummary,
  checkpointKeyOf,
  LedgerAudit,
} from '../../protocol/audit/ledger.ts';
import { parseCheckpoint, verifyCheckpoint } from '../../protocol/checkpoint.ts';
import { type CryptoBackend, nobleBackend } from '../../protocol/crypto.ts';
import { toHex } from '../../protocol/encoding.ts';
import { parseNote } from '../../protocol/note.ts';
import { ContentProblem, FetchFailure } from './fetch.ts';
import type { NodeLedger } from './source.ts';

/** Why the page's audit fails: the CLI's reasons for a node source. */
export type PageFailure =
  | AuditFailure
  | { type: 'sourceMalformed'; problem: string; seq?: number }
  | { type: 'fork'; evidence: ForkEvidence };

/** The verdict, in the CLI report's terms (`--json`), for the fields a browser can know. */
export interface PageReport {
  source: string;
  verified: boolean;
  /** As the CLI's exit code: 0 verified, 1 verification failed, 2 could not fetch. */
  exitCode: 0 | 1 | 2;
  actor?: string;
  summary?: AuditSummary;
  checkpoint?: ReportCheckpoint;
  failure?: PageFailure;
  error?: string;
  warnings: string[];
}

/** One entry checked. */
export interface EntryEvent {
  seq: number;
  /** The entry's `kind`, as it claims (unchecked when the entry fails). */
  kind: string;
  ok: boolean;
  failure?: PageFailure;
}

/** Options of {@link auditNodeLedger}. */
export interface PageAuditOptions {
  ledger: NodeLedger;
  backend?: CryptoBackend;
  /** Checkpoints seen before (fork detection); the report's caller stores the updated history. */
  history?: CheckpointHistory;
  onEntry?: (event: EntryEvent) => void;
  onProgress?: (done: number, total: number) => void;
  /** Awaited after each outbox page, so that a page can repaint between them. */
  pause?: () => Promise<void>;
}

/** Audits one actor's ledger on a node; never throws for a ledger or network problem. */
export async function auditNodeLedger(
  options: PageAuditOptions,
): Promise<PageReport & { history?: CheckpointHistory }> {
  const report: PageReport & { history?: CheckpointHistory } = {
    source: options.ledger.actorUrl,
    verified: false,
    exitCode: 2,
    warnings: [],
  };
  try {
    await walk(options, report);
    report.verified = report.failure === undefined;
    report.exitCode = report.verified ? 0 : 1;
  } catch (error) {
    if (error instanceof ContentProblem) {
      report.failure = {
        type: 'sourceMalformed',
        problem: error.message,
        ...(error.seq === undefined ? {} : { seq: error.seq }),
      };
      report.exitCode = 1;
    } else if (error instanceof FetchFailure) {
      report.error = error.message;
      report.exitCode = 2;
    } else throw error;
  }
  return report;
}

/** The checkpoint body, unverified: only to know how many entries to ask for. */
function peekCheckpoint(note: string): { origin: string; size: number } {
  const parsed = parseNote(note);
  if (!parsed.ok) throw new ContentProblem(`the checkpoint is not a signed note (${parsed.reason.type})`);
  const body = parseCheckpoint(parsed.note.text);
  if (!body.ok) throw new ContentProblem(`the checkpoint does not parse (${body.reason.detail})`);
  return body.checkpoint;
}

async function walk(options: PageAuditOptions, report: PageReport & { history?: CheckpointHistory }) {
  const { ledger } = options;
  const backend = options.backend ?? nobleBackend;
  const actor = await ledger.actor();
  report.actor = actor.id;
  const note = await ledger.checkpoint();
  const peek = peekCheckpoint(note);
  const history = options.history;
  const rootsAt = (history?.[peek.origin] ?? [])
    .map((s) => s.size)
    .filter((s) => Number.isSafeInteger(s) && s < peek.size);
  const audit = new LedgerAudit({
    backend,
    actor: actor.id,
    actorKeys: actor.keys.map((k) => k.publicKeyMultibase),
    rootsAt,
  });
  options.onProgress?.(0, peek.size);
  pages: for await (const page of ledger.pages(peek.size)) {
    for (const value of page) {
      const step = audit.push(value);
      const kind = String((value as { kind?: unknown } | null)?.kind ?? '?').slice(0, 100);
      if (!step.ok) {
        options.onEntry?.({
          seq: failureSeq(step.failure) ?? audit.position,
          kind,
          ok: false,
          failure: step.failure,
        });
        break pages;
      }
      options.onEntry?.({ seq: step.seq, kind, ok: true });
    }
    options.onProgress?.(audit.position, peek.size);
    await options.pause?.();
  }
  options.onProgress?.(audit.position, peek.size);

  let failure: PageFailure | undefined = audit.failure;
  const end = finishReport(audit, note, failure !== undefined);
  if (end.summary !== undefined) report.summary = end.summary;
  if (end.checkpoint !== undefined) report.checkpoint = end.checkpoint;
  failure ??= end.failure;
  report.warnings.push(...end.warnings);

  const genesis = audit.genesis;
  if (genesis !== undefined && history !== undefined) {
    const logKey = checkpointKeyOf(genesis, backend);
    const verified = verifyCheckpoint(note, { logKeys: [logKey], origin: genesis.origin, backend });
    if (verified.ok) {
      const origin = genesis.origin;
      const current = { note, size: verified.checkpoint.size, rootHash: toHex(verified.checkpoint.rootHash) };
      const seen = trustedSeen(history, origin, logKey, backend);
      const fork = findFork(seen, current, origin, (size) => audit.rootAt(size));
      const newer = newerThanCurrent(seen, current);
      if (newer.length > 0) {
        report.warnings.push(
          `this checkpoint (size ${current.size}) is older than one seen before (size ${Math.max(...newer.map((s) => s.size))}); consistency with it is not checked`,
        );
      }
      report.history = recordCheckpoint(history, origin, current);
      if (fork !== undefined) failure = { type: 'fork', evidence: fork };
    }
  }
  if (failure !== undefined) report.failure = failure;
}
