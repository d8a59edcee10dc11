/** The public expense form (no account needed) and the private follow page. */
import { html, path } from '../html.ts';
import { layout } from '../layout.ts';
import { csrfField, errorBox, field } from './forms.ts';
import { describeEntry } from './ledger.ts';

/** Item rows on the form; empty rows are ignored. */
export const FORM_ITEMS = 5;

/** What the file input offers; the node checks the bytes whatever the browser lets through. */
export const ATTACHMENT_ACCEPT = 'application/pdf,image/png,image/jpeg,image/webp';
/** How many files the form says it takes (node/private/attachments.ts enforces it). */
const MAX_FILES = 5;

interface ListedAttachment {
  sha256: string;
  mediaType: string;
  size: number;
}

function isListedAttachment(value: unknown): value is ListedAttachment {
  const a = value as Partial<ListedAttachment> | null;
  return (
    typeof a === 'object' &&
    a !== null &&
    typeof a.sha256 === 'string' &&
    typeof a.mediaType === 'string' &&
    typeof a.size === 'number'
  );
}

function formatSize(size: number): string {
  if (size < 1024) return `${size} bytes`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KiB`;
  return `${(size / (1024 * 1024)).toFixed(1)} MiB`;
}

/** The expense's files, each a download through the follow link (which opens only this expense's files). */
function attachmentList(token: string, entry: Record<string, unknown>) {
  const files = Array.isArray(entry.attachments) ? entry.attachments.filter(isListedAttachment) : [];
  if (files.length === 0) return html``;
  return html`<h2>Attachments</h2>
<ul>${files.map(
    (f) =>
      html`<li><a href="${path('/api/follow/{token}/attachments/{sha256}', { token, sha256: f.sha256 })}" download>${f.mediaType}, ${formatSize(f.size)}</a> <small class="muted">SHA-256 ${f.sha256}</small></li>`,
  )}</ul>`;
}

export interface ExpenseFormValues {
  title?: string;
  type?: string;
  payee?: string;
  email?: string;
  payout?: string;
  items?: { description?: string; amount?: string; date?: string }[];
}

export function renderExpenseForm(options: {
  actor: string;
  currency: string;
  csrf: string;
  values?: ExpenseFormValues;
  error?: string;
}): string {
  const v = options.values ?? {};
  const types = ['invoice', 'receipt', 'grant'];
  const rows = Array.from({ length: FORM_ITEMS }, (_, i) => {
    const item = v.items?.[i] ?? {};
    return html`<tr>
<td><input name="item_description" aria-label="Description ${i + 1}" value="${item.description ?? ''}"></td>
<td><input name="item_amount" aria-label="Amount ${i + 1}" inputmode="decimal" placeholder="25.00" value="${item.amount ?? ''}"></td>
<td><input name="item_date" aria-label="Date ${i + 1}" type="date" value="${item.date ?? ''}"></td>
</tr>`;
  });
  return layout(
    `File an expense with ${options.actor}`,
    html`<h1>File an expense with ${options.actor}</h1>
<p>The title, items, amounts and payee name are public. Payout details and e-mail stay private on this node; only salted hashes of them are published.</p>
${errorBox(options.error)}
<form method="post" enctype="multipart/form-data" action="${path('/actors/{actor}/expenses/new', { actor: options.actor })}">
${csrfField(options.csrf)}
${field('Title', 'title', { value: v.title, required: true })}
<label for="type">Type</label>
<select id="type" name="type">${types.map((t) => html`<option value="${t}"${v.type === t ? html` selected` : ''}>${t}</option>`)}</select>
${field('Payee name (public)', 'payee', { value: v.payee, required: true })}
<table><thead><tr><th>Item</th><th>Amount (${options.currency})</th><th>Date</th></tr></thead><tbody>${rows}</tbody></table>
${field('Payout details, e.g. IBAN (private)', 'payout', { value: v.payout, required: true })}
${field('E-mail (private, optional)', 'email', { type: 'email', value: v.email, autocomplete: 'email' })}
<label for="attachments">Invoices or receipts (private, optional)</label>
<input id="attachments" name="attachments" type="file" accept="${ATTACHMENT_ACCEPT}" multiple>
<small class="muted">Up to ${MAX_FILES} files of 5 MiB each: PDF, PNG, JPEG or WebP. They stay private on this node; the ledger shows only their hash, type and size.${options.error ? ' Choose them again before filing.' : ''}</small>
<button type="submit">File the expense</button>
</form>`,
  );
}

export function renderFiledPage(options: { actor: string; follow: string; seq: number }): string {
  return layout(
    'Expense filed',
    html`<h1>Expense filed</h1>
<p>It is entry #${options.seq} of <a href="${path('/actors/{actor}', { actor: options.actor })}">${options.actor}</a>'s ledger.</p>
<p>Keep this private link to follow it; it is shown only once:</p>
<p><a href="${options.follow}">${options.follow}</a></p>`,
  );
}

export function renderFollowPage(options: {
  actor: string;
  /** The follow link's token, for the attachments' download links. */
  token: string;
  state?: string;
  expense: { seq: number; leafHash: string; entry: Record<string, unknown> };
}): string {
  return layout(
    'Your expense',
    html`<h1>Your expense</h1>
<p>${describeEntry(options.expense.entry)}</p>
<p>State: <strong>${options.state ?? 'unknown'}</strong></p>
${attachmentList(options.token, options.expense.entry)}
<p class="muted">Entry #${options.expense.seq} of <a href="${path('/actors/{actor}', { actor: options.actor })}">${options.actor}</a>, hash ${options.expense.leafHash}</p>`,
  );
}
