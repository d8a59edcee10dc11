/**
 * An `Event` entry federates twice. Its `Create{Note}` is the ledger entry exactly as signed (the
 * proof covers the Note and nothing else, so the Note cannot become an Event). Beside it goes a
 * `Create{Event}` built from the entry's fields, for what servers show: Mastodon renders an Event
 * as name, summary and a link to `url` (its `content` is dropped), so date and place go in
 * `summary` and `url` is the HTML ledger page that shows the entry; Gancio and Mobilizon read `startTime`, `endTime`
 * and `location`. The Event is not a ledger entry and carries no Data Integrity proof: whoever
 * wants proof follows `context` to the entry. It is served at `${entry.id}/event`.
 */
import type { SignedEntry } from '../../protocol/entry/types.ts';
import type { EntryRecord } from '../ledger/types.ts';
import { AS_CONTEXT, entryJson, followersUrl } from './outbox.ts';
import type { FederatedActor } from './types.ts';

/** The id of the Event object published for an Event entry. */
export function eventIdOf(entry: { id: string }): string {
  return `${entry.id}/event`;
}

/** The id of the Create activity of that Event object. */
export function createEventIdOf(entry: { id: string }): string {
  return `${eventIdOf(entry)}/create`;
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

/**
 * "Sat 5 Dec 2026, 14:00 – 18:00 (Europe/Brussels)" in the event's own time zone; in UTC ISO form
 * when the zone is unknown to this runtime.
 */
export function formatWhen(startTime: string, endTime: string, timeZone: string): string {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
  } catch {
    return `${startTime} – ${endTime} (UTC)`;
  }
  const part = (d: Date, type: Intl.DateTimeFormatPartTypes) =>
    format.formatToParts(d).find((p) => p.type === type)?.value ?? '';
  const date = (d: Date) => `${part(d, 'weekday')} ${part(d, 'day')} ${part(d, 'month')} ${part(d, 'year')}`;
  const time = (d: Date) => `${part(d, 'hour')}:${part(d, 'minute')}`;
  const start = new Date(startTime);
  const end = new Date(endTime);
  const sameDay = date(start) === date(end);
  const span = sameDay
    ? `${date(start)}, ${time(start)} – ${time(end)}`
    : `${date(start)}, ${time(start)} – ${date(end)}, ${time(end)}`;
  return `${span} (${timeZone})`;
}

/** The AS `Event` object of an Event entry, or undefined for any other kind. */
export function eventObject(actor: FederatedActor, entry: SignedEntry): Record<string, unknown> | undefined {
  if (entry.kind !== 'Event') return undefined;
  const e = entry as SignedEntry<'Event'>;
  return {
    '@context': AS_CONTEXT,
    id: eventIdOf(e),
    type: 'Event',
    attributedTo: actor.id,
    name: e.name,
    startTime: e.startTime,
    endTime: e.endTime,
    // FEP-8a8e's name for the IANA zone.
    timezone: e.timeZone,
    summary: `${formatWhen(e.startTime, e.endTime, e.timeZone)} · ${e.place}`,
    content: `<p>${escapeHtml(e.description)}</p>`,
    location: { type: 'Place', name: e.place },
    // The actor's HTML ledger page from this entry on (newest first, so it heads the page).
    url: `${actor.id}?cursor=${e.seq}`,
    // The signed ledger entry this Event was made from.
    context: e.id,
    published: e.published,
    to: e.to,
    cc: [followersUrl(actor)],
  };
}

/** `Create{Event}` for an Event entry (sent beside its `Create{Note}`), or undefined. */
export function createEventActivity(
  actor: FederatedActor,
  record: EntryRecord,
): Record<string, unknown> | undefined {
  const entry = entryJson(record);
  const event = eventObject(actor, entry);
  if (event === undefined) return undefined;
  return {
    '@context': AS_CONTEXT,
    id: createEventIdOf(entry),
    type: 'Create',
    actor: actor.id,
    published: entry.published,
    to: entry.to,
    cc: [followersUrl(actor)],
    object: event,
  };
}
