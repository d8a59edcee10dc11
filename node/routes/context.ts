/**
 * What routes are handed: the configuration and the node's services, wired explicitly by
 * `buildApp` (no container, no globals).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthStore } from '../auth/accounts.ts';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import type { LedgerService } from '../ledger/service.ts';
import type { PrivateExpenseStore } from '../private/expenses.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route answers HTML: its errors are rendered as a page, not JSON. */
    html?: boolean;
  }
}

/** A collective or host served by this node. */
export interface ActorInfo {
  name: string;
  /** `${origin}/actors/${name}`. */
  id: string;
  type: 'Group' | 'Organization';
  currency: string;
}

/** An actor with its ledger. */
export interface ActorHandle {
  info: ActorInfo;
  ledger: LedgerService;
}

/** The actors of this node, as the routes and the setup page need them. */
export interface NodeActors {
  list(): Promise<ActorInfo[]>;
  get(name: string): Promise<ActorHandle | undefined>;
  /** Creates the actor, its keys and its genesis entry. */
  create(input: { name: string; host: boolean; currency: string }): Promise<ActorHandle>;
}

export interface RouteContext {
  config: Config;
  auth: AuthStore;
  actors: NodeActors;
  privateExpenses: PrivateExpenseStore;
}

/** The actor named in the route, or `ACTOR_NOT_FOUND`. */
export async function actorOf(context: RouteContext, request: FastifyRequest): Promise<ActorHandle> {
  const name = (request.params as { actor: string }).actor;
  const handle = await context.actors.get(name);
  if (!handle) throw new AppError('ACTOR_NOT_FOUND', undefined, { actor: name });
  return handle;
}

/** Reply helper for routes that answer HTML. */
export function sendHtml(reply: FastifyReply, page: string, status = 200): FastifyReply {
  return reply.status(status).type('text/html; charset=utf-8').send(page);
}

/** Shared JSON schema fragments. */
export const ACTOR_NAME = { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' } as const;
export const HASH = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;
export const SEQ = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;
