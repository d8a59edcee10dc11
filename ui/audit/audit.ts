/**
 * The audit the page runs: the same walk as `cagnotte verify` over a node (scripts/verify/run.ts,
 * full mode) with the same protocol code (protocol/audit/ledger.ts), reporting each entry once it
 * is known good. Signatures are answered either at once by the backend (noble: strict RFC 8032,
 * the answers node:crypto is held to), or, given an asynchronous `verifier` (the browser's
 * WebCrypto, webcrypto.ts), deferred as the CLI defers them to its worker threads: the walk goes
 * on optimistically, each outbox page's questions are answered while the next page is walked,
 * and an entry is reported only once its page's answers are in. A refused signature ends the
 * walk and a second, exact walk up to that entry names the reason, as the CLI's does, so both
 * ways give the CLI's verdict.
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
import type { SignatureCheck } from '../../protocol/audit/signatures.ts';
import { parseCheckpoint, verifyCheckpoint } from '../../protocol/checkpoint.ts';
import { type CryptoBackend, nobleBackend } from '../../protocol/crypto.ts';
import { toHex } from '../../protocol/encoding.ts';
import { parseNote } from '../../protocol/note.ts';
import { ContentProblem, FetchFailure } from './fetch.ts';
import type { NodeLedger } from './source.ts';
import type { AsyncVerifier } from './webcrypto.ts';

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
  /** What checked the entries' signatures: the verifier's name, or the backend's. */
  signatures?: string;
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
  /** Hashing, checkpoint signatures, and the entries' signatures unless `verifier` is given. */
  backend?: CryptoBackend;
  /** Answers the entries' signatures later (deferred walk); its answers must be `backend`'s. */
  verifier?: AsyncVerifier;
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
    signatures:
      options.verifier?.name ??
      (options.backend === undefined || options.backend === nobleBackend
        ? '@noble/ed25519'
        : options.backend.name),
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
  const auditOptions = {
    backend,
    actor: actor.id,
    actorKeys: actor.keys.map((k) => k.publicKeyMultibase),
    rootsAt,
  };
  const walked =
    options.verifier === undefined
      ? await walkAtOnce(options, peek.size, new LedgerAudit(auditOptions))
      : await walkDeferred(
          options,
          options.verifier,
          peek.size,
          (check) => new LedgerAudit({ ...auditOptions, check }),
        );
  const { audit } = walked;
  let failure: PageFailure | undefined = walked.failure;
  const end = finishReport(walked.summarised, note, failure !== undefined);
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

/** A walk's outcome: the audit that walked, the one whose summary counts, and the first failure. */
interface Walked {
  /** The walk's audit (its genesis and roots serve fork detection). */
  audit: LedgerAudit;
  /** The audit that stopped at the first failure: its summary is the entries accepted. */
  summarised: LedgerAudit;
  failure: AuditFailure | undefined;
}

/** The kind an entry claims (unchecked), short. */
const kindOf = (value: unknown) => String((value as { kind?: unknown } | null)?.kind ?? '?').slice(0, 100);

/** One pass, each signature answered at once by the audit's backend. */
async function walkAtOnce(options: PageAuditOptions, size: number, audit: LedgerAudit): Promise<Walked> {
  options.onProgress?.(0, size);
  pages: for await (const page of ahead(options.ledger.pages(size))) {
    for (const value of page) {
      const step = audit.push(value);
      if (!step.ok) {
        const seq = failureSeq(step.failure) ?? audit.position;
        options.onEntry?.({ seq, kind: kindOf(value), ok: false, failure: step.failure });
        break pages;
      }
      options.onEntry?.({ seq: step.seq, kind: kindOf(value), ok: true });
    }
    options.onProgress?.(audit.position, size);
    await options.pause?.();
  }
  options.onProgress?.(audit.position, size);
  return { audit, summarised: audit, failure: audit.failure };
}

/** A page walked optimistically: its entries' events, held until its signatures are answered. */
interface HeldPage {
  events: EntryEvent[];
  /** The seq of the first signature refused on the page, if any. */
  firstInvalid: Promise<number | undefined>;
}

async function firstRefused(questions: { seq: number; answer: Promise<boolean> }[]) {
  const answers = await Promise.all(questions.map((q) => q.answer));
  const at = answers.indexOf(false);
  return at === -1 ? undefined : questions[at]?.seq;
}

/**
 * Signatures deferred to `verifier`: a page's questions are answered while the next page is
 * fetched and walked. Sound for the reason protocol/audit/signatures.ts gives: the chain uses a
 * signature's answer only to fail, so up to the first refused signature the optimistic walk is
 * the exact one.
 */
async function walkDeferred(
  options: PageAuditOptions,
  verifier: AsyncVerifier,
  size: number,
  auditWith: (check: SignatureCheck) => LedgerAudit,
): Promise<Walked> {
  let questions: { seq: number; answer: Promise<boolean> }[] = [];
  const audit = auditWith((seq, signature, message, publicKey) => {
    questions.push({ seq, answer: verifier.verify(signature, message, publicKey) });
    return true;
  });
  let accepted = 0;
  let refused: { seq: number; kind: string } | undefined;
  /** Reports a page's entries before its first refused signature; that entry, if any, is kept. */
  const settle = async (held: HeldPage) => {
    const invalid = await held.firstInvalid;
    for (const event of held.events) {
      if (invalid !== undefined && event.seq >= invalid) {
        if (event.seq === invalid) refused = { seq: invalid, kind: event.kind };
        break;
      }
      options.onEntry?.(event);
      if (event.ok) accepted += 1;
    }
    options.onProgress?.(accepted, size);
    return invalid;
  };

  options.onProgress?.(0, size);
  let held: HeldPage | undefined;
  for await (const page of ahead(options.ledger.pages(size))) {
    const events: EntryEvent[] = [];
    for (const value of page) {
      const step = audit.push(value);
      if (!step.ok) {
        const seq = failureSeq(step.failure) ?? audit.position;
        events.push({ seq, kind: kindOf(value), ok: false, failure: step.failure });
        break;
      }
      events.push({ seq: step.seq, kind: kindOf(value), ok: true });
    }
    const current: HeldPage = { events, firstInvalid: firstRefused(questions) };
    questions = [];
    if (held !== undefined && (await settle(held)) !== undefined) break;
    held = current;
    if (audit.failure !== undefined) break;
    await options.pause?.();
  }
  if (held !== undefined && refused === undefined) await settle(held);
  if (refused === undefined) return { audit, summarised: audit, failure: audit.failure };

  const exact = await exactFailure(options.ledger, size, refused.seq, auditWith);
  options.onEntry?.({ seq: refused.seq, kind: refused.kind, ok: false, failure: exact.failure });
  return { audit, summarised: exact.audit, failure: exact.failure };
}

/**
 * A second walk up to entry `invalid`, for the exact reason: signatures before it were all
 * answered valid, so they are not asked again; from it on noble answers at once.
 */
async function exactFailure(
  ledger: NodeLedger,
  size: number,
  invalid: number,
  auditWith: (check: SignatureCheck) => LedgerAudit,
): Promise<{ audit: LedgerAudit; failure: AuditFailure }> {
  const audit = auditWith((seq, s, m, k) => seq < invalid || nobleBackend.verify(s, m, k));
  pages: for await (const page of ahead(ledger.pages(size))) {
    for (const value of page) if (!audit.push(value).ok || audit.position > invalid) break pages;
  }
  const found = audit.failure;
  // The node answered differently the second time if the exact walk failed elsewhere: the
  // entries reported are the first walk's, so is the reason.
  if (found !== undefined && failureSeq(found) === invalid) return { audit, failure: found };
  return { audit, failure: { type: 'badProof', seq: invalid, proof: { type: 'invalidSignature' } } };
}

/**
 * The pages, each next one fetched while the current one is walked (fetching was half the walk's
 * time). A fetch started for a page the walk never reaches may fail unseen.
 */
async function* ahead<T>(pages: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = pages[Symbol.asyncIterator]();
  let next = iterator.next();
  try {
    for (;;) {
      const result = await next;
      if (result.done) return;
      next = iterator.next();
      yield result.value;
    }
  } finally {
    next.catch(() => undefined);
    await iterator.return?.();
  }
}
