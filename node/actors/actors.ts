/**
 * Creating and opening actors (a collective `Group`, a host `Organization`): keys on disk, the
 * actor record and the genesis entry in the store. Creation is all or nothing: the record is
 * written in the genesis batch, and the key file is removed again if that batch fails.
 */
import type { CryptoBackend } from '../../protocol/crypto.ts';
import { AppError } from '../errors.ts';
import { checkpointOrigin, LedgerService } from '../ledger/service.ts';
import { jsonValue, parseJsonValue } from '../storage/codec.ts';
import type { Store, Sublevel } from '../storage/types.ts';
import {
  ACTOR_NAME,
  type ActorKeys,
  type ActorType,
  generateActorKeys,
  readActorKeys,
  removeActorKeys,
  writeActorKeys,
} from './keys.ts';

/** What the store remembers about an actor (public; the keys are in the key file). */
export interface ActorRecord {
  id: string;
  name: string;
  type: ActorType;
  origin: string;
  currency: string;
  createdAt: string;
}

/** An open actor: its record, its keys (absent: read-only) and its ledger's writer. */
export interface OpenActor {
  record: ActorRecord;
  keys: ActorKeys | undefined;
  ledger: LedgerService;
}

/** Options shared by {@link createActor} and {@link openActor}. */
export interface ActorContext {
  store: Store;
  /** The data directory; keys live in `<dataDir>/keys/`. */
  dataDir: string;
  backend: CryptoBackend;
  now?: () => Date;
}

/** Options for {@link createActor}. */
export interface CreateActorOptions extends ActorContext {
  /** The node's public base URL, e.g. `https://collective.example` (no trailing slash). */
  origin: string;
  name: string;
  type: ActorType;
  /** ISO 4217 code of the ledger's currency (default EUR). */
  currency?: string;
  /** Who creates it (recorded as the genesis `by`). */
  by?: string;
}

function actorsSublevel(store: Store): Sublevel {
  return store.sublevel('actors');
}

/** `${origin}/actors/${name}`. */
export function actorId(origin: string, name: string): string {
  return `${origin}/actors/${name}`;
}

function checkOrigin(origin: string): void {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw new AppError('VALIDATION_FAILED', `the origin ${JSON.stringify(origin)} is not a URL`);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== origin) {
    throw new AppError(
      'VALIDATION_FAILED',
      `the origin must be a bare http(s) origin like https://collective.example, not ${origin}`,
    );
  }
}

/**
 * Creates an actor: validates the name, writes its keys (0600), then its genesis entry together
 * with its record. Rejects with `ACTOR_EXISTS` when the name is taken (by a record or a key file).
 */
export async function createActor(options: CreateActorOptions): Promise<OpenActor> {
  const { store, dataDir, backend, origin, name, type } = options;
  if (!ACTOR_NAME.test(name)) {
    throw new AppError(
      'VALIDATION_FAILED',
      'an actor name is 1 to 63 of a-z, 0-9, _ and -, starting with a letter or digit',
    );
  }
  checkOrigin(origin);
  const actors = actorsSublevel(store);
  if ((await actors.get(name)) !== undefined) throw new AppError('ACTOR_EXISTS');
  const id = actorId(origin, name);
  const keys = generateActorKeys({ id, name, type, origin }, backend);
  try {
    await writeActorKeys(dataDir, keys);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new AppError('ACTOR_EXISTS');
    throw error;
  }
  try {
    const ledger = await LedgerService.open(ledgerOptions(options, keys));
    const now = (options.now ?? (() => new Date()))();
    const record: ActorRecord = {
      id,
      name,
      type,
      origin,
      currency: options.currency ?? 'EUR',
      createdAt: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
    await ledger.initialize({
      actorType: type,
      currency: record.currency,
      origin: checkpointOrigin(id),
      ...(options.by === undefined ? {} : { by: options.by }),
      extraOps: [{ type: 'put', sublevel: actors, key: name, value: jsonValue(record) }],
    });
    return { record, keys, ledger };
  } catch (error) {
    await removeActorKeys(dataDir, name);
    throw error;
  }
}

/** Opens an existing actor's ledger; `ACTOR_NOT_FOUND` when there is none of that name. */
export async function openActor(context: ActorContext, name: string): Promise<OpenActor> {
  const record = await getActorRecord(context.store, name);
  if (record === undefined) throw new AppError('ACTOR_NOT_FOUND');
  const keys = await readActorKeys(context.dataDir, name, context.backend);
  // Without its key file (a ledger imported from an export) the actor is served read-only.
  const ledger = await LedgerService.open(
    keys === undefined ? readOnlyOptions(context, record) : ledgerOptions(context, keys),
  );
  return { record, keys, ledger };
}

/** The record of actor `name`, or undefined. */
export async function getActorRecord(store: Store, name: string): Promise<ActorRecord | undefined> {
  if (!ACTOR_NAME.test(name)) return undefined;
  const value = await actorsSublevel(store).get(name);
  return value === undefined ? undefined : parseJsonValue<ActorRecord>(value);
}

/** Every actor of the node, by name. */
export async function listActors(store: Store): Promise<ActorRecord[]> {
  const out: ActorRecord[] = [];
  for await (const [, value] of actorsSublevel(store).entries()) out.push(parseJsonValue<ActorRecord>(value));
  return out;
}

function readOnlyOptions(context: ActorContext, record: ActorRecord) {
  return {
    store: context.store,
    backend: context.backend,
    ...(context.now === undefined ? {} : { now: context.now }),
    actor: { id: record.id, name: record.name },
  };
}

function ledgerOptions(context: ActorContext, keys: ActorKeys) {
  return {
    store: context.store,
    backend: context.backend,
    ...(context.now === undefined ? {} : { now: context.now }),
    actor: {
      id: keys.id,
      name: keys.name,
      ledgerSecretKey: keys.ledger.secretKey,
      checkpointSecretKey: keys.checkpoint.secretKey,
    },
  };
}
