/**
 * A real node for federation tests: a LevelDB store in a temporary directory, real actors with
 * key files and genesis entries, the federation mounted in a Fastify app. Not a test itself.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { nobleBackend } from '../../protocol/crypto.ts';
import { createActor, type OpenActor } from '../actors/actors.ts';
import type { ActorType } from '../actors/keys.ts';
import { type LevelStore, openLevelStore } from '../storage/level.ts';
import { type BuildFederationOptions, buildFederation, type NodeFederation } from './federation.ts';
import { federationPlugin } from './plugin.ts';
import type { ActorSource, FederatedActor } from './types.ts';

export interface TestNode {
  origin: string;
  dataDir: string;
  store: LevelStore;
  app: FastifyInstance;
  fed: NodeFederation;
  actors: Map<string, OpenActor>;
  addActor(name: string, type?: ActorType): Promise<OpenActor>;
  /** Starts Fedify's queue workers. */
  startQueue(): void;
  close(): Promise<void>;
}

export interface TestNodeOptions {
  /** Listen on a loopback port (origin `http://127.0.0.1:port`); otherwise inject only. */
  listen?: boolean;
  /** Reuse a data directory (a restart). */
  dataDir?: string;
  manuallyApproves?: string[];
  inboxBodyLimit?: number;
  /** Retry policy, circuit breaker, failure callback (the queue is the tests' own). */
  federation?: Omit<BuildFederationOptions, 'queue'>;
}

function source(actors: Map<string, OpenActor>): ActorSource {
  return {
    async get(name) {
      const open = actors.get(name);
      if (open === undefined) return undefined;
      const actor: FederatedActor = { name, id: open.record.id, type: open.record.type, ledger: open.ledger };
      return actor;
    },
    async list() {
      return [...actors.keys()].map((name) => ({ name }));
    },
  };
}

export async function startTestNode(options: TestNodeOptions = {}): Promise<TestNode> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'cagnotte-fed-')));
  const store = await openLevelStore(join(dataDir, 'db'));
  const app = Fastify({ logger: false });
  // The origin must be known before Fedify is built: take a port first when listening.
  let origin = 'http://127.0.0.1:1';
  if (options.listen) {
    const probe = Fastify();
    await probe.listen({ port: 0, host: '127.0.0.1' });
    const port = (probe.server.address() as AddressInfo).port;
    await probe.close();
    origin = `http://127.0.0.1:${port}`;
  }
  const actors = new Map<string, OpenActor>();
  const manual = new Set(options.manuallyApproves ?? []);
  const fed = buildFederation(
    {
      origin,
      dataDir,
      store,
      actors: source(actors),
      backend: nobleBackend,
      allowPrivateAddress: true,
      manuallyApprovesFollowers: (name) => manual.has(name),
    },
    { ...options.federation, queue: { pollIntervalMs: 200 } },
  );
  await app.register(federationPlugin, {
    fed,
    ...(options.inboxBodyLimit === undefined ? {} : { inboxBodyLimit: options.inboxBodyLimit }),
  });
  app.get('/hello', async () => 'fastify route');
  app.get('/actors/:name', async () => 'html page of the actor');
  if (options.listen) await app.listen({ port: Number(new URL(origin).port), host: '127.0.0.1' });
  const controller = new AbortController();
  let queue: Promise<void> | undefined;
  return {
    origin,
    dataDir,
    store,
    app,
    fed,
    actors,
    async addActor(name, type = 'Group') {
      const open = await createActor({ store, dataDir, backend: nobleBackend, origin, name, type });
      actors.set(name, open);
      return open;
    },
    startQueue() {
      queue ??= fed.federation.startQueue(undefined, { signal: controller.signal });
    },
    async close() {
      controller.abort();
      await queue;
      await app.close();
      for (const open of actors.values()) await open.ledger.close();
      await store.close();
      if (options.dataDir === undefined) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The ledger public key of an actor created with its keys. */
export function ledgerKeyOf(open: OpenActor): Uint8Array {
  if (open.keys === undefined) throw new Error(`${open.record.name} was opened without its keys`);
  return open.keys.ledger.publicKey;
}
