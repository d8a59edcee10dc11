/**
 * A loopback TCP port nothing listens on: bound once by the system's choice, then released.
 * For a process the caller starts on a port it must know in advance, or for an address that
 * refuses connections (a peer that is down).
 */
import { createServer } from 'node:net';

/** A port on 127.0.0.1 free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
