/**
 * The audit thread of `cagnotte verify` (command.ts starts it): runs the audit and posts its
 * report; the thread that started it checks signatures on request, as one of the pool's helpers.
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { CliError } from '../cli/common.ts';
import { runVerify } from '../verify.ts';
import type { AuditThreadData, AuditThreadMessage } from './command.ts';

const port = parentPort as MessagePort;
const post = (message: AuditThreadMessage) => port.postMessage(message);
const { args, progress } = workerData as AuditThreadData;
try {
  const report = await runVerify(
    args,
    progress ? (done, total) => post({ type: 'progress', done, total }) : undefined,
    [port],
  );
  post({ type: 'report', report });
} catch (error) {
  if (!(error instanceof CliError)) throw error;
  post({ type: 'failure', message: error.message, exitCode: error.exitCode, usageHint: error.usageHint });
}
