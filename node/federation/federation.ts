/**
 * The node's ActivityPub side, built on Fedify: actors (a collective is a `Group`, a host an
 * `Organization`) at `${origin}/actors/${name}`, WebFinger, NodeInfo 2.1, the followers
 * collection and the inboxes. The outbox and the entries are served raw by `plugin.ts` (see
 * outbox.ts for why). Fedify's cache and queue live in the node's LevelDB (kv.ts, queue.ts).
 */
import {
  type CircuitBreakerOptions,
  createFederation,
  type Federation,
  type InboxListenerSetters,
  type RetryPolicy,
} from '@fedify/fedify';
import { type Activity, Endpoints, Follow, Group, Multikey, Organization, Undo } from '@fedify/vocab';
import { preloadedContexts } from '@fedify/vocab-runtime';
import { CAGNOTTE_CONTEXT, CAGNOTTE_CONTEXT_DOCUMENT } from '../../protocol/context.ts';
import { FollowerStore } from './followers.ts';
import { type InboxRefusal, onFollow, onUndo } from './inbox.ts';
import { INSTANCE_ACTOR, InstanceKey, instanceActor } from './instance.ts';
import { Keyring } from './keys.ts';
import { LevelKvStore } from './kv.ts';
import { outboxUrl } from './outbox.ts';
import { Publisher } from './publish.ts';
import { LevelMessageQueue, type LevelMessageQueueOptions } from './queue.ts';
import type { FederationDeps } from './types.ts';

// Fedify expands every activity it parses, our own Create{Note} included when a delivery fails
// (to report it); an entry's context must come from this copy, never the network: unreachable, it
// made Fedify drop the failed delivery instead of retrying it. Every loader Fedify builds reads
// this table first.
preloadedContexts[CAGNOTTE_CONTEXT] = CAGNOTTE_CONTEXT_DOCUMENT;

/** Path templates (Fedify's router and the raw routes share them). */
export const PATHS = {
  actor: '/actors/{identifier}',
  inbox: '/actors/{identifier}/inbox',
  sharedInbox: '/inbox',
  followers: '/actors/{identifier}/followers',
  nodeInfo: '/nodeinfo/2.1',
} as const;

/** Followers per page of the followers collection. */
const FOLLOWERS_PAGE = 100;

/** What {@link buildFederation} returns: Fedify's object and the node-side pieces around it. */
export interface NodeFederation {
  federation: Federation<void>;
  kv: LevelKvStore;
  queue: LevelMessageQueue;
  followers: FollowerStore;
  keys: Keyring;
  deps: FederationDeps;
  /** Sends new ledger entries to followers; call `sync(name)` after appends and at start. */
  publisher: Publisher;
  /** Refusals of inbox handlers, most recent last (bounded). */
  refusals: InboxRefusal[];
  /** Where other parts of the node add their inbox listeners (the host flows: node/host/transport.ts). */
  inboxListeners: InboxListenerSetters<void>;
}

/** Options beyond the deps (tests tune the queue). */
export interface BuildFederationOptions {
  queue?: LevelMessageQueueOptions;
  /**
   * Called for every failed delivery attempt (the queue retries it with backoff unless the inbox
   * answered 404 or 410); the node logs it.
   */
  onOutboxError?: (error: Error, activity: Activity | null) => void | Promise<void>;
  /** How failed deliveries are retried (default: Fedify's exponential backoff from one second). */
  outboxRetryPolicy?: RetryPolicy;
  /**
   * When deliveries to a failing host are held instead of retried (default: Fedify's, below);
   * tests that retry every fraction of a second reach its 5 failures before a restart is done.
   */
  circuitBreaker?: CircuitBreakerOptions | false;
}

/** The ledger key as an FEP-521a Multikey, with the id entries' proofs name. */
async function ledgerMultikey(actorId: URL, publicKey: Uint8Array): Promise<Multikey> {
  const key = await crypto.subtle.importKey('raw', new Uint8Array(publicKey), { name: 'Ed25519' }, true, [
    'verify',
  ]);
  return new Multikey({ id: new URL(`${actorId.href}#ledger-key-0`), controller: actorId, publicKey: key });
}

/** Builds the federation for a node. Call `federation.startQueue()` once the app is listening. */
export function buildFederation(deps: FederationDeps, options: BuildFederationOptions = {}): NodeFederation {
  const kv = new LevelKvStore(deps.store);
  const queue = new LevelMessageQueue(deps.store, options.queue);
  const followers = new FollowerStore(deps.store);
  const keys = new Keyring(deps.dataDir, deps.backend);
  const refusals: InboxRefusal[] = [];
  const instanceKey = new InstanceKey(deps.dataDir);
  const federation = createFederation<void>({
    kv,
    queue,
    origin: deps.origin,
    // Deliveries resume on start, not on the first new enqueue after a restart.
    manuallyStartQueue: true,
    firstKnock: 'draft-cavage-http-signatures-12',
    allowPrivateAddress: deps.allowPrivateAddress,
    userAgent: { software: `cagnotte/${deps.version ?? '0.1.0'}` },
    ...(options.onOutboxError === undefined ? {} : { onOutboxError: options.onOutboxError }),
    ...(options.outboxRetryPolicy === undefined ? {} : { outboxRetryPolicy: options.outboxRetryPolicy }),
    ...(options.circuitBreaker === undefined ? {} : { circuitBreaker: options.circuitBreaker }),
    // Fedify's circuit breaker, unless the options say otherwise: after 5 failed deliveries to a
    // host within 10 minutes, that host's deliveries are held (not retried, not logged as
    // failures) for 30 minutes, then probed; held ones are kept up to 7 days. Its state is in
    // `kv`, so a restart does not reset it: a test that fails deliveries on purpose must stay
    // under 5 per host.
  });

  federation
    .setActorDispatcher(PATHS.actor, async (ctx, identifier) => {
      if (identifier === INSTANCE_ACTOR) return instanceActor(ctx);
      const actor = await deps.actors.get(identifier);
      if (actor === undefined) return null;
      const actorKeys = await keys.get(identifier);
      if (actorKeys === undefined) return null;
      const id = ctx.getActorUri(identifier);
      const pairs = await ctx.getActorKeyPairs(identifier);
      const genesis = await actor.ledger.get(0);
      const displayName = (genesis?.entry as { name?: string } | undefined)?.name ?? identifier;
      const values = {
        id,
        preferredUsername: identifier,
        name: displayName,
        summary:
          actor.type === 'Group'
            ? `${displayName}: a collective's open ledger`
            : `${displayName}: a fiscal host's open ledger`,
        url: id,
        inbox: ctx.getInboxUri(identifier),
        outbox: new URL(outboxUrl({ id: id.href })),
        followers: ctx.getFollowersUri(identifier),
        endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
        publicKey: pairs[0]?.cryptographicKey ?? null,
        assertionMethods: [await ledgerMultikey(id, actorKeys.ledgerPublicKey)],
        manuallyApprovesFollowers: (await deps.manuallyApprovesFollowers?.(identifier)) ?? false,
      };
      return actor.type === 'Group' ? new Group(values) : new Organization(values);
    })
    .setKeyPairsDispatcher(async (_ctx, identifier) => {
      if (identifier === INSTANCE_ACTOR) return [await instanceKey.get()];
      const actorKeys = await keys.get(identifier);
      // Only the RSA key: the ledger key signs entries and nothing else (no activity proofs).
      return actorKeys === undefined ? [] : [actorKeys.http];
    });

  federation
    .setFollowersDispatcher(PATHS.followers, async (_ctx, identifier, cursor) => {
      if ((await deps.actors.get(identifier)) === undefined) return null;
      const page = await followers.page(
        identifier,
        cursor === '' || cursor === null ? undefined : cursor,
        FOLLOWERS_PAGE,
      );
      const items = page.items.map((f) => ({
        id: new URL(f.id),
        inboxId: new URL(f.inbox),
        endpoints: f.sharedInbox === undefined ? null : { sharedInbox: new URL(f.sharedInbox) },
      }));
      return { items, nextCursor: page.next ?? null };
    })
    .setCounter((_ctx, identifier) => followers.count(identifier))
    .setFirstCursor(() => '');

  federation.setNodeInfoDispatcher(PATHS.nodeInfo, async () => ({
    software: { name: 'cagnotte', version: deps.version ?? '0.1.0' },
    protocols: ['activitypub'],
    services: { inbound: [], outbound: [] },
    openRegistrations: false,
    usage: { users: { total: (await deps.actors.list()).length }, localPosts: 0, localComments: 0 },
    metadata: { nodeName: new URL(deps.origin).host },
  }));

  const inboxDeps = {
    deps,
    followers,
    onRefused: (refusal: InboxRefusal) => {
      refusals.push(refusal);
      if (refusals.length > 100) refusals.shift();
    },
  };
  const inboxListeners = federation
    .setInboxListeners(PATHS.inbox, PATHS.sharedInbox)
    // One activity id is processed once, whichever of our inboxes it reaches.
    .withIdempotency('global')
    // Fetches made while checking a shared-inbox POST are signed by the instance actor (servers
    // with authorized fetch refuse unsigned GETs); a personal inbox's are signed by its actor.
    .setSharedKeyDispatcher(() => ({ identifier: INSTANCE_ACTOR }))
    .on(Follow, (ctx, follow) => onFollow(ctx, follow, inboxDeps))
    .on(Undo, (ctx, undo) => onUndo(ctx, undo, inboxDeps));

  const fed = { federation, kv, queue, followers, keys, deps, refusals, inboxListeners } as NodeFederation;
  fed.publisher = new Publisher(fed);
  return fed;
}
