/**
 * The server-rendered pages: the setup page of a fresh node, the list of actors, a plain ledger
 * page per actor, the public expense form and the private follow page. Every form posts without
 * JavaScript and carries a CSRF token.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { isCurrency } from '../../protocol/money.ts';
import { STYLESHEET } from '../../ui/layout.ts';
import { renderExpenseForm, renderFollowPage } from '../../ui/pages/expense.ts';
import { renderHomePage } from '../../ui/pages/home.ts';
import { renderLedgerPage } from '../../ui/pages/ledger.ts';
import { renderSetupPage, type SetupValues } from '../../ui/pages/setup.ts';
import { AccountError, AuthStore } from '../auth/accounts.ts';
import { SESSION_COOKIE, sessionCookieOptions } from '../auth/hooks.ts';
import { AppError } from '../errors.ts';
import { ACTOR_NAME, actorOf, type RouteContext, sendHtml } from './context.ts';
import { errorSchema } from './errors.ts';
import { expenseFormRoute } from './expense-form.ts';
import { followExpense } from './expenses.ts';
import { readBalance } from './reads.ts';

const htmlResponse = { 200: { content: { 'text/html': { schema: { type: 'string' } } } } } as const;
const pageErrors = { '4xx': errorSchema, '5xx': errorSchema } as const;
const actorParams = {
  type: 'object',
  required: ['actor'],
  additionalProperties: false,
  properties: { actor: ACTOR_NAME },
} as const;
const NAME_RE = new RegExp(ACTOR_NAME.pattern);

export function pageRoutes(app: FastifyInstance, context: RouteContext): void {
  const secure = context.config.origin.startsWith('https:');
  // Setup is a one-time race: two first visitors must not both create an actor.
  let setupLock: Promise<unknown> = Promise.resolve();

  app.get(
    '/assets/style.css',
    {
      schema: { hide: true, response: { 200: { content: { 'text/css': { schema: { type: 'string' } } } } } },
    },
    async (_request, reply) =>
      reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(STYLESHEET),
  );

  app.get(
    '/',
    {
      config: { html: true },
      schema: {
        tags: ['pages'],
        summary: 'Setup page on a fresh node, else the actors',
        response: { ...htmlResponse, ...pageErrors },
      },
    },
    async (_request, reply) => {
      const actors = await context.actors.list();
      if (actors.length === 0) {
        return sendHtml(
          reply,
          renderSetupPage({ csrf: reply.generateCsrf(), origin: context.config.origin }),
        );
      }
      return sendHtml(reply, renderHomePage(actors));
    },
  );

  app.post(
    '/setup',
    {
      config: {
        html: true,
        rateLimit: {
          max: context.config.rateLimits.login.max,
          timeWindow: context.config.rateLimits.login.windowMs,
        },
      },
      preHandler: app.csrfProtection,
      schema: {
        tags: ['pages'],
        summary: 'Create the first actor and its admin (only on a node without actors)',
        body: {
          type: 'object',
          required: ['name', 'currency', 'username', 'password'],
          additionalProperties: false,
          properties: {
            _csrf: { type: 'string' },
            name: { type: 'string', maxLength: 63 },
            currency: { type: 'string', maxLength: 3 },
            host: { type: 'string', enum: ['1', 'on'] },
            username: { type: 'string', maxLength: 64 },
            email: { type: 'string', maxLength: 254 },
            password: { type: 'string', maxLength: 1024 },
          },
        },
        response: { 303: { type: 'null' }, ...htmlResponse, ...pageErrors },
      },
    },
    async (request, reply) => {
      const input = request.body as {
        name: string;
        currency: string;
        host?: string;
        username: string;
        email?: string;
        password: string;
      };
      const values: SetupValues = {
        name: input.name.trim(),
        currency: input.currency.trim().toUpperCase(),
        host: input.host !== undefined,
        username: input.username.trim(),
        ...(input.email ? { email: input.email.trim() } : {}),
      };
      const again = (error: string, status: number) =>
        sendHtml(
          reply,
          renderSetupPage({ csrf: reply.generateCsrf(), origin: context.config.origin, values, error }),
          status,
        );
      if (!NAME_RE.test(values.name as string)) {
        return again(
          'The name is 1 to 63 lowercase letters, digits or dashes, starting with a letter or digit.',
          400,
        );
      }
      if (!isCurrency(values.currency as string))
        return again('The currency is not an ISO 4217 code (like EUR).', 400);
      try {
        AuthStore.checkNewAccount(values.username as string, input.password);
      } catch (error) {
        if (error instanceof AccountError) return again(error.message, 400);
        throw error;
      }
      const run = setupLock.then(async () => {
        if ((await context.actors.list()).length > 0) throw new AppError('ALREADY_SET_UP');
        const handle = await context.actors.create({
          name: values.name as string,
          host: values.host === true,
          currency: values.currency as string,
        });
        const account = await context.auth.createAccount({
          actor: handle.info.name,
          actorId: handle.info.id,
          username: values.username as string,
          password: input.password,
          ...(values.email ? { email: values.email } : {}),
        });
        return { handle, account };
      });
      setupLock = run.catch(() => undefined);
      const { handle, account } = await run;
      const session = await context.auth.createSession(account, context.config.sessionTtlSeconds);
      reply.setCookie(
        SESSION_COOKIE,
        session.token,
        sessionCookieOptions(secure, context.config.sessionTtlSeconds),
      );
      return reply.redirect(`/actors/${encodeURIComponent(handle.info.name)}`, 303);
    },
  );

  app.get(
    '/actors/:actor',
    {
      config: { html: true },
      schema: {
        tags: ['pages'],
        summary: "An actor's ledger as a plain HTML page",
        params: actorParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { cursor: { type: 'string', pattern: '^(0|[1-9][0-9]{0,15})$' } },
        },
        response: { ...htmlResponse, ...pageErrors },
      },
    },
    async (request, reply) => {
      const handle = await actorOf(context, request);
      const { cursor } = request.query as { cursor?: string };
      const page = await handle.ledger.page({ limit: 50, ...(cursor !== undefined ? { cursor } : {}) });
      const balance = readBalance(handle).balance;
      const principal = request.principal?.actor === handle.info.name ? request.principal : undefined;
      return sendHtml(
        reply,
        renderLedgerPage({
          actor: handle.info,
          size: handle.ledger.head().size,
          balance,
          entries: page.items.map((r) => ({
            seq: r.seq,
            leafHash: r.leafHash,
            entry: r.entry as unknown as Record<string, unknown>,
          })),
          ...(page.next !== undefined ? { next: page.next } : {}),
          ...(principal ? { admin: { username: principal.username, csrf: reply.generateCsrf() } } : {}),
        }),
      );
    },
  );

  app.get(
    '/actors/:actor/expenses/new',
    {
      config: { html: true },
      schema: {
        tags: ['pages'],
        summary: 'The public expense form',
        params: actorParams,
        response: { ...htmlResponse, ...pageErrors },
      },
    },
    async (request, reply) => {
      const handle = await actorOf(context, request);
      return sendHtml(
        reply,
        renderExpenseForm({
          actor: handle.info.name,
          currency: handle.info.currency,
          csrf: reply.generateCsrf(),
        }),
      );
    },
  );

  expenseFormRoute(app, context);

  app.get(
    '/follow/:token',
    {
      config: { html: true },
      schema: {
        tags: ['pages'],
        summary: 'The private follow page of a filed expense',
        params: {
          type: 'object',
          required: ['token'],
          additionalProperties: false,
          properties: { token: { type: 'string', pattern: '^[A-Za-z0-9_-]{32}$' } },
        },
        response: { ...htmlResponse, ...pageErrors },
      },
    },
    async (request, reply: FastifyReply) => {
      const { token } = request.params as { token: string };
      const followed = await followExpense(context, token);
      reply.header('referrer-policy', 'no-referrer').header('cache-control', 'no-store');
      return sendHtml(
        reply,
        renderFollowPage({
          actor: followed.actor,
          token,
          ...(followed.state ? { state: followed.state } : {}),
          expense: {
            ...followed.expense,
            entry: followed.expense.entry as unknown as Record<string, unknown>,
          },
        }),
      );
    },
  );
}
