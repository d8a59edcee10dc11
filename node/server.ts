/**
 * The running node: opens the data directory (LevelDB under `<dataDir>/db`, keys under
 * `<dataDir>/keys`), wires the services, builds the app and listens. The CLI's `start` calls
 * {@link startServer}; offline commands use {@link openNode} and never listen.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { createActor, listActors, type OpenActor, openActor } from './actors/actors.ts';
import { buildApp } from './app.ts';
import { AuthStore, type AuthStoreOptions } from './auth/accounts.ts';
import type { Config } from './config.ts';
import { nativeBackend } from './crypto/native.ts';
import { PrivateExpenseStore } from './private/expenses.ts';
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
  /** Closes every open ledger (waiting for queued appends), then the store. */
  close(): Promise<void>;
}

function info(actor: OpenActor): ActorInfo {
  const { record } = actor;
  return { name: record.name, id: record.id, type: record.type, currency: record.currency };
}

/**
 * The actor directory: one open `LedgerService` per actor for the life of the node (the single
 * writer), opened on first use.
 */
export function actorDirectory(store: Store, config: Config): NodeActors & { closeAll(): Promise<void> } {
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
          (actor) => ({ info: info(actor), ledger: actor.ledger }),
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
  const actors = actorDirectory(store, config);
  return {
    config,
    store,
    auth: new AuthStore(store, options.auth),
    actors,
    privateExpenses: new PrivateExpenseStore(store),
    async close() {
      await actors.closeAll();
      await store.close();
    },
  };
}

/** Builds the app over `services` (no listen). */
export function appFor(
  services: NodeServices,
  logger?: FastifyServerOptions['logger'],
): Promise<FastifyInstance> {
  return buildApp({
    config: services.config,
    auth: services.auth,
    actors: services.actors,
    privateExpenses: services.privateExpenses,
    ...(logger !== undefined ? { logger } : {}),
  });
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
  const address = await app.listen({ port: config.port, host: config.host });
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
