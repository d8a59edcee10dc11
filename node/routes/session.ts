/**
 * Signing in and out from the browser. The login form is CSRF-protected (against login CSRF)
 * and rate-limited per client address; the session is a random token in an HttpOnly,
 * SameSite=Lax cookie (Secure on https) whose hash is stored server-side with an expiry.
 */
import type { FastifyInstance } from 'fastify';
import { renderLoginPage } from '../../ui/pages/login.ts';
import { SESSION_COOKIE, sessionCookieOptions } from '../auth/hooks.ts';
import { AppError } from '../errors.ts';
import { ACTOR_NAME, type RouteContext, sendHtml } from './context.ts';
import { errorSchema } from './errors.ts';

const htmlResponse = { 200: { content: { 'text/html': { schema: { type: 'string' } } } } } as const;
const redirect = { 303: { type: 'null', description: 'Redirect' } } as const;

export function sessionRoutes(app: FastifyInstance, context: RouteContext): void {
  const secure = context.config.origin.startsWith('https:');
  const limit = context.config.rateLimits.login;

  app.get(
    '/login',
    {
      config: { html: true },
      schema: {
        tags: ['pages'],
        summary: 'The sign-in form',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { actor: { type: 'string', maxLength: 63 } },
        },
        response: { ...htmlResponse, '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      const { actor } = request.query as { actor?: string };
      return sendHtml(reply, renderLoginPage({ csrf: reply.generateCsrf(), actor: actor ?? '' }));
    },
  );

  app.post(
    '/login',
    {
      config: { html: true, rateLimit: { max: limit.max, timeWindow: limit.windowMs } },
      preHandler: app.csrfProtection,
      schema: {
        tags: ['pages'],
        summary: 'Sign in as an admin of an actor (form post, CSRF-protected, rate-limited)',
        body: {
          type: 'object',
          required: ['actor', 'username', 'password'],
          additionalProperties: false,
          properties: {
            _csrf: { type: 'string' },
            actor: ACTOR_NAME,
            username: { type: 'string', minLength: 1, maxLength: 64 },
            password: { type: 'string', minLength: 1, maxLength: 1024 },
          },
        },
        response: { ...redirect, ...htmlResponse, '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      const { actor, username, password } = request.body as {
        actor: string;
        username: string;
        password: string;
      };
      const account = await context.auth.checkPassword(actor, username, password);
      if (!account) {
        const page = renderLoginPage({
          csrf: reply.generateCsrf(),
          actor,
          error: new AppError('INVALID_CREDENTIALS').message,
        });
        return sendHtml(reply, page, 401);
      }
      const session = await context.auth.createSession(account, context.config.sessionTtlSeconds);
      reply.setCookie(
        SESSION_COOKIE,
        session.token,
        sessionCookieOptions(secure, context.config.sessionTtlSeconds),
      );
      return reply.redirect(`/actors/${encodeURIComponent(actor)}`, 303);
    },
  );

  app.post(
    '/logout',
    {
      config: { html: true },
      preHandler: app.csrfProtection,
      schema: {
        tags: ['pages'],
        summary: 'Sign out (form post, CSRF-protected)',
        body: { type: 'object', additionalProperties: false, properties: { _csrf: { type: 'string' } } },
        response: { ...redirect, '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      const token = request.cookies[SESSION_COOKIE];
      if (token) await context.auth.deleteSession(token);
      reply.clearCookie(SESSION_COOKIE, sessionCookieOptions(secure));
      return reply.redirect('/', 303);
    },
  );

  app.get(
    '/api/session',
    {
      schema: {
        tags: ['auth'],
        summary: 'Who the session or token is, and a CSRF token for session-authenticated writes',
        response: {
          200: {
            type: 'object',
            required: ['csrfToken'],
            properties: {
              principal: {
                type: 'object',
                properties: {
                  accountId: { type: 'string' },
                  actor: { type: 'string' },
                  username: { type: 'string' },
                  via: { type: 'string' },
                },
              },
              csrfToken: { type: 'string' },
            },
          },
          '4xx': errorSchema,
        },
      },
    },
    async (request, reply) => ({
      ...(request.principal ? { principal: request.principal } : {}),
      csrfToken: reply.generateCsrf(),
    }),
  );
}
