/**
 * Builds the node's Fastify app (no `listen`: `server.ts` does that, tests call `inject`).
 * Plugins load before routes; every route declares a schema for its params, query, body and
 * responses, and every failure goes through the one error handler in routes/errors.ts.
 */
import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Ajv } from 'ajv';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { AuthStore } from './auth/accounts.ts';
import { installAuthentication } from './auth/hooks.ts';
import type { Config } from './config.ts';
import type { NodeFederation } from './federation/federation.ts';
import { federationPlugin } from './federation/plugin.ts';
import { hostRoutes } from './host/routes.ts';
import type { HostFlows } from './host/transport-node.ts';
import { transportRoutes } from './host/transport-routes.ts';
import type { PrivateExpenseStore } from './private/expenses.ts';
import { attachmentRoutes } from './routes/attachments.ts';
import { auditRoutes } from './routes/audit.ts';
import type { NodeActors, RouteContext } from './routes/context.ts';
import { installErrorHandling, installJsonParser } from './routes/errors.ts';
import { expenseRoutes } from './routes/expenses.ts';
import { ledgerRoutes } from './routes/ledger.ts';
import { pageRoutes } from './routes/pages.ts';
import { sessionRoutes } from './routes/session.ts';
import { writeRoutes } from './routes/writes.ts';

export interface AppOptions {
  config: Config;
  auth: AuthStore;
  actors: NodeActors;
  privateExpenses: PrivateExpenseStore;
  /**
   * ActivityPub (WebFinger, NodeInfo, actors, outbox, inboxes), served before the node's routes
   * by an `onRequest` hook; requests it does not serve fall through to them.
   */
  federation?: NodeFederation;
  /** The fiscal host flows (node/host): the host admin API and the collective's side over ActivityPub. */
  hostFlows?: HostFlows;
  /** Fastify's logger option; defaults to the configured level. */
  logger?: FastifyServerOptions['logger'];
}

/** Two validators: bodies are taken as sent (no coercion), URL parts are strings coerced to the schema. */
function validators() {
  const base = { allErrors: true, strict: false, removeAdditional: false, useDefaults: true } as const;
  const body = new Ajv({ ...base, coerceTypes: false });
  const url = new Ajv({ ...base, coerceTypes: 'array' });
  return ({ schema, httpPart }: { schema: object; httpPart?: string }) =>
    httpPart === 'body' ? body.compile(schema) : url.compile(schema);
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { config } = options;
  const secure = config.origin.startsWith('https:');
  const app = Fastify({
    logger: options.logger ?? { level: config.logLevel },
    bodyLimit: config.bodyLimit,
    // A hop count is valid at runtime (proxy-addr) though Fastify's types omit it.
    trustProxy: config.trustProxy as boolean | string,
    // Errors are rendered by our handler; request ids help match logs to reports.
    genReqId: () => crypto.randomUUID(),
    routerOptions: { ignoreTrailingSlash: true },
  });
  app.setValidatorCompiler(validators());
  installErrorHandling(app);
  installJsonParser(app, config.jsonDepthLimit);

  await app.register(helmet, {
    hsts: secure ? { maxAge: 31536000 } : false,
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        // swagger-ui styles itself inline; nothing else needs it.
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: secure ? [] : null,
      },
    },
  });
  if (options.federation !== undefined) {
    // First after helmet, so that its hook runs before the others and on Fastify's 404 route too
    // (WebFinger and NodeInfo have no route of their own).
    await app.register(federationPlugin, {
      fed: options.federation,
      inboxBodyLimit: config.bodyLimit,
      inboxDepthLimit: config.jsonDepthLimit,
    });
  }
  await app.register(cookie);
  await app.register(formbody, { bodyLimit: config.bodyLimit });
  await app.register(csrf, {
    cookieKey: 'cagnotte_csrf',
    cookieOpts: { path: '/', sameSite: 'strict', httpOnly: true, secure },
  });
  await app.register(rateLimit, {
    global: false,
    keyGenerator: (request) => request.ip,
    // Limits guard public doors; an authenticated admin is already accountable.
    allowList: (request) => request.principal !== undefined,
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Cagnotte node API',
        version: '0.1.0',
        description:
          'Signed, hash-chained ledgers of collectives and hosts. Errors are `{ error: { code, message, details? } }`; see docs/errors.md.',
      },
      servers: [{ url: config.origin }],
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'An API token from `cagnotte token create`.',
          },
          session: { type: 'apiKey', in: 'cookie', name: 'cagnotte_session' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  // A route without a response schema would serialise whatever it is handed; refuse to build one.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/docs')) return;
    const schema = route.schema as { response?: unknown } | undefined;
    if (!schema?.response) throw new Error(`route ${route.method} ${route.url} has no response schema`);
  });
  installAuthentication(app, options.auth);
  const context: RouteContext = {
    config,
    auth: options.auth,
    actors: options.actors,
    privateExpenses: options.privateExpenses,
  };
  await app.register(async (scope) => {
    ledgerRoutes(scope, context);
    writeRoutes(scope, context);
    expenseRoutes(scope, context);
    attachmentRoutes(scope, context);
    sessionRoutes(scope, context);
    pageRoutes(scope, context);
    auditRoutes(scope, context);
  });
  const flows = options.hostFlows;
  if (flows !== undefined) {
    await app.register(hostRoutes, { hosts: flows.hosts, transport: flows.transport });
    await app.register(transportRoutes, { flows });
  }
  return app;
}
