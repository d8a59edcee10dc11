/**
 * The audit itself, over any {@link LedgerSource}: a full (or incremental, `since`) verification
 * of the ledger, or the inclusion of one entry. The chain is walked in order on this thread by
 * protocol/audit/ledger.ts while its Ed25519 questions are answered in batches on worker threads
 * (pool.ts). If a worker finds an invalid signature, the ledger is walked a second time, exactly,
 * up to that entry, so that the reason reported is the one a single-threaded verifier gives.
 */

import { failureSeq, type VerifyFailure } from '../../protocol/audit/failure.ts';
import { finishReport, type ReportCheckpoint } from '../../protocol/audit/finish.ts';
import {
  type CheckpointHistory,
  type ForkEvidence,
  findFork,
  newerThanCurrent,
  recordCheckpoint,
  trustedSeen,
} from '../../protocol/audit/forks.ts';
import { type AuditSummary, checkpointKeyOf, LedgerAudit } from '../../protocol/audit/ledger.ts';
import { SignatureBatchWriter, type SignatureCheck } from '../../protocol/audit/signatures.ts';
import { verifyCheckpoint } from '../../protocol/checkpoint.ts';
import type { CryptoBackend } from '../../protocol/crypto.ts';
import { toHex } from '../../protocol/encoding.ts';
import type { SignedEntry } from '../../protocol/entry/types.ts';
import { verifyConsistency } from '../../protocol/merkle/verify.ts';
import { entryMode, peekCheckpoint } from './entry.ts';
import type { HostReport } from './host.ts';
import { SignaturePool, type SignaturePort } from './pool.ts';
import { ContentError, entriesOf, type LedgerSource, ReadError } from './sources.ts';
import { loadHistory, saveHistory } from './state.ts';

/** Every reason a verification fails (exit 1). */
export type { VerifyFailure } from '../../protocol/audit/failure.ts';

/** What `cagnotte verify` reports, as JSON with `--json`. */
export interface VerifyReport {
  source: string;
  mode: 'full' | 'since' | 'entry';
  verified: boolean;
  exitCode: 0 | 1 | 2;
  actor?: string;
  summary?: AuditSummary;
  /** As the audit page's, but `--entry` checks an inclusion proof and names no signers. */
  checkpoint?: Omit<ReportCheckpoint, 'signatures'> & Partial<Pick<ReportCheckpoint, 'signatures'>>;
  failure?: VerifyFailure;
  /** The host's ledger, audited and reconciled with this one (`--host-export`, or fetched over HTTP). */
  host?: HostReport;
  /** Incremental mode from a saved audit state: the entries before this seq were not read. */
  resumedAt?: number;
  /** Incremental mode: the checkpoint trusted before, and how the new one was tied to it. */
  since?: { size: number; rootHash: string; consistency: 'proof' | 'recomputed' };
  entry?: {
    seq: number;
    kind: string;
    leafHash: string;
    published: string;
    amount?: string;
    currency?: string;
  };
  /** A problem that could not be read or fetched (exit 2). */
  error?: string;
  warnings: string[];
  stats: {
    /** Peak resident memory of the whole process (worker threads included), in MiB. */
    peakRssMb: number;
    elapsedMs: number;
    entriesPerSecond: number;
    workers: number;
    batchesOnWorkers: number;
    batchesInline: number;
  };
}

/** Options of {@link verifySource}. */
export interface VerifyOptions {
  source: LedgerSource;
  backend: CryptoBackend;
  /**
   * Threads that check signatures beside the one walking the chain, `ports` first (default: one
   * per other core, at least one).
   */
  workers?: number;
  /** Threads already there that check signatures on request (see pool.ts). */
  ports?: readonly SignaturePort[];
  /** The state file for fork detection; undefined to keep none. */
  statePath?: string;
  /** `--since`: a checkpoint note trusted before. */
  sinceNote?: string;
  /**
   * `--since`: the audit's state saved at `sinceNote` (LedgerAudit.snapshot): the audit resumes
   * from it and reads only the newer entries. Refused (with a warning, and a walk from entry 0)
   * unless it is the state at exactly that checkpoint.
   */
  sinceSnapshot?: unknown;
  /**
   * Called with the audit once the ledger verified (full or incremental), to save its state
   * (LedgerAudit.snapshotBytes).
   */
  onSnapshot?: (audit: LedgerAudit) => Promise<void>;
  /** `--entry N`. */
  entry?: number;
  /** Called with each entry the audit accepted (its signature may yet be found invalid: the report then fails). */
  onEntry?: (seq: number, entry: SignedEntry, leafHash: Uint8Array) => void;
  /** Called with the audit once the walk is over (full or incremental mode), before any snapshot is saved. */
  onAudit?: (audit: LedgerAudit) => void;
  /** Called now and then with entries done and the total expected. */
  progress?: (done: number, total: number) => void;
}

const BATCH_RECORDS = 256;
/** Fewer new entries than this are checked without starting threads unless `workers` is given. */
const INLINE_BELOW = 4096;

/** Runs the audit; never throws for a ledger problem, only returns the report. */
export async function verifySource(options: VerifyOptions): Promise<VerifyReport> {
  const started = performance.now();
  const mode = options.entry !== undefined ? 'entry' : options.sinceNote !== undefined ? 'since' : 'full';
  const report: VerifyReport = {
    source: options.source.label,
    mode,
    verified: false,
    exitCode: 2,
    warnings: [],
    stats: {
      peakRssMb: 0,
      elapsedMs: 0,
      entriesPerSecond: 0,
      workers: 0,
      batchesOnWorkers: 0,
      batchesInline: 0,
    },
  };
  try {
    if (options.entry !== undefined) await entryMode(options, options.entry, report);
    else await fullMode(options, report);
    report.verified = report.failure === undefined;
    report.exitCode = report.verified ? 0 : 1;
  } catch (error) {
    if (error instanceof ContentError) {
      report.failure = error.failure;
      report.exitCode = 1;
    } else if (error instanceof ReadError) {
      report.error = error.message;
      report.exitCode = 2;
    } else throw error;
  } finally {
    options.source.close();
  }
  report.stats.elapsedMs = Math.round(performance.now() - started);
  const done = (report.summary?.entries ?? 0) - (report.resumedAt ?? 0);
  report.stats.entriesPerSecond = Math.round(done / Math.max(1e-3, report.stats.elapsedMs / 1000));
  report.stats.peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  return report;
}

async function fullMode(options: VerifyOptions, report: VerifyReport): Promise<void> {
  const { source, backend } = options;
  const actor = await source.actor();
  report.actor = actor.id;
  const note = await source.checkpoint();
  const peek = peekCheckpoint(note);
  const history: CheckpointHistory = options.statePath ? await loadHistory(options.statePath) : {};
  const rootsAt = (history[peek.origin] ?? [])
    .map((s) => s.size)
    .filter((s) => Number.isSafeInteger(s) && s < peek.size);
  const trusted = options.sinceNote === undefined ? undefined : peekCheckpoint(options.sinceNote);

  const writer = new SignatureBatchWriter();
  const check: SignatureCheck = (seq, signature, message, publicKey) => {
    writer.add(seq, signature, message, publicKey);
    return true;
  };
  const auditOptions = {
    backend,
    actor: actor.id,
    actorKeys: actor.keys.map((k) => k.publicKeyMultibase),
    rootsAt,
    ...(trusted === undefined ? {} : { trusted: { size: trusted.size, rootHash: trusted.rootHash } }),
  };
  let audit = new LedgerAudit({ ...auditOptions, check });
  let fresh = () => new LedgerAudit(auditOptions);
  const { sinceNote, sinceSnapshot } = options;
  if (sinceNote !== undefined && sinceSnapshot !== undefined) {
    const resumed = LedgerAudit.resume(sinceSnapshot, sinceNote, { ...auditOptions, check });
    if (resumed.ok) {
      audit = resumed.audit;
      fresh = () =>
        (LedgerAudit.resume(sinceSnapshot, sinceNote, auditOptions) as { audit: LedgerAudit }).audit;
      report.resumedAt = audit.position;
    } else {
      report.warnings.push(
        `the saved audit state is not used (${resumed.reason.problem}); every entry is read`,
      );
    }
  }
  const start = audit.position;
  // Starting workers costs more than a few thousand signatures on this thread (an incremental
  // audit); threads already there cost nothing.
  const ports = options.ports ?? [];
  const workers = options.workers ?? (peek.size - start < INLINE_BELOW ? ports.length : undefined);
  const pool = new SignaturePool({ backend, ports, ...(workers === undefined ? {} : { workers }) });
  let failure: VerifyFailure | undefined;
  let summarised = audit;
  try {
    walk: for await (const batch of source.entryBatches(peek.size, start)) {
      for (const item of batch) {
        if (item.notJson) {
          failure = { type: 'notJson', seq: audit.position };
          break walk;
        }
        const step = audit.push(item.value, item.line);
        if (!step.ok) break walk;
        options.onEntry?.(step.seq, item.value as SignedEntry, step.leafHash);
        if (writer.count >= BATCH_RECORDS) pool.submit(writer.take());
        if (audit.position % 512 === 0) options.progress?.(audit.position, peek.size);
      }
      // A worker's answer arrives between reads; an invalid signature ends the walk.
      if (pool.firstInvalid !== undefined) break;
    }
    pool.submit(writer.take());
    const invalid = await pool.drain();
    failure ??= audit.failure;
    const at = failure === undefined ? undefined : failureSeq(failure);
    if (invalid !== undefined && (failure === undefined || at === undefined || invalid <= at)) {
      const exact = await exactFailure(source, peek.size, invalid, fresh);
      failure = exact.failure;
      // The optimistic walk accepted the refused entry (and maybe more): the summary is the exact walk's.
      summarised = exact.audit;
    }
  } finally {
    report.stats.workers = pool.workers;
    report.stats.batchesOnWorkers = pool.offloaded;
    report.stats.batchesInline = pool.inline;
    await pool.close();
  }
  options.progress?.(audit.position, peek.size);

  const end = finishReport(summarised, note, failure !== undefined);
  if (end.summary !== undefined) report.summary = end.summary;
  if (end.checkpoint !== undefined) report.checkpoint = end.checkpoint;
  failure ??= end.failure;
  report.warnings.push(...end.warnings);

  const genesis = audit.genesis;
  if (genesis !== undefined && trusted !== undefined && options.sinceNote !== undefined) {
    await checkSince(options, options.sinceNote, trusted, peek, genesis, report, failure).then((f) => {
      failure ??= f;
    });
  }
  if (genesis !== undefined && options.statePath !== undefined) {
    const fork = await rememberCheckpoint(options, options.statePath, history, note, genesis, audit, report);
    if (fork !== undefined) failure = { type: 'fork', evidence: fork };
  }
  options.onAudit?.(audit);
  if (failure !== undefined) report.failure = failure;
  else if (options.onSnapshot !== undefined && audit.failure === undefined) await options.onSnapshot(audit);
}

/** A second, single-threaded walk up to entry `invalid`: the exact reason, and the audit that stopped there. */
async function exactFailure(
  source: LedgerSource,
  size: number,
  invalid: number,
  fresh: () => LedgerAudit,
): Promise<{ failure: VerifyFailure; audit: LedgerAudit }> {
  const exact = fresh();
  for await (const item of entriesOf(source, size, exact.position)) {
    if (item.notJson) return { failure: { type: 'notJson', seq: exact.position }, audit: exact };
    if (!exact.push(item.value, item.line).ok || exact.position > invalid) break;
  }
  // The source changed between the two walks if the exact walk got past the entry.
  const failure = exact.failure ?? { type: 'badProof', seq: invalid, proof: { type: 'invalidSignature' } };
  return { failure, audit: exact };
}

async function checkSince(
  options: VerifyOptions,
  sinceNote: string,
  trusted: { size: number; rootHash: Uint8Array },
  current: { size: number; rootHash: Uint8Array },
  genesis: SignedEntry<'Genesis'>,
  report: VerifyReport,
  failure: VerifyFailure | undefined,
): Promise<VerifyFailure | undefined> {
  const { backend, source } = options;
  const logKey = checkpointKeyOf(genesis, backend);
  const saved = verifyCheckpoint(sinceNote, { logKeys: [logKey], origin: genesis.origin, backend });
  // Signatures below the saved size were skipped on the strength of this note: it must be this log's.
  if (!saved.ok)
    throw new ReadError(
      `the --since checkpoint is not signed by this ledger's checkpoint key (${saved.reason.type})`,
    );
  report.since = { size: trusted.size, rootHash: toHex(trusted.rootHash), consistency: 'recomputed' };
  if (failure !== undefined || source.consistencyProof === undefined || trusted.size > current.size)
    return undefined;
  const proof = await source.consistencyProof(trusted.size, current.size);
  const consistent = verifyConsistency(
    {
      oldSize: trusted.size,
      newSize: current.size,
      oldRoot: trusted.rootHash,
      newRoot: current.rootHash,
      proof,
    },
    backend,
  );
  if (!consistent.ok)
    return { type: 'notConsistent', size: trusted.size, trustedRoot: toHex(trusted.rootHash) };
  report.since.consistency = 'proof';
  return undefined;
}

async function rememberCheckpoint(
  options: VerifyOptions,
  statePath: string,
  history: CheckpointHistory,
  note: string,
  genesis: SignedEntry<'Genesis'>,
  audit: LedgerAudit,
  report: VerifyReport,
): Promise<ForkEvidence | undefined> {
  const { backend } = options;
  const logKey = checkpointKeyOf(genesis, backend);
  const verified = verifyCheckpoint(note, { logKeys: [logKey], origin: genesis.origin, backend });
  if (!verified.ok) return undefined;
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
  await saveHistory(statePath, recordCheckpoint(history, origin, current));
  return fork;
}
