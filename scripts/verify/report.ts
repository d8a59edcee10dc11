/**
 * The human report of `cagnotte verify`, and the progress bar drawn on a terminal's stderr.
 */
import { describeFailure } from '../../protocol/audit/describe.ts';
import type { AuditTotals } from '../../protocol/audit/ledger.ts';
import type { VerifyReport } from './run.ts';

const number = (n: number) => n.toLocaleString('en-US');

function totals(label: string, t: AuditTotals, currency: string): string {
  const kinds = Object.entries(t.byKind)
    .map(([kind, amount]) => `${kind} ${amount}`)
    .join(', ');
  return `  ${label.padEnd(18)}${t.total} ${currency}${kinds ? ` (${kinds})` : ''}`;
}

/** The report as lines of text. */
export function humanReport(report: VerifyReport): string[] {
  const lines: string[] = [];
  if (report.exitCode === 2) {
    lines.push(`COULD NOT VERIFY ${report.source}: ${report.error ?? 'unknown error'}`);
    return lines;
  }
  const head = report.verified ? 'VERIFIED' : 'FAILED';
  lines.push(`${head}: ${report.actor ?? report.source}${report.mode === 'full' ? '' : ` (${report.mode})`}`);
  if (report.failure !== undefined) {
    lines.push(`  First failure: ${describeFailure(report.failure)}`);
    lines.push(`  Reason: ${JSON.stringify(report.failure)}`);
    if (report.failure.type === 'fork') {
      lines.push('  Evidence, the checkpoint seen before:', ...indent(report.failure.evidence.seen.note));
      lines.push('  and the checkpoint now:', ...indent(report.failure.evidence.current.note));
    }
  }
  if (report.entry !== undefined) {
    const e = report.entry;
    lines.push(
      `  Entry ${e.seq}: ${e.kind}${e.amount ? ` ${e.amount} ${e.currency ?? ''}` : ''}, ${e.published}`,
    );
    lines.push(`  Leaf hash ${e.leafHash}, included in the checkpoint of size ${report.checkpoint?.size}`);
  }
  const s = report.summary;
  if (s !== undefined) {
    const upTo = report.verified ? '' : ' (accepted before the failure)';
    lines.push(`  Entries${upTo}: ${number(s.entries)}`);
    lines.push(`  Balance:          ${s.balance} ${s.currency}`);
    lines.push(totals('Income:', s.income, s.currency));
    lines.push(totals('Spending:', s.spending, s.currency));
    lines.push(`  Pending expenses: ${s.pendingExpenses}`);
    if (s.host) lines.push(`  Host:             ${s.host}`);
  }
  const h = report.host;
  if (h !== undefined) {
    const r = h.reconciliation;
    const state =
      r === undefined
        ? 'not reconciled'
        : `${r.matched} movement(s) on both ledgers${r.earlier ? `, ${r.earlier} audited before` : ''}`;
    lines.push(
      `  Host ledger:      ${h.actor ?? h.source}, ${h.summary?.entries ?? 0} entries${h.verified ? ' verified' : ''}, ${state}`,
    );
  }
  const c = report.checkpoint;
  if (c !== undefined && report.mode !== 'entry') {
    const by = (c.signatures ?? []).map((sig) => `${sig.by} (${sig.name})`).join(', ');
    lines.push(`  Checkpoint:       size ${c.size}, root ${c.rootHash}${by ? `, signed by ${by}` : ''}`);
  }
  if (report.since !== undefined) {
    const how =
      report.since.consistency === 'proof'
        ? 'a verified consistency proof'
        : 'the root recomputed from the entries';
    lines.push(`  Extends the checkpoint of size ${report.since.size} trusted before (${how}).`);
  }
  for (const warning of report.warnings) lines.push(`  Warning: ${warning}`);
  const st = report.stats;
  lines.push(
    `  Took ${(st.elapsedMs / 1000).toFixed(2)} s${st.entriesPerSecond ? ` (${number(st.entriesPerSecond)} entries/s` : ' ('}${st.workers ? `, ${st.workers} signature worker${st.workers > 1 ? 's' : ''}` : ''}).`,
  );
  return lines;
}

function indent(note: string): string[] {
  return note
    .replace(/\n$/, '')
    .split('\n')
    .map((line) => `    ${line}`);
}

/** A progress bar on a terminal stream, redrawn at most ten times a second. */
export function progressBar(stream: NodeJS.WriteStream): {
  update(done: number, total: number): void;
  end(): void;
} {
  let last = 0;
  let drawn = false;
  const started = performance.now();
  return {
    update(done, total) {
      const now = performance.now();
      if (now - last < 100 && done < total) return;
      last = now;
      drawn = true;
      const width = 30;
      const ratio = total > 0 ? Math.min(1, done / total) : 1;
      const filled = Math.round(ratio * width);
      const rate = Math.round(done / Math.max(1e-3, (now - started) / 1000));
      stream.write(
        `\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${Math.floor(ratio * 100)}% ${number(done)}/${number(total)} entries, ${number(rate)}/s `,
      );
    },
    end() {
      if (drawn) stream.write('\n');
    },
  };
}
