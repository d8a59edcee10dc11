/**
 * `cagnotte verify SOURCE`: audits a ledger without trusting the server that serves it.
 * SOURCE is a bulk export file, an actor URL, or a handle `@name@domain` (WebFinger, then actor).
 * Exit 0 verified, 1 verification failed (the first failing entry and reason are printed),
 * 2 could not fetch or read. This is the audit from parsed arguments to report; the command
 * (verify/command.ts) runs it on a thread of its own.
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { nativeBackend } from '../node/crypto/native.ts';
import type { LedgerAudit } from '../protocol/audit/ledger.ts';
import { auditStateOfBytes } from '../protocol/audit/state-bytes.ts';
import { type VerifyArgs, VerifyReadFailure } from './verify/args.ts';
import { resolveHandle } from './verify/handle.ts';
import { verifyWithHost } from './verify/host.ts';
import { HttpClient } from './verify/http.ts';
import type { SignaturePort } from './verify/pool.ts';
import type { VerifyReport } from './verify/run.ts';
import { FileSource, HttpSource, type LedgerSource, ReadError } from './verify/sources.ts';

export { parseVerifyArgs, VERIFY_USAGE, type VerifyArgs, VerifyReadFailure } from './verify/args.ts';

async function openSource(args: VerifyArgs, skipBytes?: number): Promise<LedgerSource> {
  if (/^https?:\/\//.test(args.source) || /^@?[^@\s/]+@[^@\s/]+$/.test(args.source)) {
    const client = new HttpClient({ allowPrivateAddress: args.allowPrivateAddress });
    try {
      const url = args.source.includes('://') ? args.source : await resolveHandle(client, args.source);
      return new HttpSource(client, url);
    } catch (error) {
      client.close();
      throw error;
    }
  }
  return new FileSource(args.source, skipBytes === undefined ? {} : { skipBytes });
}

/** The byte length of the entry lines saved with an audit state of a file, if it is one. */
function savedEntryBytes(state: unknown): number | undefined {
  const fields = state instanceof Uint8Array ? auditStateOfBytes(state) : state;
  const bytes = (fields as { entryBytes?: unknown } | null | undefined)?.entryBytes;
  return typeof bytes === 'number' && Number.isSafeInteger(bytes) && bytes >= 0 ? bytes : undefined;
}

/** Runs an audit from parsed arguments; the report, whatever the outcome. */
export async function runVerify(
  args: VerifyArgs,
  progress?: (done: number, total: number) => void,
  ports?: readonly SignaturePort[],
): Promise<VerifyReport> {
  let sinceNote: string | undefined;
  let sinceSnapshot: unknown;
  let source: LedgerSource;
  try {
    if (args.since !== undefined) {
      sinceNote = await readFile(args.since, 'utf8');
      sinceSnapshot = await readAuditState(args.since);
    }
    source = await openSource(args, savedEntryBytes(sinceSnapshot));
  } catch (error) {
    if (!(error instanceof ReadError) && (error as { code?: string }).code === undefined) throw error;
    const message =
      error instanceof ReadError ? error.message : `cannot read ${args.since}: ${(error as Error).message}`;
    return {
      source: args.source,
      mode: args.entry !== undefined ? 'entry' : args.since !== undefined ? 'since' : 'full',
      verified: false,
      exitCode: 2,
      error: message,
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
  }
  const host = {
    allowPrivateAddress: args.allowPrivateAddress,
    ...(args.hostExport === undefined ? {} : { file: args.hostExport }),
    ...(args.inFlightAfter === undefined ? {} : { inFlightAfter: args.inFlightAfter }),
  };
  const report = await verifyWithHost(
    {
      source,
      backend: nativeBackend,
      ...(args.workers === undefined ? {} : { workers: args.workers }),
      ...(ports === undefined ? {} : { ports }),
      ...(args.statePath === undefined ? {} : { statePath: args.statePath }),
      ...(sinceNote === undefined ? {} : { sinceNote }),
      ...(sinceSnapshot === undefined ? {} : { sinceSnapshot }),
      ...(args.saveCheckpoint === undefined
        ? {}
        : {
            // A file's entry lines are saved too, so that the next --since seeks past them.
            onSnapshot: (audit: LedgerAudit) => {
              const bytes = source instanceof FileSource ? source.entryBytes : undefined;
              const state = audit.snapshotBytes(bytes === undefined ? {} : { entryBytes: bytes });
              return saveAuditState(args.saveCheckpoint as string, state);
            },
          }),
      ...(args.entry === undefined ? {} : { entry: args.entry }),
      ...(progress === undefined ? {} : { progress }),
    },
    host,
  );
  if (source instanceof FileSource && source.seekMissed)
    report.warnings.push(
      'the saved length of the entry lines did not match this file: they were read instead',
    );
  if (report.verified && args.saveCheckpoint !== undefined && report.checkpoint !== undefined) {
    await saveCheckpointNote(args, report);
  }
  return report;
}

/**
 * Where the audit state saved with a checkpoint note lives: beside it, as bytes
 * (protocol/audit/state-bytes.ts), which a resume views in place instead of parsing.
 */
export function auditStatePath(noteFile: string): string {
  return `${noteFile}.audit.bin`;
}

/** Where a state saved as JSON by earlier versions lives: read when there are no bytes. */
export function jsonAuditStatePath(noteFile: string): string {
  return `${noteFile}.audit.json`;
}

async function readOptional(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The audit state saved with a checkpoint note: its bytes, or the JSON value of an older one;
 * undefined when there is none, or an object the resume refuses when the JSON does not parse.
 */
async function readAuditState(noteFile: string): Promise<unknown> {
  const bytes = await readOptional(auditStatePath(noteFile));
  if (bytes !== undefined) return bytes;
  const json = await readOptional(jsonAuditStatePath(noteFile));
  if (json === undefined) return undefined;
  try {
    return JSON.parse(json.toString('utf8'));
  } catch {
    return { type: 'unreadable' };
  }
}

async function saveAuditState(noteFile: string, state: Uint8Array): Promise<void> {
  const path = auditStatePath(noteFile);
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, state);
    await rename(temporary, path);
    // A JSON state of an earlier checkpoint would only be refused: it goes.
    await rm(jsonAuditStatePath(noteFile), { force: true });
  } catch (error) {
    throw new VerifyReadFailure(`cannot write ${path}: ${(error as Error).message}`);
  }
}

async function saveCheckpointNote(args: VerifyArgs, report: VerifyReport): Promise<void> {
  try {
    await writeFile(args.saveCheckpoint as string, report.checkpoint?.note ?? '');
  } catch (error) {
    throw new VerifyReadFailure(`cannot write ${args.saveCheckpoint}: ${(error as Error).message}`);
  }
}
