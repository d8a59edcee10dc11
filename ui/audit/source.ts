/**
 * A node's ledger as the audit page reads it: the actor document (its asserted keys), the outbox
 * walked from its oldest page to its newest, and the latest checkpoint note. The same documents,
 * limits and refusals as the CLI's HttpSource (scripts/verify/sources.ts), over {@link RawGet} so
 * that it runs in a browser (and in tests, over Node's fetch).
 */
import { type AuditedActor, parseActorDocument } from '../../protocol/audit/actor.ts';
import { actorLinkFromJrd, parseHandle, webfingerUrl } from '../../protocol/audit/webfinger.ts';
import { ContentProblem, FetchFailure, getJson, getText, type RawGet } from './fetch.ts';

// Accept without the `profile="…"` parameter: a quote would make a cross-origin GET need a
// CORS preflight, and every ActivityPub server answers activity+json alike.
const ACTIVITY_JSON = 'application/activity+json';
const MAX_ACTOR_BYTES = 1024 * 1024;
const MAX_PAGE_BYTES = 8 * 1024 * 1024;

/**
 * The actor URL that `source` names: an http(s) URL as is; a path (`/actors/name`) on the page's
 * own node (`base`); a handle `@name@domain` through WebFinger (https, or the page's own scheme
 * when the domain is the page's own host). Throws a {@link FetchFailure} when it names none.
 */
export async function resolveSource(source: string, base: string, get: RawGet): Promise<string> {
  const text = source.trim();
  if (/^https?:\/\//i.test(text)) return new URL(text).href;
  if (text.startsWith('/') && !text.startsWith('//')) return new URL(text, base).href;
  const handle = parseHandle(text);
  if (handle === undefined)
    throw new FetchFailure(`not an actor URL, a path or a handle: ${text.slice(0, 200)}`);
  const { name, domain } = handle;
  const page = new URL(base);
  const scheme = domain === page.host && page.protocol === 'http:' ? 'http' : 'https';
  const answer = await getJson(get, webfingerUrl(name, domain, scheme), {
    accept: 'application/jrd+json',
    maxBytes: 64 * 1024,
  });
  const actor = actorLinkFromJrd(answer);
  if (actor === undefined) throw new FetchFailure(`WebFinger names no ActivityPub actor for ${text}`);
  return actor;
}

/** One actor's ledger on a node. */
export class NodeLedger {
  readonly actorUrl: string;
  readonly #get: RawGet;
  #actor: AuditedActor | undefined;

  constructor(get: RawGet, actorUrl: string) {
    this.#get = get;
    this.actorUrl = actorUrl;
  }

  /** The actor document, its id on the URL's origin. */
  async actor(): Promise<AuditedActor> {
    const doc = await getJson(this.#get, this.actorUrl, { accept: ACTIVITY_JSON, maxBytes: MAX_ACTOR_BYTES });
    const parsed = parseActorDocument(doc);
    if (!parsed.ok) throw new ContentProblem(parsed.problem);
    const origin = new URL(this.actorUrl).origin;
    if (new URL(parsed.actor.id).origin !== origin)
      throw new ContentProblem(`the actor's id ${parsed.actor.id} is not on ${origin}`);
    this.#actor = parsed.actor;
    return parsed.actor;
  }

  /** The latest checkpoint note, from the node's ledger API. */
  async checkpoint(): Promise<string> {
    const actor = await this.#known();
    const url = new URL(actor.id);
    const name = url.pathname.split('/').pop() ?? '';
    return getText(this.#get, `${url.origin}/api/actors/${encodeURIComponent(name)}/checkpoint`, {
      accept: 'text/plain',
      maxBytes: 128 * 1024,
    });
  }

  /**
   * The entries oldest first, at most `size`, page by page (each page's entries in order). Every
   * page must bring at least one entry and stay on the actor's origin, so a hostile server can
   * neither loop the walk nor send it elsewhere.
   */
  async *pages(size: number): AsyncGenerator<unknown[]> {
    if (size === 0) return;
    const actor = await this.#known();
    const outbox = actor.outbox ?? `${actor.id}/outbox`;
    const origin = new URL(actor.id).origin;
    const collection = (await getJson(this.#get, outbox, {
      accept: ACTIVITY_JSON,
      maxBytes: MAX_ACTOR_BYTES,
    })) as Record<string, unknown> | null;
    let next = typeof collection?.last === 'string' ? collection.last : undefined;
    let given = 0;
    for (let pages = 0; next !== undefined && given < size; pages++) {
      if (pages > size) throw new ContentProblem('the outbox has more pages than entries');
      const url = next;
      if (new URL(url).origin !== origin)
        throw new ContentProblem(`an outbox page is off the actor's origin: ${url}`);
      const page = (await getJson(this.#get, url, {
        accept: ACTIVITY_JSON,
        maxBytes: MAX_PAGE_BYTES,
      })) as Record<string, unknown> | null;
      const items = Array.isArray(page?.orderedItems) ? [...page.orderedItems].reverse() : [];
      if (items.length === 0) throw new ContentProblem(`an outbox page has no items: ${url}`);
      const out: unknown[] = [];
      for (const item of items) {
        if (given >= size) break;
        given += 1;
        out.push((item as { object?: unknown } | null)?.object);
      }
      yield out;
      next = typeof page?.prev === 'string' ? page.prev : undefined;
    }
  }

  async #known(): Promise<AuditedActor> {
    return this.#actor ?? (await this.actor());
  }
}
