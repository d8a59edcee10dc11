/**
 * Publishing the ledger: every new entry goes to the actor's followers as `Create{Note}`, the
 * Note being the entry exactly as signed. Fedify's `sendActivity` would re-serialise the activity
 * through its vocabulary (dropping the ledger fields) and add a Linked Data signature, so the
 * deliveries are handed to Fedify's queue as ready outbox messages (its public `Message` shape):
 * Fedify's worker signs each POST (draft-cavage first), retries with backoff and gives up on
 * 404/410, and all of that survives restarts because the queue is in LevelDB.
 *
 * What has been published is a cursor per actor, advanced after the deliveries are queued: a
 * crash in between re-queues the same activities (same ids), which receivers deduplicate, and an
 * entry is never skipped.
 */
import type { Message } from '@fedify/fedify';
import { checkUrl } from '../net/guard.ts';
import { createEventActivity } from './event.ts';
import type { NodeFederation } from './federation.ts';
import { createActivity } from './outbox.ts';
import type { FederatedActor } from './types.ts';

const CREATE = 'https://www.w3.org/ns/activitystreams#Create';

/** Entries read per pass of {@link Publisher.sync}. */
const BATCH = 100;

/** Publishes ledger entries to followers. */
export class Publisher {
  readonly #fed: NodeFederation;
  readonly #running = new Map<string, Promise<number>>();

  constructor(fed: NodeFederation) {
    this.#fed = fed;
  }

  /** The number of entries of `name` already handed to the queue. */
  async published(name: string): Promise<number> {
    return (await this.#fed.kv.get<number>(['cagnotte', 'published', name])) ?? 0;
  }

  /**
   * Queues deliveries for every entry of `name` not yet published; resolves to how many were.
   * Calls for one actor run one after another. The first sync of an actor starts at its current
   * head: entries from before federation was turned on are in the outbox, not re-sent.
   */
  sync(name: string): Promise<number> {
    const previous = this.#running.get(name) ?? Promise.resolve(0);
    const next = previous.catch(() => 0).then(() => this.#sync(name));
    this.#running.set(name, next);
    return next;
  }

  async #sync(name: string): Promise<number> {
    const actor = await this.#fed.deps.actors.get(name);
    if (actor === undefined) return 0;
    const key = ['cagnotte', 'published', name] as const;
    const stored = await this.#fed.kv.get<number>(key);
    const head = actor.ledger.head().size;
    if (stored === undefined) {
      await this.#fed.kv.set(key, head);
      return 0;
    }
    let from = stored;
    let count = 0;
    while (from < head) {
      const inboxes = await this.#inboxes(name);
      if (inboxes.size === 0) {
        // Nobody to deliver to: skip reading the entries (a follower who comes later reads the
        // outbox). This keeps publishing off the cost of appends on a node without followers.
        count += head - from;
        from = head;
        await this.#fed.kv.set(key, from);
        break;
      }
      const page = await actor.ledger.page({ order: 'oldest', cursor: String(from), limit: BATCH });
      if (page.items.length === 0) break;
      const messages: Message[] = [];
      for (const record of page.items) {
        messages.push(...(await this.#messages(actor, createActivity(actor, record), inboxes)));
        // An Event entry also goes out as an AS Event, for servers that show events (event.ts).
        const event = createEventActivity(actor, record);
        if (event !== undefined) messages.push(...(await this.#messages(actor, event, inboxes)));
      }
      if (messages.length > 0) await this.#fed.queue.enqueueMany(messages);
      from = (page.items.at(-1)?.seq ?? from) + 1;
      count += page.items.length;
      await this.#fed.kv.set(key, from);
    }
    return count;
  }

  /** Follower inboxes, one per shared inbox (Mastodon's preferred_inbox_url), each checked by the guard. */
  async #inboxes(name: string): Promise<Map<string, { shared: boolean; actorIds: string[] }>> {
    const inboxes = new Map<string, { shared: boolean; actorIds: string[] }>();
    for await (const follower of this.#fed.followers.all(name)) {
      const inbox = follower.sharedInbox ?? follower.inbox;
      const entry = inboxes.get(inbox) ?? { shared: follower.sharedInbox !== undefined, actorIds: [] };
      entry.actorIds.push(follower.id);
      inboxes.set(inbox, entry);
    }
    const options = { allowPrivateAddress: this.#fed.deps.allowPrivateAddress };
    for (const inbox of [...inboxes.keys()]) {
      if (!(await checkUrl(inbox, options)).ok) inboxes.delete(inbox);
    }
    return inboxes;
  }

  async #messages(
    actor: FederatedActor,
    activity: Record<string, unknown>,
    inboxes: Map<string, { shared: boolean; actorIds: string[] }>,
  ): Promise<Message[]> {
    const keys = await this.#fed.keys.get(actor.name);
    if (keys === undefined || inboxes.size === 0) return [];
    const privateKey = await crypto.subtle.exportKey('jwk', keys.http.privateKey);
    const started = new Date().toISOString();
    return [...inboxes].map(([inbox, { shared, actorIds }]) => ({
      type: 'outbox',
      id: crypto.randomUUID(),
      baseUrl: this.#fed.deps.origin,
      keys: [{ keyId: `${actor.id}#main-key`, privateKey }],
      activity,
      activityId: activity.id as string,
      activityType: CREATE,
      inbox,
      sharedInbox: shared,
      actorIds,
      started,
      attempt: 0,
      headers: {},
      traceContext: {},
    }));
  }
}
