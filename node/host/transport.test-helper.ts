// Two real nodes for the host flows over ActivityPub: each a LevelDB store in its own temporary
// directory, its actors with key files, Fedify's federation mounted in its own Fastify app that
// listens on a loopback port, and its own HostTransport. A node can be stopped and started again
// on the same port and data (the host going down and coming back). Not a test itself.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createExponentialBackoffPolicy } from '@fedify/fedify';
import Fastify, { type FastifyInstance } from 'fastify';
import { freePort } from '../../test-support/free-port.ts';
import { createActor, type OpenActor, openActor } from '../actors/actors.ts';
import { nativeBackend } from '../crypto/native.ts';
import { buildFederation, type NodeFederation } from '../federation/federation.ts';
import { federationPlugin } from '../federation/plugin.ts';
import type { ActorSource } from '../federation/types.ts';
import type { LedgerService } from '../ledger/service.ts';
import { type LevelStore, openLevelStore } from '../storage/level.ts';
import { TERMS } from './fixtures.test-helper.ts';
import { HostService } from './service.ts';
import { HostTransport } from './transport.ts';
import { outboxSource } from './transport-http.ts';
import { listenForHostFlows } from './transport-inbox.ts';

export interface FlowNode {
  origin: string;
  dataDir: string;
  store: LevelStore;
  app: FastifyInstance;
  fed: NodeFederation;
  actors: Map<string, OpenActor>;
  hosts: Map<string, HostService>;
  transport: HostTransport;
  ledger(name: string): LedgerService;
  /** Stops listening and the queue, closes the ledgers and the store; keeps the data. */
  stop(): Promise<void>;
}

/**
 * Starts a node with `actors` (created on first start, opened on a restart at the same `dataDir`
 * and `port`). Every `Organization` is a host under the test terms, reading its members over HTTP.
 */
export async function startFlowNode(input: {
  actors: [name: string, type: 'Group' | 'Organization'][];
  dataDir?: string;
  port?: number;
}): Promise<FlowNode> {
  const dataDir = input.dataDir ?? (await mkdtemp(join(tmpdir(), 'cagnotte-flow-')));
  const port = input.port ?? (await freePort());
  const origin = `http://127.0.0.1:${port}`;
  const store = await openLevelStore(join(dataDir, 'db'));
  const actors = new Map<string, OpenActor>();
  const context = { store, dataDir, backend: nativeBackend };
  for (const [name, type] of input.actors) {
    const open =
      input.dataDir === undefined
        ? await createActor({ ...context, origin, name, type, currency: 'EUR' })
        : await openActor(context, name);
    actors.set(name, open);
  }
  const source: ActorSource = {
    async get(name) {
      const open = actors.get(name);
      return open === undefined
        ? undefined
        : { name, id: open.record.id, type: open.record.type, ledger: open.ledger };
    },
    async list() {
      return [...actors.keys()].map((name) => ({ name }));
    },
  };
  const fed = buildFederation(
    { origin, dataDir, store, actors: source, backend: nativeBackend, allowPrivateAddress: true },
    {
      queue: { pollIntervalMs: 50 },
      // Retries every fraction of a second: the host comes back within the test, not a backoff later.
      outboxRetryPolicy: createExponentialBackoffPolicy({
        initialDelay: { milliseconds: 100 },
        maxDelay: { milliseconds: 500 },
        maxAttempts: 1000,
      }),
      // At that pace Fedify's circuit breaker (5 failures in 10 minutes hold a host's deliveries
      // for 30, node/federation/federation.ts) would open within 1.5 s of a peer going down, and
      // a fault test would wait the hold out. Its own behaviour is pinned in circuit.test.ts.
      circuitBreaker: false,
    },
  );
  const hosts = new Map<string, HostService>();
  for (const [name, open] of actors) {
    if (open.record.type !== 'Organization') continue;
    hosts.set(
      name,
      new HostService({
        ledger: open.ledger,
        store,
        terms: TERMS,
        source: outboxSource(true),
        backend: nativeBackend,
      }),
    );
  }
  const transport = new HostTransport({
    fed,
    host: async (name) => hosts.get(name),
    ledger: async (name) => actors.get(name)?.ledger,
    backend: nativeBackend,
  });
  listenForHostFlows(transport);
  // Idle keep-alive connections from the other node would hold close() for Fastify's 72 s.
  const app = Fastify({ logger: false, forceCloseConnections: true });
  await app.register(federationPlugin, { fed });
  await app.listen({ port, host: '127.0.0.1' });
  const controller = new AbortController();
  const queue = fed.federation.startQueue(undefined, { signal: controller.signal });
  return {
    origin,
    dataDir,
    store,
    app,
    fed,
    actors,
    hosts,
    transport,
    ledger(name) {
      const open = actors.get(name);
      if (open === undefined) throw new Error(`no actor ${name}`);
      return open.ledger;
    },
    async stop() {
      controller.abort();
      await queue;
      await app.close();
      for (const open of actors.values()) await open.ledger.close();
      await store.close();
    },
  };
}

/** Removes a node's data directory. */
export function removeData(node: { dataDir: string }): Promise<void> {
  return rm(node.dataDir, { recursive: true, force: true });
}

/**
 * Waits until `check` answers something other than undefined: each node's queue works in the
 * background, so a flow's end is an observed state, never a sleep of a guessed length.
 */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
