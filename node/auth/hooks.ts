/**
 * Request authentication: a `Bearer` API token (the CLI and scripts) or a session cookie (the
 * browser). A session rides on ambient credentials, so every write it makes must also carry a
 * CSRF token; a bearer token cannot be sent by another site, so it needs none.
 */
import type {} from '@fastify/cookie';
import type {} from '@fastify/csrf-protection';
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import { AppError } from '../errors.ts';
import type { AuthStore, Principal } from './accounts.ts';

export const SESSION_COOKIE = 'cagnotte_session';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `authenticate` when the request carries valid credentials. */
    principal: Principal | undefined;
  }
}

/** Cookie attributes of the session: HttpOnly, SameSite=Lax (so links into the node keep it), Secure on https. */
export function sessionCookieOptions(secure: boolean, maxAgeSeconds?: number) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'lax' as const,
    secure,
    ...(maxAgeSeconds !== undefined ? { maxAge: maxAgeSeconds } : {}),
  };
}

/** Resolves the request's credentials (if any) into `request.principal`; a bad bearer token is an error. */
export async function resolvePrincipal(
  auth: AuthStore,
  request: FastifyRequest,
): Promise<Principal | undefined> {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer ([A-Za-z0-9_-]{1,100})$/.exec(header);
    const principal = match ? await auth.resolveToken(match[1] as string) : undefined;
    if (!principal) throw new AppError('UNAUTHENTICATED', 'The API token is not valid.');
    return principal;
  }
  const cookie = request.cookies[SESSION_COOKIE];
  return cookie ? auth.resolveSession(cookie) : undefined;
}

/** Decorates the app with `request.principal`, filled on every request. */
export function installAuthentication(app: FastifyInstance, auth: AuthStore): void {
  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request) => {
    request.principal = await resolvePrincipal(auth, request);
  });
}

/**
 * preHandlers for a write by an admin of the actor named in `params.actor`: authenticated, CSRF
 * checked when the credentials are a session, and admin of that very actor.
 */
export function requireAdmin(app: FastifyInstance): preHandlerHookHandler[] {
  const authenticated: preHandlerHookHandler = (request, _reply, done) => {
    if (!request.principal) return done(new AppError('UNAUTHENTICATED'));
    done();
  };
  const csrfForSessions: preHandlerHookHandler = function (this: FastifyInstance, request, reply, done) {
    if (request.principal?.via !== 'session') return done();
    app.csrfProtection.call(this, request, reply, done);
  };
  const adminOfActor: preHandlerHookHandler = (request: FastifyRequest, _reply: FastifyReply, done) => {
    const actor = (request.params as { actor?: string } | undefined)?.actor;
    if (actor !== undefined && request.principal?.actor !== actor) {
      return done(new AppError('FORBIDDEN', 'This account is not an admin of this actor.'));
    }
    done();
  };
  return [authenticated, csrfForSessions, adminOfActor];
}
