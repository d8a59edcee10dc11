/**
 * Inbox handlers: Follow (→ Accept, or a pending request when the actor approves by hand) and
 * Undo{Follow}. Fedify has already checked the HTTP signature, that the signing key belongs to
 * the activity's `actor`, and that this activity id was not processed before; these handlers add
 * the checks Fedify leaves to applications (activity id on the actor's host, the inbox a public
 * address) before anything is stored or sent.
 */

import type { Context, InboxContext } from '@fedify/fedify';
import { Accept, type Actor, Follow, isActor, type Undo } from '@fedify/vocab';
import { checkUrl } from '../net/guard.ts';
import type { Follower, FollowerStore } from './followers.ts';
import type { FederationDeps } from './types.ts';

/** Where the handlers record what they refused (tests read it; the node logs it). */
export type InboxRefusal =
  | { type: 'hostMismatch'; activity: string; actor: string }
  | { type: 'notOurActor'; object: string | undefined }
  | { type: 'actorUnavailable'; actor: string }
  | { type: 'inboxRefused'; inbox: string; reason: unknown }
  | { type: 'undoOfOthers'; activity: string };

export interface InboxDeps {
  deps: FederationDeps;
  followers: FollowerStore;
  onRefused: (refusal: InboxRefusal) => void;
}

/** The activity id and the actor id must be on the same host (Misskey's InboxProcessorService). */
export function sameOrigin(a: URL | null | undefined, b: URL | null | undefined): boolean {
  return a != null && b != null && a.origin === b.origin;
}

async function followerOf(
  ctx: Context<unknown>,
  inbox: InboxDeps,
  follow: Follow,
): Promise<{ follower: Follower; actor: Actor } | undefined> {
  const actor = await follow.getActor(ctx);
  if (!isActor(actor) || actor.id == null || actor.inboxId == null) {
    inbox.onRefused({ type: 'actorUnavailable', actor: String(follow.actorId) });
    return undefined;
  }
  // Fedify's delivery does not check inbox addresses: an actor document could point them inside
  // our network, so they pass the outbound guard before we ever POST to them.
  for (const url of [actor.inboxId, actor.endpoints?.sharedInbox].filter((u): u is URL => u != null)) {
    const checked = await checkUrl(url, { allowPrivateAddress: inbox.deps.allowPrivateAddress });
    if (!checked.ok) {
      inbox.onRefused({ type: 'inboxRefused', inbox: url.href, reason: checked.reason });
      return undefined;
    }
  }
  const follower: Follower = {
    id: actor.id.href,
    inbox: actor.inboxId.href,
    follow: (follow.id as URL).href,
    since: new Date().toISOString(),
  };
  const shared = actor.endpoints?.sharedInbox;
  if (shared != null) follower.sharedInbox = shared.href;
  return { follower, actor };
}

/** Handles a Follow of one of our actors. */
export async function onFollow(ctx: InboxContext<unknown>, follow: Follow, inbox: InboxDeps): Promise<void> {
  if (follow.id == null || !sameOrigin(follow.id, follow.actorId)) {
    inbox.onRefused({ type: 'hostMismatch', activity: String(follow.id), actor: String(follow.actorId) });
    return;
  }
  const target = follow.objectId == null ? null : ctx.parseUri(follow.objectId);
  const name = target?.type === 'actor' ? target.identifier : undefined;
  if (name === undefined || (await inbox.deps.actors.get(name)) === undefined) {
    inbox.onRefused({ type: 'notOurActor', object: follow.objectId?.href });
    return;
  }
  const found = await followerOf(ctx, inbox, follow);
  if (found === undefined) return;
  if (await inbox.deps.manuallyApprovesFollowers?.(name)) {
    await inbox.followers.request(name, found.follower);
    return;
  }
  await inbox.followers.add(name, found.follower);
  await sendAccept(ctx, name, follow, found.actor);
}

/** Sends the Accept of `follow` (object = the Follow itself, as Mastodon requires), signed by `name`. */
export async function sendAccept(
  ctx: Context<unknown>,
  name: string,
  follow: Follow,
  follower: Actor,
): Promise<void> {
  const actorUri = ctx.getActorUri(name);
  await ctx.sendActivity(
    { identifier: name },
    follower,
    new Accept({
      id: new URL(`${actorUri.href}#accepts/${crypto.randomUUID()}`),
      actor: actorUri,
      // The Follow as its sender wrote it (ids only), not with the actor document we fetched.
      object: new Follow({ id: follow.id, actor: follow.actorId, object: follow.objectId }),
    }),
  );
}

/** Handles Undo{Follow}: the follower (or pending request) is removed. */
export async function onUndo(ctx: InboxContext<unknown>, undo: Undo, inbox: InboxDeps): Promise<void> {
  if (undo.id == null || !sameOrigin(undo.id, undo.actorId)) {
    inbox.onRefused({ type: 'hostMismatch', activity: String(undo.id), actor: String(undo.actorId) });
    return;
  }
  const object = await undo.getObject(ctx);
  if (!(object instanceof Follow)) return;
  // Only the follower may undo its Follow: the embedded Follow's actor is the Undo's signer.
  if (object.actorId?.href !== undo.actorId?.href) {
    inbox.onRefused({ type: 'undoOfOthers', activity: undo.id.href });
    return;
  }
  const target = object.objectId == null ? null : ctx.parseUri(object.objectId);
  if (target?.type !== 'actor' || undo.actorId == null) return;
  await inbox.followers.remove(target.identifier, undo.actorId.href);
}
