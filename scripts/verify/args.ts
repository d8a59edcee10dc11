/**
 * `cagnotte verify`'s command line: its usage and its arguments, parsed. Kept apart from the audit
 * (verify.ts) so that the thread that only prints the report and checks signatures (command.ts)
 * does not load the audit's modules.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError, config, parse } from '../cli/common.ts';

export const VERIFY_USAGE = `Usage: cagnotte verify SOURCE [--json] [--entry N] [--since CHECKPOINT_FILE]
                       [--state FILE | --no-state] [--save-checkpoint FILE] [--workers N]
                       [--host-export FILE] [--in-flight-hours N]
  SOURCE: a bulk export file, an actor URL, or a handle @name@domain.
  --entry N           only entry N: its proof and its inclusion in the signed checkpoint
  --since FILE        incremental: trust the checkpoint note in FILE (saved by --save-checkpoint)
                      and resume from the audit state beside it (FILE.audit.bin, or an older
                      FILE.audit.json): only the newer entries are read
  --state FILE        checkpoints seen, for fork detection (default ~/.cagnotte/checkpoints.json)
  --save-checkpoint   write the verified checkpoint note to FILE and the audit state to
                      FILE.audit.bin, for a later --since
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

/** Where the checkpoints seen are kept unless `--state` says otherwise. */
export function defaultStatePath(): string {
  return join(homedir(), '.cagnotte', 'checkpoints.json');
}

/** Exit 2 without the usage hint: the arguments were fine, the source was not readable. */
export class VerifyReadFailure extends CliError {
  constructor(message: string) {
    super(`verify: ${message}`, 2, false);
  }
}
