/**
 * Peers of the federation benchmark, each in its own process (scripts/bench/federation.ts spawns
 * them); prints one JSON line `{ "port": n }` once listening.
 *
 * - `bare`: a Fastify app with one route, `GET /bare`, the baseline of the outbox page rate.
 * - `inboxes <n>`: `n` shared inboxes at `POST /inbox/<k>`. It counts POSTs and checks only what
 *   is cheap (an HTTP `Signature` header and a JSON `Create`), so that the node's delivery, not
 *   the receiver, is what is measured; `GET /count` answers `{ posts, signed, byInbox }`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';

const [mode, countText] = process.argv.slice(2);

if (mode === 'bare') {
  const app = Fastify({ logger: false });
  app.get('/bare', async () => ({ hello: 'world' }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  console.log(JSON.stringify({ port: (app.server.address() as AddressInfo).port }));
} else if (mode === 'inboxes') {
  const inboxes = Number(countText);
  let posts = 0;
  let signed = 0;
  const byInbox = new Array<number>(inboxes).fill(0);
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/count') {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ posts, signed, byInbox }));
      return;
    }
    const match = /^\/inbox\/(\d+)$/.exec(req.url ?? '');
    const k = match === null ? -1 : Number(match[1]);
    if (req.method !== 'POST' || k < 0 || k >= inboxes) {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let create = false;
      try {
        create = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { type?: unknown }).type === 'Create';
      } catch {
        create = false;
      }
      if (!create) {
        res.writeHead(400).end();
        return;
      }
      posts++;
      byInbox[k] = (byInbox[k] ?? 0) + 1;
      if (typeof req.headers.signature === 'string' || typeof req.headers['signature-input'] === 'string')
        signed++;
      res.writeHead(202).end();
    });
  });
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1', () => {
    console.log(JSON.stringify({ port: (server.address() as AddressInfo).port }));
  });
} else {
  console.error('usage: federation-peer.ts bare | inboxes <n>');
  process.exit(2);
}
