/**
 * The running node: opens the data directory (LevelDB under `<dataDir>/db`, keys under
 * `<dataDir>/keys`), wires the services, builds the app and listens. The CLI's `start` calls
 * {@link startServer}; offline commands use {@link openNode} and never listen.
 *
 * Federation is part of every node: each ledger, when the directory opens it, is watched so that
 * its new entries are queued for followers (publishing.ts). Only a listening node runs the
 * delivery queue; entries appended offline are queued and delivered at the next start.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { createActor, listActors, type OpenActor, openActor } from './actors/actors.ts';
import { buildApp } from './app.ts';
import { AuthStore, type AuthStoreOptions } from './auth/accounts.ts';
import type { Config } from './config.ts';
import { nativeBackend } from './crypto/native.ts';
import { buildFederation, type NodeFederation } from './federation/federation.ts';
import { type HostFlows, hostFlows } from './host/transport-node.ts';
import type { LedgerService } from './ledger/service.ts';
import { PrivateExpenseStore } from './private/expenses.ts';
import { federatedActors, type NodeLog, type Publishing, publishing } from './publishing.ts';
import type { ActorHandle, ActorInfo, NodeActors } from './routes/context.ts';
import { openLevelStore } from './storage/level.ts';
import type { Store } from './storage/types.ts';

/** The services of one node over one store. */
export interface NodeServices {
  config: Config;
  store: Store;
  auth: AuthStore;
  actors: NodeActors;
  privateExpenses: PrivateExpenseStore;
  federation: NodeFederation;
  /** The fiscal host flows between this node's actors and other nodes' (node/host/transport.ts). */
  hostFlows: HostFlows;
  publishing: Publishing;
  /** Where background work (deliveries, publishing) logs; the app's logger once it is built. */
  log: NodeLog;
  /** Publishes what was appended while the node was down and starts the delivery queue. */
  startFederation(): Promise<void>;
  /**
   * Stops the delivery queue, closes every open ledger (waiting for queued appends), waits for
   * their publishing, then closes the store.
   */
  close(): Promise<void>;
}

/** Until the app exists there is no logger; offline commands keep failures to one stderr line. */
const stderrLog: NodeLog = {
  warn: (object, message) => console.error(`warn: ${message}`, summary(object)),
  error: (object, message) => console.error(`error: ${message}`, summary(object)),
};

function summary(object: object): string {
  const { err, ...rest } = object as { err?: unknown };
  return JSON.stringify({ ...rest, ...(err === undefined ? {} : { err: String(err) }) });
}

function info(actor: OpenActor): ActorInfo {
  const { record } = actor;
  return { name: record.name, id: record.id, type: record.type, currency: record.currency };
}

/**
 * The actor directory: one open `LedgerService` per actor for the life of the node (the single
 * writer), opened on first use. `opened` runs once per ledger as it is opened (it must not
 * reject); for an actor created here it is awaited before the handle is handed out.
 */
export function actorDirectory(
  store: Store,
  config: Config,
  opened: (name: string, ledger: LedgerService) => Promise<void> = async () => {},
): NodeActors & { closeAll(): Promise<void> } {
  const open = new Map<string, Promise<ActorHandle | undefined>>();
  const context = { store, dataDir: config.dataDir, backend: nativeBackend };
  return {
    async list() {
      return (await listActors(store)).map((record) => ({
        name: record.name,
        id: record.id,
        type: record.type,
        currency: record.currency,
      }));
    },
    get(name) {
      let handle = open.get(name);
      if (!handle) {
        handle = openActor(context, name).then(
          (actor) => {
            // Not awaited: what `opened` does may itself ask the directory for this actor.
            void opened(name, actor.ledger);
            return { info: info(actor), ledger: actor.ledger };
          },
          (error) => {
            open.delete(name);
            if ((error as { code?: string }).code === 'ACTOR_NOT_FOUND') return undefined;
            throw error;
          },
        );
        open.set(name, handle);
      }
      return handle;
    },
    async create(input) {
      const actor = await createActor({
        ...context,
        origin: config.origin,
        name: input.name,
        type: input.host ? 'Organization' : 'Group',
        currency: input.currency,
      });
      const handle = { info: info(actor), ledger: actor.ledger };
      open.set(input.name, Promise.resolve(handle));
      // Watched before anyone can append through it: its first entry after the genesis is published.
      await opened(input.name, actor.ledger);
      return handle;
    },
    async closeAll() {
      const handles = await Promise.allSettled(open.values());
      open.clear();
      for (const h of handles) if (h.status === 'fulfilled' && h.value) await h.value.ledger.close();
    },
  };
}

/** Opens the node's data directory (creating it) and its services. */
export async function openNode(
  config: Config,
  options: { auth?: AuthStoreOptions } = {},
): Promise<NodeServices> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const store = await openLevelStore(join(config.dataDir, 'db'));
  // The federation reads actors through the directory, and the directory hands each ledger it
  // opens to publishing: the late binding below closes that loop.
  let watch: (name: string, ledger: LedgerService) => Promise<void> = async () => {};
  const actors = actorDirectory(store, config, (name, ledger) => watch(name, ledger));
  let logTo: NodeLog = stderrLog;
  const log = () => logTo;
  const federation = buildFederation(
    {
      origin: config.origin,
      dataDir: config.dataDir,
      store,
      actors: federatedActors(actors),
      backend: nativeBackend,
      allowPrivateAddress: config.allowPrivateAddress,
    },
    {
      queue: {
        onHandlerError: (error) => log().error({ err: error }, 'a federation queue message failed'),
      },
      onOutboxError: (error, activity) => {
        const failure = error as Error & { inbox?: URL; statusCode?: number };
        log().warn(
          {
            activity: activity?.id?.href,
            inbox: failure.inbox?.href,
            status: failure.statusCode,
            err: String((error as { cause?: unknown }).cause ?? error),
          },
          // An operator reading this needs the breaker too: after 5 of these for one host in 10
          // minutes, nothing more is tried there for 30 (node/federation/federation.ts).
          'delivery failed; retried with backoff unless the inbox is gone, and after 5 failures to one host in 10 minutes its deliveries are held for 30 minutes',
        );
      },
    },
  );
  const publish = publishing(federation, log);
  const flows = hostFlows({ actors, store, fed: federation, backend: nativeBackend, log });
  watch = (name, ledger) => {
    // An expense approved while the collective has a host goes to the host for countersigning.
    flows.transport.watchApprovals(name, ledger, (error) =>
      log().error({ err: error, actor: name }, 'sending an approved expense to the host failed'),
    );
    return publish.watch(name, ledger);
  };
  let stopQueue: (() => Promise<void>) | undefined;
  return {
    config,
    store,
    auth: new AuthStore(store, options.auth),
    actors,
    privateExpenses: new PrivateExpenseStore(store),
    federation,
    hostFlows: flows,
    publishing: publish,
    get log() {
      return logTo;
    },
    set log(value: NodeLog) {
      logTo = value;
    },
    async startFederation() {
      if (stopQueue !== undefined) return;
      // Opening each ledger publishes what was appended while the node was down.
      for (const { name } of await actors.list()) {
        await actors.get(name);
        await publish.sync(name);
      }
      const controller = new AbortController();
      const running = federation.federation.startQueue(undefined, { signal: controller.signal });
      stopQueue = async () => {
        controller.abort();
        await running;
      };
    },
    async close() {
      await stopQueue?.();
      await actors.closeAll();
      await publish.idle();
      await store.close();
    },
  };
}

/** Builds the app over `services` (no listen); background work logs to the app's logger from now on. */
export async function appFor(
  services: NodeServices,
  logger?: FastifyServerOptions['logger'],
): Promise<FastifyInstance> {
  const app = await buildApp({
    config: services.config,
    auth: services.auth,
    actors: services.actors,
    privateExpenses: services.privateExpenses,
    federation: services.federation,
    hostFlows: services.hostFlows,
    ...(logger !== undefined ? { logger } : {}),
  });
  services.log = app.log;
  return app;
}

/**
 * Opens the node and listens on the configured host and port; SIGINT and SIGTERM close it
 * cleanly (queued appends are written first). Resolves with the app and its address.
 */
export async function startServer(
  config: Config,
  options: { logger?: FastifyServerOptions['logger']; handleSignals?: boolean } = {},
): Promise<{ app: FastifyInstance; url: string; close(): Promise<void> }> {
  const services = await openNode(config);
  let app: FastifyInstance;
  try {
    app = await appFor(services, options.logger);
  } catch (error) {
    await services.close();
    throw error;
  }
  app.addHook('onClose', async () => services.close());
  let address: string;
  try {
    address = await app.listen({ port: config.port, host: config.host });
    await services.startFederation();
  } catch (error) {
    await app.close();
    throw error;
  }
  const close = () => app.close();
  if (options.handleSignals !== false) {
    const stop = (signal: NodeJS.Signals) => {
      app.log.info({ signal }, 'closing');
      close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }
  return { app, url: address, close };
}
