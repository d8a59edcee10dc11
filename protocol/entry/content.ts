/**
 * The human sentence of an entry's `content` (SPEC.md §5.1): what a fediverse client shows for
 * the Note. English for now. It is built from the entry's own fields only, deterministically
 * (no Intl: its output changes with the runtime's ICU data), and every user string is escaped.
 * Verifiers never read it.
 */
import type { EntryBody, EntryKind } from './types.ts';

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and double- or single-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] as string);
}

const PREFIX_SYMBOLS: Record<string, string> = { EUR: '€', GBP: '£', USD: '$' };

/** `€25.00`, `£3.50`, `$10.00`, otherwise `25.00 CHF`: the wire amount with its currency. */
export function displayAmount(amount: string, currency: string): string {
  const symbol = PREFIX_SYMBOLS[currency];
  return symbol === undefined ? `${amount} ${currency}` : `${symbol}${amount}`;
}

/** What a sentence needs beside the body: who the ledger is and where the entry lives. */
export interface ContentContext {
  /** The collective's (or host's) display name. */
  name: string;
  /** The entry id, linked from the sentence. */
  id: string;
  seq: number;
}

function quote(text: string): string {
  return `“${escapeHtml(text)}”`;
}

function short(hash: string): string {
  return hash.slice(0, 8);
}

function sentence(body: EntryBody, who: string): string {
  const b = body as EntryBody<EntryKind> & Record<string, unknown>;
  switch (body.kind) {
    case 'Genesis': {
      const g = body as EntryBody<'Genesis'>;
      return `${escapeHtml(g.name)} opened its ledger in ${escapeHtml(g.currency)}.`;
    }
    case 'HostJoined': {
      const h = body as EntryBody<'HostJoined'>;
      return `${who} joined the fiscal host ${escapeHtml(h.host)} (fee ${formatBasisPoints(h.feeBasisPoints)}).`;
    }
    case 'HostLeft':
      return `${who} left the fiscal host ${escapeHtml((body as EntryBody<'HostLeft'>).host)}.`;
    case 'Contribution': {
      const c = body as EntryBody<'Contribution'>;
      const from = c.contributor === undefined ? 'an anonymous contributor' : escapeHtml(c.contributor);
      return `${who} received ${displayAmount(c.amount, c.currency)} from ${from}.`;
    }
    case 'Expense': {
      const e = body as EntryBody<'Expense'>;
      return `${escapeHtml(e.payee)} filed an expense of ${displayAmount(e.amount, e.currency)}: ${quote(e.title)}.`;
    }
    case 'ExpenseApproved':
      return `Expense ${short(b.expense as string)} approved by ${who}.`;
    case 'ExpenseRejected': {
      const r = body as EntryBody<'ExpenseRejected'>;
      return `Expense ${short(r.expense)} rejected by ${who}: ${quote(r.comment)}.`;
    }
    case 'ExpenseCountersigned':
      return `Expense ${short(b.expense as string)} countersigned by the fiscal host.`;
    case 'ExpensePaid': {
      const p = body as EntryBody<'ExpensePaid'>;
      return `${who} paid ${displayAmount(p.amount, p.currency)} for expense ${short(p.expense)}.`;
    }
    case 'Refund': {
      const r = body as EntryBody<'Refund'>;
      return `${who} refunded ${displayAmount(r.amount, r.currency)} of contribution ${short(r.contribution)}.`;
    }
    case 'HostFee': {
      const f = body as EntryBody<'HostFee'>;
      return `${who} paid a host fee of ${displayAmount(f.amount, f.currency)} on contribution ${short(f.contribution)}.`;
    }
    case 'Transfer': {
      const t = body as EntryBody<'Transfer'>;
      const amount = displayAmount(t.amount, t.currency);
      const party = escapeHtml(t.counterparty);
      return t.direction === 'in'
        ? `${who} received a transfer of ${amount} from ${party}.`
        : `${who} transferred ${amount} to ${party}.`;
    }
    case 'KeyRotated':
      return `${who} rotated its ledger key.`;
    case 'Update':
      return `${who} posted an update: ${quote((body as EntryBody<'Update'>).title)}.`;
    case 'Event': {
      const e = body as EntryBody<'Event'>;
      return `${who} announced ${quote(e.name)} at ${escapeHtml(e.place)}, ${escapeHtml(e.startTime)} (${escapeHtml(e.timeZone)}).`;
    }
    case 'MemberJoined': {
      const m = body as EntryBody<'MemberJoined'>;
      return `${who} accepted ${escapeHtml(m.collective)} as a member (fee ${formatBasisPoints(m.feeBasisPoints)}).`;
    }
    case 'MemberLeft':
      return `${escapeHtml((body as EntryBody<'MemberLeft'>).collective)} left ${who}.`;
    case 'FundsReceived': {
      const f = body as EntryBody<'FundsReceived'>;
      return `${who} received ${displayAmount(f.amount, f.currency)} for ${escapeHtml(f.collective)} (${escapeHtml(f.reference)}).`;
    }
    case 'PayoutMade': {
      const p = body as EntryBody<'PayoutMade'>;
      return `${who} paid ${displayAmount(p.amount, p.currency)} for expense ${short(p.expense)} of ${escapeHtml(p.collective)}.`;
    }
  }
  return `${who} recorded an entry.`;
}

function formatBasisPoints(bp: number): string {
  const whole = Math.trunc(bp / 100);
  const fraction = String(bp % 100).padStart(2, '0');
  return `${whole}.${fraction}%`;
}

/** The `content` HTML of an entry: one paragraph, the sentence and a link to the entry. */
export function entryContent(body: EntryBody, context: ContentContext): string {
  const who = escapeHtml(context.name);
  return `<p>${sentence(body, who)} <a href="${escapeHtml(context.id)}">#${context.seq}</a></p>`;
}
