/**
 * Mounts federation in Fastify: an `onRequest` hook serves the raw ledger documents (outbox,
 * entries, their Create activities) and hands WebFinger, NodeInfo, actors, followers and inboxes
 * to `federation.fetch`. Anything Fedify does not serve, or serves only to ActivityPub clients
 * (an actor's HTML page), falls through to the node's own routes.
 *
 * Inbox bodies are read here, capped in size and JSON depth before anything parses them.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERRORS } from '../errors.ts';
import { createEventActivity, eventObject } from './event.ts';
import type { NodeFederation } from './federation.ts';
import { createActivity, entryJson, outboxCollection, outboxPageJson, parseCursor } from './outbox.ts';

/** Options of {@link federationPlugin}. */
export interface FederationPluginOptions {
  fed: NodeFederation;
  /** Largest inbox body in bytes (default 256 KiB; Mastodon's own activities are far smaller). */
  inboxBodyLimit?: number;
  /** Deepest JSON nesting accepted in an inbox body (default 32). */
  inboxDepthLimit?: number;
}

const AP_TYPE = 'application/activity+json';
const FALLTHROUGH = 'x-cagnotte-fallthrough';
const INBOX = /^\/(?:inbox|actors\/[a-z0-9][a-z0-9_-]{0,62}\/inbox)$/;
const FEDIFY_PATHS =
  /^\/(?:\.well-known\/(?:webfinger|nodeinfo)|nodeinfo\/2\.1|inbox|actors\/[^/]+(?:\/(?:inbox|followers))?)$/;
const RAW =
  /^\/actors\/([a-z0-9][a-z0-9_-]{0,62})\/(?:outbox|ledger\/(0|[1-9]\d{0,15})(\/create|\/event|\/event\/create)?)$/;

/** True when the client asks for ActivityStreams JSON (Mastodon sends activity+json or ld+json). */
export function wantsActivityJson(accept: string | undefined): boolean {
  return accept !== undefined && /application\/(?:activity\+json|ld\+json)/i.test(accept);
}

/** Largest nesting depth of a JSON text, counted without parsing it. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) max = Math.max(max, ++depth);
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

class BodyTooLarge extends Error {}

function readBody(raw: IncomingMessage, limit: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const declared = Number(raw.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) return reject(new BodyTooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    raw.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        raw.removeAllListeners('data');
        raw.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    raw.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
    raw.on('error', reject);
  });
}

async function sendResponse(reply: FastifyReply, response: Response): Promise<FastifyReply> {
  reply.code(response.status);
  response.headers.forEach((value, key) => {
    reply.header(key, value);
  });
  return reply.send(Buffer.from(await response.arrayBuffer()));
}

/** A registered error, in the node's error shape (docs/errors.md). */
function sendError(reply: FastifyReply, code: 'INBOX_BODY_TOO_LARGE' | 'INBOX_JSON_TOO_DEEP'): FastifyReply {
  const { status, message } = ERRORS[code];
  return reply.code(status).send({ error: { code, message } });
}

// Public documents: the in-browser auditor of any node reads them (ui/audit).
function sendJson(reply: FastifyReply, body: string | Uint8Array): FastifyReply {
  return reply
    .code(200)
    .header('content-type', AP_TYPE)
    .header('access-control-allow-origin', '*')
    .header('vary', 'Accept')
    .send(typeof body === 'string' ? body : Buffer.from(body));
}

/** Serves the outbox and the entries; false when the request is not one of them. */
async function serveRaw(
  fed: NodeFederation,
  request: FastifyRequest,
  reply: FastifyReply,
  url: URL,
): Promise<boolean> {
  const match = RAW.exec(url.pathname);
  if (match === null) return false;
  const [, name, seqText, create] = match;
  const isOutbox = seqText === undefined;
  // An entry's URL is also its HTML page: only ActivityPub clients get the JSON.
  if (!isOutbox && !wantsActivityJson(request.headers.accept)) return false;
  const actor = await fed.deps.actors.get(name as string);
  if (actor === undefined) return false;
  if (isOutbox) {
    const cursorText = url.searchParams.get('cursor');
    if (cursorText === null) {
      sendJson(reply, JSON.stringify(outboxCollection(actor)));
      return true;
    }
    const cursor = parseCursor(cursorText);
    const page = cursor === undefined ? undefined : await outboxPageJson(actor, cursor);
    if (page === undefined) return false;
    sendJson(reply, page);
    return true;
  }
  const record = await actor.ledger.get(Number(seqText));
  if (record === undefined) return false;
  // The stored JCS bytes, byte for byte: what was signed is what is served.
  if (create === undefined) sendJson(reply, record.leaf);
  else if (create === '/create') sendJson(reply, JSON.stringify(createActivity(actor, record)));
  else {
    // The Event object of an Event entry and its Create (event.ts); other kinds have none.
    const doc =
      create === '/event' ? eventObject(actor, entryJson(record)) : createEventActivity(actor, record);
    if (doc === undefined) return false;
    sendJson(reply, JSON.stringify(doc));
  }
  return true;
}

async function handle(
  options: FederationPluginOptions,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply | undefined> {
  const { fed } = options;
  const url = new URL(request.url, fed.deps.origin);
  const method = request.method;
  if (method === 'GET' || method === 'HEAD') {
    if (await serveRaw(fed, request, reply, url)) return reply;
    if (!FEDIFY_PATHS.test(url.pathname)) return undefined;
  } else if (method !== 'POST' || !INBOX.test(url.pathname)) {
    return undefined;
  }
  let body: Uint8Array | undefined;
  if (method === 'POST') {
    try {
      body = await readBody(request.raw, options.inboxBodyLimit ?? 256 * 1024);
    } catch (error) {
      if (error instanceof BodyTooLarge) return sendError(reply, 'INBOX_BODY_TOO_LARGE');
      throw error;
    }
    if (jsonDepth(Buffer.from(body).toString('utf8')) > (options.inboxDepthLimit ?? 32)) {
      return sendError(reply, 'INBOX_JSON_TOO_DEEP');
    }
  }
  const headers = new Headers();
  for (const [key, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(key, v);
  }
  const fetchRequest = new Request(url, {
    method,
    headers,
    ...(body === undefined ? {} : { body: Buffer.from(body) }),
  });
  const fallthrough = () => new Response(null, { status: 404, headers: { [FALLTHROUGH]: '1' } });
  const response = await fed.federation.fetch(fetchRequest, {
    contextData: undefined,
    onNotFound: fallthrough,
    onNotAcceptable: fallthrough,
  });
  if (response.headers.get(FALLTHROUGH) === '1') return undefined;
  // What Fedify answers to a GET (actors, WebFinger, NodeInfo) is public: any page may read it.
  if (method !== 'POST') reply.header('access-control-allow-origin', '*');
  return sendResponse(reply, response);
}

/**
 * The plugin. It is not encapsulated (`skip-override`), so its hook runs for every route of
 * the app, including Fastify's 404 handler (WebFinger and NodeInfo have no Fastify route).
 */
export async function federationPlugin(
  app: FastifyInstance,
  options: FederationPluginOptions,
): Promise<void> {
  app.addHook('onRequest', async (request, reply) => {
    const handled = await handle(options, request, reply);
    if (handled !== undefined) return handled;
  });
}
(federationPlugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
