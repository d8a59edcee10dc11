/**
 * Between the ledgers and federation: every durable batch of an actor's ledger asks the
 * publisher to queue its new entries for the followers. Requests are coalesced per actor (while a
 * sync runs, any number of new batches cause one more sync, not one each), so publishing keeps up
 * with appends under load instead of queueing one pass per batch.
 */
import type { NodeFederation } from './federation/federation.ts';
import type { FederatedActor } from './federation/types.ts';
import type { LedgerService } from './ledger/service.ts';
import type { NodeActors } from './routes/context.ts';

/** The part of a pino-style logger the node's background work writes to. */
export interface NodeLog {
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

/** Publishing for one node; see the module comment. */
export interface Publishing {
  /** Queues the new entries of `name` for its followers; resolves once they are queued. */
  sync(name: string): Promise<void>;
  /** Subscribes to `ledger` (call once per open ledger) and syncs it once now. */
  watch(name: string, ledger: LedgerService): Promise<void>;
  /** Resolves when no sync is running or due. */
  idle(): Promise<void>;
}

/** Publishing through `fed`'s publisher; failures are logged, never thrown at the writer. */
export function publishing(fed: NodeFederation, log: () => NodeLog): Publishing {
  const running = new Map<string, { again: boolean; done: Promise<void> }>();
  const sync = (name: string): Promise<void> => {
    const current = running.get(name);
    if (current !== undefined) {
      current.again = true;
      return current.done;
    }
    const state = { again: false, done: Promise.resolve() };
    state.done = (async () => {
      do {
        state.again = false;
        try {
          await fed.publisher.sync(name);
        } catch (error) {
          // The cursor did not move: the next batch (or the next start) tries these entries again.
          log().error({ err: error, actor: name }, 'publishing new entries to followers failed');
        }
      } while (state.again);
      running.delete(name);
    })();
    running.set(name, state);
    return state.done;
  };
  return {
    sync,
    watch(name, ledger) {
      ledger.onAppended(() => {
        void sync(name);
      });
      return sync(name);
    },
    async idle() {
      while (running.size > 0) await Promise.all([...running.values()].map((s) => s.done));
    },
  };
}

/** The node's actors as federation sees them (opened through the one directory). */
export function federatedActors(actors: NodeActors) {
  return {
    async get(name: string): Promise<FederatedActor | undefined> {
      const handle = await actors.get(name);
      if (handle === undefined) return undefined;
      return { name, id: handle.info.id, type: handle.info.type, ledger: handle.ledger };
    },
    async list(): Promise<{ name: string }[]> {
      return (await actors.list()).map(({ name }) => ({ name }));
    },
  };
}
