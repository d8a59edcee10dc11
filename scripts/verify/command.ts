/**
 * `cagnotte verify` as the CLI runs it: the audit itself (verify.ts) on a worker thread with a
 * bounded young generation, and this thread lent to it to check signatures (pool.ts).
 *
 * Why the audit is not on this thread: V8 sizes a thread's young generation when the thread
 * starts, and on an audit's allocation rate (kilobytes of short-lived strings and objects per
 * entry) it grows it to its maximum, 3 × 32 MiB here; the garbage it holds was a third of the
 * peak memory of a million-entry audit. A worker's young generation has a limit of our choosing.
 * This thread only parses the arguments, checks signatures and prints, so it loads only that.
 */
import module from 'node:module';
import { Worker } from 'node:worker_threads';
import { workerEnvironment } from '../../node/config.ts';
import { nativeBackend } from '../../node/crypto/native.ts';
import { CliError, type Output } from '../cli/common.ts';
import { parseVerifyArgs, VERIFY_USAGE, type VerifyArgs, VerifyReadFailure } from './args.ts';
import { answerSignatures, type SignatureRequest } from './pool.ts';
import { humanReport, progressBar } from './report.ts';
import type { VerifyReport } from './run.ts';

/**
 * The audit thread's young generation, in MiB. Smaller means more scavenges (each cheap: little
 * of an entry outlives its step); `npm run bench -- audit` reports the peak memory this gives.
 */
const AUDIT_YOUNG_GENERATION_MB = 24;

/** What the audit thread says (audit-thread.ts). */
export type AuditThreadMessage =
  | SignatureRequest
  | { type: 'progress'; done: number; total: number }
  | { type: 'report'; report: VerifyReport }
  /** A CliError thrown by the audit (a state file it cannot write, say). */
  | { type: 'failure'; message: string; exitCode: number; usageHint: boolean };

/** What the audit thread is started with. */
export interface AuditThreadData {
  args: VerifyArgs;
  progress: boolean;
}

/** The `verify` command for scripts/cli.ts: prints the report; exit 1 or 2 through a CliError. */
export async function verifyCommand(args: string[], io: Output): Promise<void> {
  if (args.includes('--help') || args.includes('-h')) {
    io.out(VERIFY_USAGE);
    return;
  }
  const parsed = parseVerifyArgs(args);
  const bar = !parsed.json && process.stderr.isTTY ? progressBar(process.stderr) : undefined;
  const report = await auditOnThread(parsed, bar?.update);
  bar?.end();
  if (parsed.json) io.out(JSON.stringify(report, null, 2));
  else for (const line of humanReport(report)) io.out(line);
  if (report.exitCode === 1) throw new CliError('verify: the ledger does not verify', 1);
  if (report.exitCode === 2) throw new VerifyReadFailure(report.error ?? 'could not read the ledger');
}

/** Runs verify.ts's runVerify on the audit thread, answering its signature requests meanwhile. */
export function auditOnThread(
  args: VerifyArgs,
  progress?: (done: number, total: number) => void,
): Promise<VerifyReport> {
  const workerData: AuditThreadData = { args, progress: progress !== undefined };
  // A worker does not inherit the compile cache bin/cagnotte.js turned on, only the variable that
  // names it: without it the thread strips the types of the audit's 69 modules again on every
  // run (0.2 s of CPU, a fifth of an incremental audit's second, and 28 MB of memory).
  const cache = module.getCompileCacheDir?.();
  const thread = new Worker(new URL('./audit-thread.ts', import.meta.url), {
    workerData,
    resourceLimits: { maxYoungGenerationSizeMb: AUDIT_YOUNG_GENERATION_MB },
    ...(cache === undefined ? {} : { env: workerEnvironment({ NODE_COMPILE_CACHE: cache }) }),
  });
  return new Promise<VerifyReport>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      outcome();
      // The thread has nothing left to do once it reported; nothing it holds must keep us alive.
      void thread.terminate();
    };
    thread.on('message', (message: AuditThreadMessage) => {
      switch (message.type) {
        case 'signatures':
          thread.postMessage(answerSignatures(message, nativeBackend));
          break;
        case 'progress':
          progress?.(message.done, message.total);
          break;
        case 'report':
          settle(() => resolve(message.report));
          break;
        case 'failure':
          settle(() => reject(new CliError(message.message, message.exitCode, message.usageHint)));
          break;
      }
    });
    thread.on('error', (error) => settle(() => reject(error)));
    thread.on('exit', (code) =>
      settle(() => reject(new Error(`the audit thread stopped without a report (exit code ${code})`))),
    );
  });
}
