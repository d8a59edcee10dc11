/**
 * A plain HTML page of one actor's ledger: balance, newest entries first, a link to the next
 * page. Entry text is rebuilt from the fields and escaped; the entry's own `content` HTML is
 * not trusted here, since a ledger may have been imported from elsewhere.
 */
import { html, path, type SafeHtml } from '../html.ts';
import { layout } from '../layout.ts';
import { csrfField } from './forms.ts';

export interface LedgerPageEntry {
  seq: number;
  leafHash: string;
  entry: Record<string, unknown>;
}

export interface LedgerPageOptions {
  actor: { name: string; id: string; type: string; currency: string };
  size: number;
  balance?: string;
  entries: LedgerPageEntry[];
  next?: string;
  /** The signed-in admin of this actor, if any, and a CSRF token for the sign-out form. */
  admin?: { username: string; csrf: string };
}

function s(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** One line of plain text saying what the entry records. */
export function describeEntry(entry: Record<string, unknown>): string {
  const money = `${s(entry.amount)} ${s(entry.currency)}`.trim();
  const ref = (key: string) => s(entry[key]).slice(0, 12);
  switch (entry.kind) {
    case 'Genesis':
      return `Ledger opened: ${s(entry.name)} (${s(entry.currency)})`;
    case 'Contribution':
      return `${s(entry.contributor) || 'Anonymous'} contributed ${money}${entry.message ? `: “${s(entry.message)}”` : ''}`;
    case 'Expense':
      return `Expense filed by ${s(entry.payee)}: ${s(entry.title)} (${s(entry.expenseType)}), ${money}`;
    case 'ExpenseApproved':
      return `Expense ${ref('expense')}… approved${entry.comment ? `: ${s(entry.comment)}` : ''}`;
    case 'ExpenseRejected':
      return `Expense ${ref('expense')}… rejected: ${s(entry.comment)}`;
    case 'ExpenseCountersigned':
      return `Expense ${ref('expense')}… countersigned by the host`;
    case 'ExpensePaid':
      return `Expense ${ref('expense')}… paid, ${money}`;
    case 'Refund':
      return `Refund of ${money} for contribution ${ref('contribution')}…`;
    case 'HostFee':
      return `Host fee ${money}`;
    case 'Transfer':
      return `Transfer ${s(entry.direction)} ${money}`;
    case 'Update':
      return `Update: ${s(entry.title)}`;
    case 'Event':
      return `Event: ${s(entry.name)}, ${s(entry.startTime)} (${s(entry.timeZone)}), ${s(entry.place)}`;
    default:
      return s(entry.kind);
  }
}

export function renderLedgerPage(options: LedgerPageOptions): string {
  const { actor } = options;
  const rows: SafeHtml[] = options.entries.map(
    (e) => html`<tr>
<td><a href="${path('/api/actors/{actor}/entries/{seq}', { actor: actor.name, seq: e.seq })}">${e.seq}</a></td>
<td>${s(e.entry.published).slice(0, 10)}</td>
<td>${s(e.entry.kind)}</td>
<td>${describeEntry(e.entry)}</td>
</tr>`,
  );
  const next =
    options.next === undefined
      ? ''
      : html`<p><a href="${path('/actors/{actor}', { actor: actor.name }, { cursor: options.next })}">Older entries</a></p>`;
  const admin = options.admin
    ? html`<form method="post" action="/logout">${csrfField(options.admin.csrf)}Signed in as ${options.admin.username}. <button type="submit">Sign out</button></form>`
    : html`<p><a href="${path('/login', {}, { actor: actor.name })}">Admin sign-in</a></p>`;
  return layout(
    actor.name,
    html`<h1>${actor.name}</h1>
<p class="muted">${actor.type === 'Organization' ? 'Fiscal host' : 'Collective'} · ${actor.id} · ${options.size} entries</p>
${options.balance !== undefined ? html`<p>Balance: <strong>${options.balance} ${actor.currency}</strong></p>` : ''}
<p><a href="${path('/actors/{actor}/expenses/new', { actor: actor.name })}">File an expense</a> · <a href="${path('/api/actors/{actor}/checkpoint', { actor: actor.name })}">Latest checkpoint</a></p>
${admin}
<table>
<thead><tr><th>#</th><th>Date</th><th>Kind</th><th>What</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
${next}`,
  );
}
