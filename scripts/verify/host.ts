/**
 * The host's side of an audit: after the collective's ledger verifies, its host's ledger is
 * audited the same way (run.ts: chain, keys, checkpoint, fork state, worker threads) and the two
 * are reconciled (protocol/audit/reconcile.ts). The host's ledger comes from `--host-export FILE`,
 * or, when the collective was read over HTTP, from the host actor its `HostJoined` declares,
 * fetched through the same guarded client. The host is read after the collective, so that every
 * host entry a receipt or payout names is already on the host ledger read.
 */

import type { AuditSummary, LedgerAudit } from '../../protocol/audit/ledger.ts';
import { HostReconciliation, type ReconcileCounts } from '../../protocol/audit/reconcile.ts';
import { toHex } from '../../protocol/encoding.ts';
import { HttpClient } from './http.ts';
import { type VerifyFailure, type VerifyOptions, type VerifyReport, verifySource } from './run.ts';
import { FileSource, HttpSource, type LedgerSource } from './sources.ts';

/** Why the host's side fails (exit 1). */
export type { HostFailure } from '../../protocol/audit/failure.ts';

/** What the report says of the host. */
export interface HostReport {
  source: string;
  actor?: string;
  verified: boolean;
  summary?: AuditSummary;
  checkpoint?: { size: number; rootHash: string };
  reconciliation?: ReconcileCounts & { inFlightAfter?: string };
}

/** Where the host's ledger comes from, and the window for entries in flight. */
export interface HostOptions {
  /** `--host-export FILE`. */
  file?: string;
  /** Fetch the declared host over HTTP when the collective came over HTTP. */
  allowPrivateAddress: boolean;
  /** ISO instant: a host entry with no twin published after it is in flight (see reconcile.ts). */
  inFlightAfter?: string;
}

/** {@link verifySource}, then the host's ledger audited and reconciled when there is one to read. */
export async function verifyWithHost(options: VerifyOptions, host: HostOptions): Promise<VerifyReport> {
  if (options.entry !== undefined) return verifySource(options);
  const kind = options.source.kind;
  let reconciler: HostReconciliation | undefined;
  let audit: LedgerAudit | undefined;
  let toSave: LedgerAudit | undefined;
  const report = await verifySource({
    ...options,
    onEntry: (seq, entry, leafHash) => {
      reconciler ??= new HostReconciliation(entry.attributedTo);
      reconciler.collectiveEntry(seq, entry);
      options.onEntry?.(seq, entry, leafHash);
    },
    onAudit: (a) => {
      audit = a;
    },
    // Saved only once the host's side agrees too.
    ...(options.onSnapshot === undefined
      ? {}
      : {
          onSnapshot: async (verified: LedgerAudit) => {
            toSave = verified;
          },
        }),
  });
  if (!report.verified || audit === undefined || report.actor === undefined) return report;
  const declared = report.summary?.host;
  let source: LedgerSource | undefined;
  if (host.file !== undefined) source = new FileSource(host.file);
  else if (declared !== undefined && kind === 'http')
    source = new HttpSource(new HttpClient({ allowPrivateAddress: host.allowPrivateAddress }), declared);
  else if (declared !== undefined)
    report.warnings.push(
      `the host's ledger (${declared}) was not reconciled: give its export with --host-export`,
    );
  if (source !== undefined) {
    const collective = audit;
    reconciler ??= new HostReconciliation(report.actor);
    await hostSide(options, host, source, declared, reconciler, collective, report);
  }
  if (report.verified && toSave !== undefined) await options.onSnapshot?.(toSave);
  return report;
}

async function hostSide(
  options: VerifyOptions,
  host: HostOptions,
  source: LedgerSource,
  declared: string | undefined,
  reconciler: HostReconciliation,
  collective: LedgerAudit,
  report: VerifyReport,
): Promise<void> {
  const fail = (failure: VerifyFailure) => {
    report.failure = failure;
    report.verified = false;
    report.exitCode = 1;
  };
  const hostReport = await verifySource({
    source,
    backend: options.backend,
    ...(options.workers === undefined ? {} : { workers: options.workers }),
    ...(options.ports === undefined ? {} : { ports: options.ports }),
    ...(options.statePath === undefined ? {} : { statePath: options.statePath }),
    onEntry: (seq, entry, leafHash) => reconciler.hostEntry(seq, entry, toHex(leafHash)),
  });
  const side: HostReport = {
    source: source.label,
    verified: false,
    ...(hostReport.actor === undefined ? {} : { actor: hostReport.actor }),
    ...(hostReport.summary === undefined ? {} : { summary: hostReport.summary }),
    ...(hostReport.checkpoint === undefined
      ? {}
      : { checkpoint: { size: hostReport.checkpoint.size, rootHash: hostReport.checkpoint.rootHash } }),
  };
  report.host = side;
  for (const warning of hostReport.warnings) report.warnings.push(`host ledger: ${warning}`);
  if (hostReport.exitCode === 2) {
    report.verified = false;
    report.exitCode = 2;
    report.error = `the host's ledger ${source.label}: ${hostReport.error ?? 'could not be read'}`;
    return;
  }
  const actual = hostReport.actor ?? source.label;
  if (declared !== undefined && actual !== declared) return fail({ type: 'hostMismatch', declared, actual });
  if (hostReport.failure !== undefined)
    return fail({ type: 'hostLedgerInvalid', host: actual, failure: hostReport.failure });
  side.verified = true;
  const result = reconciler.finish({
    host: actual,
    recordedBefore: (hash) => collective.recordedOnce(`hostEntry ${hash}`) !== undefined,
    ...(host.inFlightAfter === undefined ? {} : { inFlightAfter: host.inFlightAfter }),
  });
  const { matched, earlier, otherHosts, inFlight } = result;
  side.reconciliation = {
    matched,
    earlier,
    otherHosts,
    inFlight,
    ...(host.inFlightAfter === undefined ? {} : { inFlightAfter: host.inFlightAfter }),
  };
  if (inFlight.length > 0)
    report.warnings.push(
      `${inFlight.length} movement(s) on the host's ledger not yet on this one, in flight (host seq ${inFlight.map((f) => f.seq).join(', ')})`,
    );
  if (otherHosts > 0)
    report.warnings.push(`${otherHosts} receipt(s) or payout(s) signed by another host were not reconciled`);
  if (!result.ok) fail(result.failure);
}
