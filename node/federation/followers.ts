/**
 * Followers of each actor, and Follow requests waiting for a hand approval, in the node's store.
 * Keyed by the follower's actor id, so a repeated Follow replaces rather than duplicates.
 */
import { jsonValue, parseJsonValue } from '../storage/codec.ts';
import type { Store, Sublevel } from '../storage/types.ts';

/** A remote actor following one of ours. */
export interface Follower {
  /** The follower's actor id. */
  id: string;
  inbox: string;
  sharedInbox?: string;
  /** The id of the Follow activity (an Undo names it). */
  follow: string;
  /** ISO time it was accepted or requested. */
  since: string;
}

/** Followers and pending requests of the node's actors. */
export class FollowerStore {
  readonly #store: Store;
  readonly #subs = new Map<string, Sublevel>();

  constructor(store: Store) {
    this.#store = store;
  }

  #sub(kind: 'followers' | 'requests', actor: string): Sublevel {
    const id = `${kind}/${actor}`;
    let sub = this.#subs.get(id);
    if (sub === undefined) {
      sub = this.#store.sublevel('federation', kind, actor);
      this.#subs.set(id, sub);
    }
    return sub;
  }

  async add(actor: string, follower: Follower): Promise<void> {
    await this.#store.batch(
      [
        {
          type: 'put',
          sublevel: this.#sub('followers', actor),
          key: follower.id,
          value: jsonValue(follower),
        },
        { type: 'del', sublevel: this.#sub('requests', actor), key: follower.id },
      ],
      { sync: true },
    );
  }

  async request(actor: string, follower: Follower): Promise<void> {
    await this.#sub('requests', actor).put(follower.id, jsonValue(follower), { sync: true });
  }

  async get(actor: string, id: string): Promise<Follower | undefined> {
    const bytes = await this.#sub('followers', actor).get(id);
    return bytes === undefined ? undefined : parseJsonValue<Follower>(bytes);
  }

  async pending(actor: string, id: string): Promise<Follower | undefined> {
    const bytes = await this.#sub('requests', actor).get(id);
    return bytes === undefined ? undefined : parseJsonValue<Follower>(bytes);
  }

  /** Removes a follower or a pending request; true if there was one. */
  async remove(actor: string, id: string): Promise<boolean> {
    const had = (await this.get(actor, id)) !== undefined || (await this.pending(actor, id)) !== undefined;
    await this.#store.batch([
      { type: 'del', sublevel: this.#sub('followers', actor), key: id },
      { type: 'del', sublevel: this.#sub('requests', actor), key: id },
    ]);
    return had;
  }

  /** A page of followers in id order, after `cursor` (a follower id). */
  async page(
    actor: string,
    cursor: string | undefined,
    limit: number,
  ): Promise<{ items: Follower[]; next?: string }> {
    const items: Follower[] = [];
    const range = cursor === undefined ? { limit: limit + 1 } : { gt: cursor, limit: limit + 1 };
    for await (const [, bytes] of this.#sub('followers', actor).entries(range))
      items.push(parseJsonValue<Follower>(bytes));
    if (items.length <= limit) return { items };
    items.pop();
    return { items, next: (items.at(-1) as Follower).id };
  }

  async count(actor: string): Promise<number> {
    let n = 0;
    for await (const _ of this.#sub('followers', actor).keys()) n++;
    return n;
  }

  /** Every follower (for fan-out). */
  async *all(actor: string): AsyncIterable<Follower> {
    for await (const [, bytes] of this.#sub('followers', actor).entries())
      yield parseJsonValue<Follower>(bytes);
  }
}
