/**
 * The audit page's script (bundled by scripts/build-ui.ts): reads `?source=`, runs the audit
 * (audit.ts) in the browser and shows it as it goes: entries checked against the checkpoint's
 * size, one row per entry, then the verdict and the summary. Everything shown is set with
 * `textContent`: a ledger's text is never parsed as markup.
 *
 * Signatures are checked with the browser's WebCrypto Ed25519 when it has it (a feature test at
 * startup), else with @noble/ed25519; the page says which (webcrypto.ts: both give the same
 * answers).
 *
 * Checkpoints seen are kept in localStorage for fork detection, as the CLI keeps them in its
 * state file; like that file it is verified again on every use, so it can hide nothing.
 */

import { describeFailure } from '../../protocol/audit/describe.ts';
import type { CheckpointHistory } from '../../protocol/audit/forks.ts';
import { auditNodeLedger, type EntryEvent, type PageReport } from './audit.ts';
import { FetchFailure, fetchGet } from './fetch.ts';
import { NodeLedger, resolveSource } from './source.ts';
import { type AsyncVerifier, webCryptoHasEd25519, webCryptoVerifier } from './webcrypto.ts';

/** Rows drawn before only failing entries are drawn: a long ledger must not flood the page. */
const MAX_ROWS = 2000;
const STORAGE_KEY = 'cagnotte.audit.checkpoints';

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found as T;
}

function loadHistory(): CheckpointHistory {
  try {
    const logs = (JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}') as { logs?: unknown }).logs;
    return typeof logs === 'object' && logs !== null && !Array.isArray(logs)
      ? (logs as CheckpointHistory)
      : {};
  } catch {
    return {};
  }
}

function saveHistory(history: CheckpointHistory): void {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ version: 1, logs: history }));
  } catch {
    // Storage full or disabled: the audit stands, only the memory of this checkpoint is lost.
  }
}

function row(event: EntryEvent): HTMLTableRowElement {
  const tr = document.createElement('tr');
  if (!event.ok) tr.className = 'row-failed';
  for (const text of [
    String(event.seq),
    event.kind,
    event.ok || event.failure === undefined ? 'ok' : describeFailure(event.failure),
  ]) {
    const td = document.createElement('td');
    td.textContent = text;
    tr.append(td);
  }
  return tr;
}

function term(list: HTMLElement, name: string, value: string): void {
  const dt = document.createElement('dt');
  dt.textContent = name;
  const dd = document.createElement('dd');
  dd.textContent = value;
  list.append(dt, dd);
}

function showReport(report: PageReport): void {
  const section = element('audit');
  const verdict = element('verdict');
  const summary = element('summary');
  section.dataset.state = report.exitCode === 0 ? 'verified' : report.exitCode === 1 ? 'failed' : 'error';
  if (report.exitCode === 2) {
    verdict.className = 'verdict-failed';
    verdict.textContent = `Could not audit: ${report.error ?? 'unknown error'}`;
  } else if (report.verified) {
    verdict.className = 'verdict-ok';
    verdict.textContent = `Verified: ${report.actor ?? report.source}`;
  } else {
    verdict.className = 'verdict-failed';
    verdict.textContent = `Failed: ${report.failure ? describeFailure(report.failure) : 'unknown reason'}`;
  }
  summary.replaceChildren();
  if (report.actor !== undefined) term(summary, 'Actor', report.actor);
  const s = report.summary;
  if (s !== undefined) {
    term(
      summary,
      report.verified ? 'Entries' : 'Entries accepted before the failure',
      s.entries.toLocaleString('en-US'),
    );
    term(summary, 'Balance', `${s.balance} ${s.currency}`);
    term(summary, 'Income', `${s.income.total} ${s.currency}`);
    term(summary, 'Spending', `${s.spending.total} ${s.currency}`);
    term(summary, 'Pending expenses', String(s.pendingExpenses));
    if (s.host !== undefined) term(summary, 'Host', s.host);
  }
  const c = report.checkpoint;
  if (c !== undefined) {
    const by = (c.signatures ?? []).map((sig) => `${sig.by} (${sig.name})`).join(', ');
    term(summary, 'Checkpoint', `size ${c.size}, root ${c.rootHash}${by ? `, signed by ${by}` : ''}`);
  }
  if (report.signatures !== undefined) term(summary, 'Signatures checked with', report.signatures);
  for (const warning of report.warnings) term(summary, 'Warning', warning);
  element('report').textContent = JSON.stringify(report, null, 2);
}

/** WebCrypto's Ed25519 when this browser has it (tested once, on a known vector), else none. */
async function signatureVerifier(): Promise<AsyncVerifier | undefined> {
  const subtle = globalThis.crypto?.subtle;
  return (await webCryptoHasEd25519(subtle)) ? webCryptoVerifier(subtle) : undefined;
}

async function run(source: string): Promise<void> {
  const section = element('audit');
  const progress = element<HTMLProgressElement>('progress');
  const count = element('count');
  const tbody = element('entries').querySelector('tbody') as HTMLTableSectionElement;
  const verdict = element('verdict');
  section.hidden = false;
  section.dataset.state = 'running';
  verdict.textContent = 'Auditing…';
  const get = fetchGet();
  const verifier = await signatureVerifier();
  section.dataset.signatures = verifier === undefined ? 'noble' : 'webcrypto';
  element('signatures').textContent = `Signatures checked with ${
    verifier?.name ?? '@noble/ed25519 (JavaScript: this browser has no WebCrypto Ed25519)'
  }`;
  let report: PageReport & { history?: CheckpointHistory };
  try {
    const actorUrl = await resolveSource(source, location.href, get);
    let rows = 0;
    let pending = document.createDocumentFragment();
    report = await auditNodeLedger({
      ledger: new NodeLedger(get, actorUrl),
      ...(verifier === undefined ? {} : { verifier }),
      history: loadHistory(),
      onEntry(event) {
        if (rows < MAX_ROWS || !event.ok) pending.append(row(event));
        rows += 1;
        if (rows === MAX_ROWS) {
          const note = row({ seq: MAX_ROWS, kind: '…', ok: true });
          (note.lastChild as HTMLElement).textContent = `only failing entries are listed from here on`;
          pending.append(note);
        }
      },
      onProgress(done, total) {
        progress.max = Math.max(1, total);
        progress.value = done;
        count.textContent = `${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} entries checked`;
      },
      async pause() {
        tbody.append(pending);
        pending = document.createDocumentFragment();
        // Let the browser paint the rows and the bar before the next page.
        await new Promise((resolve) => setTimeout(resolve, 0));
      },
    });
    tbody.append(pending);
    if (report.history !== undefined) saveHistory(report.history);
    delete report.history;
  } catch (error) {
    if (!(error instanceof FetchFailure)) throw error;
    report = { source, verified: false, exitCode: 2, error: error.message, warnings: [] };
  }
  showReport(report);
}

const source = new URLSearchParams(location.search).get('source');
if (source !== null && source.trim() !== '') {
  run(source).catch((error: unknown) => {
    showReport({ source, verified: false, exitCode: 2, error: String(error), warnings: [] });
  });
}
