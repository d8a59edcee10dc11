/**
 * The outbox is the ledger: an `OrderedCollection` of `Create{Note}`, newest first, whose pages
 * are addressed by the seq of their newest entry (`?cursor=seq`), so a page URL always shows the
 * same entries. Entries are embedded and served exactly as signed: the documents here are built
 * as plain JSON around the stored entry, never re-serialised through Fedify's vocabulary, which
 * would drop the ledger fields and break the proof.
 */
import { fromUtf8 } from '../../protocol/encoding.ts';
import type { SignedEntry } from '../../protocol/entry/types.ts';
import type { EntryRecord } from '../ledger/types.ts';
import type { FederatedActor } from './types.ts';

export const AS_CONTEXT = 'https://www.w3.org/ns/activitystreams';
export const PUBLIC = 'https://www.w3.org/ns/activitystreams#Public';
/** Entries per outbox page. */
export const OUTBOX_PAGE_SIZE = 20;

/** The outbox URL of an actor. */
export function outboxUrl(actor: { id: string }): string {
  return `${actor.id}/outbox`;
}

/** The followers collection URL of an actor (Fedify serves it). */
export function followersUrl(actor: { id: string }): string {
  return `${actor.id}/followers`;
}

/** The id of the Create activity that publishes `entry`. */
export function createIdOf(entry: { id: string }): string {
  return `${entry.id}/create`;
}

/** The entry as it was signed, parsed from its stored JCS bytes. */
export function entryJson(record: EntryRecord): SignedEntry {
  return JSON.parse(fromUtf8(record.leaf)) as SignedEntry;
}

/**
 * `Create{Note}` for one entry. The object is the entry exactly as signed (its own `@context` and
 * `proof` included), so a receiver can check the proof on `object` alone.
 */
export function createActivity(actor: FederatedActor, record: EntryRecord): Record<string, unknown> {
  const entry = entryJson(record);
  return {
    '@context': entry['@context'],
    id: createIdOf(entry),
    type: 'Create',
    actor: actor.id,
    published: entry.published,
    to: entry.to,
    cc: [followersUrl(actor)],
    object: entry,
  };
}

/** The outbox collection document (no items; they are on the pages). */
export function outboxCollection(actor: FederatedActor): Record<string, unknown> {
  const size = actor.ledger.head().size;
  const doc: Record<string, unknown> = {
    '@context': AS_CONTEXT,
    id: outboxUrl(actor),
    type: 'OrderedCollection',
    totalItems: size,
  };
  if (size > 0) {
    doc.first = pageUrl(actor, size - 1);
    // Pages step down by OUTBOX_PAGE_SIZE from the head, so the chain from `first` ends here.
    doc.last = pageUrl(actor, (size - 1) % OUTBOX_PAGE_SIZE);
  }
  return doc;
}

function pageUrl(actor: FederatedActor, cursor: number): string {
  return `${outboxUrl(actor)}?cursor=${cursor}`;
}

/** Parses a `cursor` query value: a canonical decimal seq, or undefined. */
export function parseCursor(value: string | null): number | undefined {
  if (value === null || !/^(0|[1-9]\d{0,15})$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The outbox page whose newest entry is `cursor`, or undefined when there is no such entry. */
export async function outboxPage(
  actor: FederatedActor,
  cursor: number,
): Promise<Record<string, unknown> | undefined> {
  const size = actor.ledger.head().size;
  if (cursor >= size) return undefined;
  const page = await actor.ledger.page({ order: 'newest', cursor: String(cursor), limit: OUTBOX_PAGE_SIZE });
  const doc: Record<string, unknown> = {
    '@context': AS_CONTEXT,
    id: pageUrl(actor, cursor),
    type: 'OrderedCollectionPage',
    partOf: outboxUrl(actor),
    totalItems: size,
    orderedItems: page.items.map((record) => createActivity(actor, record)),
  };
  if (page.next !== undefined) doc.next = pageUrl(actor, Number(page.next));
  if (cursor < size - 1) doc.prev = pageUrl(actor, Math.min(size - 1, cursor + OUTBOX_PAGE_SIZE));
  return doc;
}

/** Serialized `Create` activities kept per open ledger (most pages read are the newest few). */
const CACHED_CREATES = 2000;
/**
 * Keyed by the ledger object: entries never change once appended, and a ledger reopened (an
 * import, a restart) is a new object with an empty cache, so nothing stale can be served.
 */
const createTexts = new WeakMap<object, Map<number, string>>();

function textsOf(ledger: object): Map<number, string> {
  let texts = createTexts.get(ledger);
  if (texts === undefined) {
    texts = new Map();
    createTexts.set(ledger, texts);
  }
  return texts;
}

/**
 * {@link outboxPage} as the JSON text served, the same bytes as `JSON.stringify(outboxPage(…))`.
 * A page's entries are read, parsed and serialized once; later requests join cached texts,
 * with no read of the store (a page's seqs follow from its cursor).
 */
export async function outboxPageJson(actor: FederatedActor, cursor: number): Promise<string | undefined> {
  const size = actor.ledger.head().size;
  if (cursor >= size) return undefined;
  const texts = textsOf(actor.ledger);
  const seqs = Array.from({ length: Math.min(OUTBOX_PAGE_SIZE, cursor + 1) }, (_, k) => cursor - k);
  let items = seqs.map((seq) => texts.get(seq));
  if (items.some((text) => text === undefined)) {
    const page = await actor.ledger.page({
      order: 'newest',
      cursor: String(cursor),
      limit: OUTBOX_PAGE_SIZE,
    });
    items = page.items.map((record) => {
      const text = JSON.stringify(createActivity(actor, record));
      texts.set(record.seq, text);
      // Bounded: the oldest cached first out.
      if (texts.size > CACHED_CREATES) texts.delete(texts.keys().next().value as number);
      return text;
    });
  }
  const head = JSON.stringify({
    '@context': AS_CONTEXT,
    id: pageUrl(actor, cursor),
    type: 'OrderedCollectionPage',
    partOf: outboxUrl(actor),
    totalItems: size,
  });
  const links: string[] = [];
  if (cursor >= OUTBOX_PAGE_SIZE)
    links.push(`"next":${JSON.stringify(pageUrl(actor, cursor - OUTBOX_PAGE_SIZE))}`);
  if (cursor < size - 1) {
    links.push(`"prev":${JSON.stringify(pageUrl(actor, Math.min(size - 1, cursor + OUTBOX_PAGE_SIZE)))}`);
  }
  return `${head.slice(0, -1)},"orderedItems":[${items.join(',')}]${links.map((l) => `,${l}`).join('')}}`;
}
