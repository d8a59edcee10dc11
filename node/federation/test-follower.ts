/**
 * An independent ActivityPub follower for tests, built with Fedify but sharing nothing with the
 * node: its own HTTP server on loopback, its own actors (`alice`, `mallory`) with RSA keys, and
 * an inbox that checks each delivery's HTTP signature with Fedify's `verifyRequest` and records
 * the raw JSON. Not a test itself.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createFederation,
  type Federation,
  generateCryptoKeyPair,
  getDocumentLoader,
  MemoryKvStore,
  verifyRequest,
} from '@fedify/fedify';
import { Endpoints, Person } from '@fedify/vocab';

/** One delivery to the follower's inbox. */
export interface Delivery {
  path: string;
  /** The verified signer's key id, or null when the signature did not verify. */
  keyId: string | null;
  body: Record<string, unknown>;
}

/** One GET the follower answered (actor documents and keys). */
export interface Fetch {
  path: string;
  /** The verified signer's key id, or null when the GET was unsigned or its signature failed. */
  keyId: string | null;
  status: number;
}

export interface TestFollower {
  origin: string;
  /** GETs received, in order (recorded only with `authorizedFetch`). */
  fetches: Fetch[];
  federation: Federation<void>;
  keys: Map<string, CryptoKeyPair>;
  deliveries: Delivery[];
  /** Resolves with the first delivery (already received or future) matching `test`. */
  next(test: (d: Delivery) => boolean): Promise<Delivery>;
  actorUrl(name: string): string;
  close(): Promise<void>;
}

function toRequest(req: IncomingMessage, origin: string, body: Buffer | undefined): Request {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
  return new Request(new URL(req.url ?? '/', origin), {
    method: req.method ?? 'GET',
    headers,
    ...(body ? { body: new Uint8Array(body) } : {}),
  });
}

export async function startTestFollower(
  options: {
    sharedInbox?: boolean;
    /** A fixed port (a follower coming back where it was); default: any free one. */
    port?: number;
    /** Refuse unsigned GETs with 401, as Mastodon's authorized fetch and GoToSocial do. */
    authorizedFetch?: boolean;
  } = {},
): Promise<TestFollower> {
  const keys = new Map<string, CryptoKeyPair>();
  for (const name of ['alice', 'mallory']) keys.set(name, await generateCryptoKeyPair('RSASSA-PKCS1-v1_5'));
  const deliveries: Delivery[] = [];
  const fetches: Fetch[] = [];
  const waiters: { test: (d: Delivery) => boolean; resolve: (d: Delivery) => void }[] = [];
  let origin = '';
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      if (req.method === 'POST') {
        const request = toRequest(req, origin, body);
        const key = await verifyRequest(request, {
          documentLoader: getDocumentLoader({ allowPrivateAddress: true }),
        });
        const delivery: Delivery = {
          path: req.url ?? '',
          keyId: key?.id?.href ?? null,
          body: JSON.parse(body.toString('utf8')),
        };
        deliveries.push(delivery);
        for (const w of waiters.filter((w) => w.test(delivery))) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(delivery);
        }
        res.writeHead(202).end();
        return;
      }
      // WebFinger stays open (Mastodon serves it unsigned); actors and keys need a signature.
      if (options.authorizedFetch && !req.url?.startsWith('/.well-known/')) {
        const signer = await verifyRequest(toRequest(req, origin, undefined), {
          documentLoader: getDocumentLoader({ allowPrivateAddress: true }),
        });
        fetches.push({ path: req.url ?? '', keyId: signer?.id?.href ?? null, status: signer ? 200 : 401 });
        if (signer === null) {
          res.writeHead(401).end();
          return;
        }
      }
      const response = await federation.fetch(toRequest(req, origin, undefined), { contextData: undefined });
      const headers: Record<string, string> = {};
      response.headers.forEach((value, key) => {
        headers[key] = value;
      });
      res.writeHead(response.status, headers);
      res.end(Buffer.from(await response.arrayBuffer()));
    });
  });
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const federation = createFederation<void>({
    kv: new MemoryKvStore(),
    allowPrivateAddress: true,
    origin,
    firstKnock: 'draft-cavage-http-signatures-12',
  });
  federation
    .setActorDispatcher('/users/{identifier}', async (ctx, identifier) => {
      if (!keys.has(identifier)) return null;
      const pairs = await ctx.getActorKeyPairs(identifier);
      return new Person({
        id: ctx.getActorUri(identifier),
        preferredUsername: identifier,
        inbox: ctx.getInboxUri(identifier),
        ...(options.sharedInbox ? { endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }) } : {}),
        publicKey: pairs[0]?.cryptographicKey ?? null,
      });
    })
    .setKeyPairsDispatcher(async (_ctx, identifier) => {
      const pair = keys.get(identifier);
      return pair === undefined ? [] : [pair];
    });
  federation.setInboxListeners('/users/{identifier}/inbox', '/inbox');

  return {
    origin,
    fetches,
    federation,
    keys,
    deliveries,
    next(test) {
      const found = deliveries.find(test);
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ test, resolve }));
    },
    actorUrl: (name) => `${origin}/users/${name}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
