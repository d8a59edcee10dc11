/**
 * The audit page: a form naming the ledger, and the places the browser script (main.ts, bundled
 * by scripts/build-ui.ts) fills as it audits. The server only hands out this frame; the verdict
 * is reached in the browser, from the ledger's raw documents.
 */
import { html } from '../html.ts';
import { layout } from '../layout.ts';

/** Small styles of the audit page (served at /assets/audit.css: the CSP forbids inline styles). */
export const AUDIT_STYLESHEET = `#audit progress{width:100%;height:1.2rem}
.verdict-ok{color:#0a6b2b}.verdict-failed,.row-failed td{color:#a00}
.row-failed{background:#fff2f2}#entries td:first-child{font-variant-numeric:tabular-nums}
#audit dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}#audit dd{margin:0;word-break:break-all}
#report{white-space:pre-wrap;word-break:break-all;font-size:.85rem}`;

/** The page; `source` (from the query) fills the form, `script` is the bundle's URL. */
export function renderAuditPage(options: { source: string; script: string }): string {
  return layout(
    'Audit',
    html`<link rel="stylesheet" href="/assets/audit.css">
<h1>Audit a ledger</h1>
<p>Your browser checks every entry's signature, every link of the chain, the balance at every step,
and the Merkle root against the signed checkpoint. It fetches only the ledger's raw documents and
trusts no server, this one included.</p>
<form method="get" action="/audit" id="audit-form">
<label for="source">Actor URL, handle (<code>@name@domain</code>) or path on this node (<code>/actors/name</code>)</label>
<input id="source" name="source" value="${options.source}" required maxlength="2000" autocomplete="url" placeholder="https://node.example/actors/name">
<button type="submit">Audit</button>
</form>
<noscript><p class="error">The audit runs in your browser and needs JavaScript. <code>cagnotte verify SOURCE</code> does the same from a terminal.</p></noscript>
<section id="audit" data-state="idle" hidden>
<h2 id="verdict" role="status" aria-live="polite"></h2>
<progress id="progress" max="1" value="0"></progress>
<p id="count" class="muted"></p>
<p id="signatures" class="muted"></p>
<dl id="summary"></dl>
<details><summary>Report (JSON, as <code>cagnotte verify --json</code>)</summary><pre id="report"></pre></details>
<table id="entries"><thead><tr><th>Seq</th><th>Kind</th><th>Result</th></tr></thead><tbody></tbody></table>
</section>
<script type="module" src="${options.script}"></script>`,
  );
}
