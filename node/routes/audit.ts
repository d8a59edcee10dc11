/**
 * The audit page (`/audit?source=…`), its script and its stylesheet. The script is the bundle of
 * ui/audit/main.ts with the protocol code (scripts/build-ui.ts), built on first use and kept for
 * the life of the process, so that `npm install && npm start` serves it and nothing built is
 * committed. Its URL carries its content hash, so browsers may keep it for good.
 *
 * The page fetches other nodes' ledgers: its CSP allows `connect-src` to any http(s) origin, and
 * nothing else beyond the node's own policy (scripts only from this node, no 'unsafe-eval': the
 * bundle carries precompiled schema validators).
 */
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AUDIT_STYLESHEET, renderAuditPage } from '../../ui/audit/page.ts';
import type { RouteContext } from './context.ts';
import { sendHtml } from './context.ts';
import { errorSchema } from './errors.ts';

/** The bundle as served: its bytes, compressed once, and its hash. */
interface ServedBundle {
  hash: string;
  identity: Buffer;
  gzip: Buffer;
  br: Buffer;
}

let building: Promise<ServedBundle> | undefined;

/** The audit bundle, built once per process (again after a failed build). */
export function auditBundle(): Promise<ServedBundle> {
  building ??= (async () => {
    const { buildAuditBundle } = await import('../../scripts/build-ui.ts');
    const bundle = await buildAuditBundle();
    const identity = Buffer.from(bundle.code);
    return {
      hash: bundle.hash,
      identity,
      gzip: gzipSync(identity, { level: 9 }),
      br: brotliCompressSync(identity, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
    };
  })().catch((error: unknown) => {
    building = undefined;
    throw error;
  });
  return building;
}

const SCRIPT_PATH = '/assets/audit.js';
const htmlResponse = { 200: { content: { 'text/html': { schema: { type: 'string' } } } } } as const;
const errors = { '4xx': errorSchema, '5xx': errorSchema } as const;

function encodingFor(request: FastifyRequest): 'br' | 'gzip' | undefined {
  const accepted = String(request.headers['accept-encoding'] ?? '');
  if (/\bbr\b/.test(accepted)) return 'br';
  if (/\bgzip\b/.test(accepted)) return 'gzip';
  return undefined;
}

async function sendScript(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const bundle = await auditBundle();
  const etag = `"${bundle.hash.slice(0, 32)}"`;
  const versioned = (request.query as { v?: string }).v === bundle.hash.slice(0, 16);
  reply
    .header('etag', etag)
    .header('vary', 'accept-encoding')
    .header('cache-control', versioned ? 'public, max-age=31536000, immutable' : 'no-cache');
  if (request.headers['if-none-match'] === etag) return reply.code(304).send();
  const encoding = encodingFor(request);
  if (encoding !== undefined) reply.header('content-encoding', encoding);
  return reply
    .type('text/javascript; charset=utf-8')
    .send(encoding === undefined ? bundle.identity : bundle[encoding]);
}

export function auditRoutes(app: FastifyInstance, context: RouteContext): void {
  const secure = context.config.origin.startsWith('https:');
  // The node's policy (node/app.ts) restated, as a route's helmet options replace it whole, with
  // the one addition: the ledgers audited may be on any node.
  const contentSecurityPolicy = {
    directives: {
      defaultSrc: ["'self'"],
      connectSrc: ["'self'", 'https:', ...(secure ? [] : ['http:'])],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      upgradeInsecureRequests: secure ? [] : null,
    },
  };

  app.get(
    '/audit',
    {
      config: { html: true },
      helmet: { contentSecurityPolicy },
      schema: {
        tags: ['pages'],
        summary: 'Audit a ledger in the browser: the page, whose script verifies the raw ledger itself',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { source: { type: 'string', maxLength: 2000 } },
        },
        response: { ...htmlResponse, ...errors },
      },
    },
    async (request, reply) => {
      const { source } = request.query as { source?: string };
      const bundle = await auditBundle();
      const script = `${SCRIPT_PATH}?v=${bundle.hash.slice(0, 16)}`;
      return sendHtml(reply, renderAuditPage({ source: source ?? '', script }));
    },
  );

  app.get(
    SCRIPT_PATH,
    {
      schema: {
        hide: true,
        querystring: { type: 'object', properties: { v: { type: 'string', maxLength: 64 } } },
        response: {
          200: { content: { 'text/javascript': { schema: { type: 'string' } } } },
          304: { type: 'null' },
          ...errors,
        },
      },
    },
    sendScript,
  );

  app.get(
    '/assets/audit.css',
    {
      schema: { hide: true, response: { 200: { content: { 'text/css': { schema: { type: 'string' } } } } } },
    },
    async (_request, reply) =>
      reply
        .type('text/css; charset=utf-8')
        .header('cache-control', 'public, max-age=3600')
        .send(AUDIT_STYLESHEET),
  );
}
