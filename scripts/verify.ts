/**
 * `cagnotte verify SOURCE`: audits a ledger without trusting the server that serves it.
 * SOURCE is a bulk export file, an actor URL, or a handle `@name@domain` (WebFinger, then actor).
 * Exit 0 verified, 1 verification failed (the first failing entry and reason are printed),
 * 2 could not fetch or read. Runs as `npx node scripts/verify.ts SOURCE` too.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { nativeBackend } from '../node/crypto/native.ts';
import type { JsonObject } from '../protocol/jcs.ts';
import { CliError, config, type Output, parse } from './cli/common.ts';
import { resolveHandle } from './verify/handle.ts';
import { verifyWithHost } from './verify/host.ts';
import { HttpClient } from './verify/http.ts';
import { humanReport, progressBar } from './verify/report.ts';
import type { VerifyReport } from './verify/run.ts';
import { FileSource, HttpSource, type LedgerSource, ReadError } from './verify/sources.ts';
import { defaultStatePath } from './verify/state.ts';

export const VERIFY_USAGE = `Usage: cagnotte verify SOURCE [--json] [--entry N] [--since CHECKPOINT_FILE]
                       [--state FILE | --no-state] [--save-checkpoint FILE] [--workers N]
                       [--host-export FILE] [--in-flight-hours N]
  SOURCE: a bulk export file, an actor URL, or a handle @name@domain.
  --entry N           only entry N: its proof and its inclusion in the signed checkpoint
  --since FILE        incremental: trust the checkpoint note in FILE (saved by --save-checkpoint)
                      and resume from the audit state beside it (FILE.audit.json): only the
                      newer entries are read
  --state FILE        checkpoints seen, for fork detection (default ~/.cagnotte/checkpoints.json)
  --save-checkpoint   write the verified checkpoint note to FILE and the audit state to
                      FILE.audit.json, for a later --since
  --host-export FILE  the host's bulk export, audited and reconciled with the ledger (over HTTP
                      the declared host is fetched); take it after the collective's
  --in-flight-hours N a host movement younger than N hours may still lack its twin (default 24)
  Exit 0 verified, 1 verification failed, 2 could not fetch or read.`;

/** Options as parsed from the command line. */
export interface VerifyArgs {
  source: string;
  json: boolean;
  entry?: number;
  since?: string;
  statePath?: string;
  saveCheckpoint?: string;
  workers?: number;
  allowPrivateAddress: boolean;
  /** `--host-export FILE`. */
  hostExport?: string;
  /** ISO instant: host movements published later may lack their twin (from `--in-flight-hours`). */
  inFlightAfter?: string;
}

/** Parses `verify`'s arguments; a usage error is a CliError (exit 2). */
export function parseVerifyArgs(args: string[]): VerifyArgs {
  const { values, positionals } = parse(
    'verify',
    args,
    {
      json: { type: 'boolean' },
      entry: { type: 'string' },
      since: { type: 'string' },
      state: { type: 'string' },
      'no-state': { type: 'boolean' },
      'save-checkpoint': { type: 'string' },
      workers: { type: 'string' },
      'host-export': { type: 'string' },
      'in-flight-hours': { type: 'string' },
      config: { type: 'string' },
    },
    [],
    1,
  );
  const integer = (name: string, value: unknown, min: number, max: number): number => {
    const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max)
      throw new CliError(`verify: --${name} must be an integer from ${min} to ${max}`);
    return n;
  };
  if (values.entry !== undefined && values.since !== undefined)
    throw new CliError('verify: --entry and --since do not go together');
  // Read through node/config.ts, the one reader of the environment.
  const cfg = config(values.config ? { configFile: values.config as string } : {});
  return {
    source: positionals[0] as string,
    json: values.json === true,
    ...(values.entry !== undefined
      ? { entry: integer('entry', values.entry, 0, Number.MAX_SAFE_INTEGER) }
      : {}),
    ...(values.since !== undefined ? { since: values.since as string } : {}),
    ...(values['no-state'] ? {} : { statePath: (values.state as string | undefined) ?? defaultStatePath() }),
    ...(values['save-checkpoint'] !== undefined
      ? { saveCheckpoint: values['save-checkpoint'] as string }
      : {}),
    ...(values.workers !== undefined ? { workers: integer('workers', values.workers, 0, 64) } : {}),
    allowPrivateAddress: cfg.allowPrivateAddress,
    ...(values['host-export'] !== undefined ? { hostExport: values['host-export'] as string } : {}),
    inFlightAfter: new Date(
      Date.now() - integer('in-flight-hours', values['in-flight-hours'] ?? '24', 0, 24 * 365) * 3_600_000,
    ).toISOString(),
  };
}

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
  const bytes = (state as { entryBytes?: unknown } | null)?.entryBytes;
  return typeof bytes === 'number' && Number.isSafeInteger(bytes) && bytes >= 0 ? bytes : undefined;
}

/** Runs an audit from parsed arguments; the report, whatever the outcome. */
export async function runVerify(
  args: VerifyArgs,
  progress?: (done: number, total: number) => void,
): Promise<VerifyReport> {
  let sinceNote: string | undefined;
  let sinceSnapshot: unknown;
  let source: LedgerSource;
  try {
    if (args.since !== undefined) {
      sinceNote = await readFile(args.since, 'utf8');
      sinceSnapshot = await readAuditState(auditStatePath(args.since));
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
      ...(args.statePath === undefined ? {} : { statePath: args.statePath }),
      ...(sinceNote === undefined ? {} : { sinceNote }),
      ...(sinceSnapshot === undefined ? {} : { sinceSnapshot }),
      ...(args.saveCheckpoint === undefined
        ? {}
        : {
            // A file's entry lines are saved too, so that the next --since seeks past them.
            onSnapshot: (snapshot: JsonObject) => {
              const bytes = source instanceof FileSource ? source.entryBytes : undefined;
              const state = bytes === undefined ? snapshot : { ...snapshot, entryBytes: bytes };
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

/** The `verify` command for scripts/cli.ts: prints the report; exit 1 or 2 through a CliError. */
export async function verifyCommand(args: string[], io: Output): Promise<void> {
  const parsed = parseVerifyArgs(args);
  const bar = !parsed.json && process.stderr.isTTY ? progressBar(process.stderr) : undefined;
  const report = await runVerify(parsed, bar?.update);
  bar?.end();
  if (parsed.json) io.out(JSON.stringify(report, null, 2));
  else for (const line of humanReport(report)) io.out(line);
  if (report.exitCode === 1) throw new CliError('verify: the ledger does not verify', 1);
  if (report.exitCode === 2) throw new VerifyReadFailure(report.error ?? 'could not read the ledger');
}

/** Exit 2 without the usage hint: the arguments were fine, the source was not readable. */
export class VerifyReadFailure extends CliError {
  constructor(message: string) {
    super(`verify: ${message}`, 2);
  }
}

/** Where the audit state saved with a checkpoint note lives: beside it. */
export function auditStatePath(noteFile: string): string {
  return `${noteFile}.audit.json`;
}

/** The saved audit state, or undefined when there is none or it is not JSON (a full walk then). */
async function readAuditState(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return JSON.parse(text);
  } catch {
    return { type: 'unreadable' };
  }
}

async function saveAuditState(noteFile: string, snapshot: JsonObject): Promise<void> {
  const path = auditStatePath(noteFile);
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, JSON.stringify(snapshot));
    await rename(temporary, path);
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

if (import.meta.main) {
  const io: Output = {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  };
  try {
    await verifyCommand(process.argv.slice(2), io);
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    io.err(`cagnotte: ${error.message}`);
    process.exitCode = error.exitCode;
  }
}
