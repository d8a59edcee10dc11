import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import t from 'tap';
import { FetchError, HttpClient } from './http.ts';

const GET = { accept: 'text/plain', maxBytes: 1024 };

/**
 * A loopback server that answers 'ok' on each connection's first request and drops the connection
 * unanswered on any later one (as a server does that closed an idle keep-alive connection the
 * client then reused), or on every request with `dropAll`.
 */
async function flakyServer(
  dropAll = false,
): Promise<{ server: Server; url: string; connections: () => number }> {
  const served = new WeakSet<Socket>();
  let connections = 0;
  const server = createServer({ keepAliveTimeout: 60_000 }, (request, response) => {
    const socket = request.socket;
    if (dropAll || served.has(socket)) {
      socket.destroy();
      return;
    }
    served.add(socket);
    response.end('ok');
  });
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/`, connections: () => connections };
}

t.test('a GET on a reused connection the server dropped is asked again on a new one', async (t) => {
  const { server, url, connections } = await flakyServer();
  const client = new HttpClient({ allowPrivateAddress: true });
  t.teardown(() => {
    client.close();
    server.close();
  });
  t.equal(new TextDecoder().decode(await client.get(url, GET)), 'ok', 'first request');
  t.equal(new TextDecoder().decode(await client.get(url, GET)), 'ok', 'the second, dropped then asked again');
  t.equal(client.requests, 3, 'one request more than the answers');
  t.equal(connections(), 2, 'the retry went on a new connection');
});

t.test('a connection dropped on its first request is a fetch error, not retried', async (t) => {
  const { server, url, connections } = await flakyServer(true);
  const client = new HttpClient({ allowPrivateAddress: true });
  t.teardown(() => {
    client.close();
    server.close();
  });
  await t.rejects(client.get(url, GET), FetchError);
  t.equal(client.requests, 1, 'asked once');
  t.equal(connections(), 1);
});
