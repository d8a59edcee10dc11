/**
 * Where a ledger comes from: a bulk export file (node/export/bulk.ts: actor document, entry lines,
 * checkpoint line), or a node over HTTP (the actor document, the outbox walked from its oldest page
 * to its newest, the checkpoint and proofs from the node's API). Both stream: entries are handed
 * out one at a time and nothing is kept. An I/O problem throws a {@link ReadError} (exit 2); a
 * content problem is a verification failure, reported by the caller.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { splitLines } from '../../node/export/bulk.ts';
import { type AuditedActor, parseActorDocument, parseCheckpointLine } from '../../protocol/audit/actor.ts';
import { fromHex, fromUtf8 } from '../../protocol/encoding.ts';
import { FetchError, type HttpClient } from './http.ts';
import { LineError, lineBatches, parseJson, parseLine } from './lines.ts';

/** The ledger could not be read or fetched (exit 2). */
export class ReadError extends Error {
  override name = 'ReadError';
}

/** The source's content is not a ledger export/actor at all (exit 1, a verification failure). */
export class ContentError extends Error {
  override name = 'ContentError';
  readonly failure: { type: 'sourceMalformed'; problem: string; seq?: number };
  constructor(problem: string, seq?: number) {
    super(problem);
    this.failure = { type: 'sourceMalformed', problem, ...(seq === undefined ? {} : { seq }) };
  }
}

/** One entry as a source hands it out: parsed, with its bytes when it came as a line. */
export interface SourceEntry {
  /** Undefined when the line is not JSON. */
  value: unknown;
  /** The bytes the value was parsed from (lets the audit skip re-serializing a canonical line). */
  line?: Uint8Array;
  notJson?: true;
}

/** A source's entries one at a time (see {@link LedgerSource.entryBatches}). */
export async function* entriesOf(
  source: LedgerSource,
  size: number,
  from?: number,
): AsyncIterable<SourceEntry> {
  for await (const batch of source.entryBatches(size, from)) yield* batch;
}

/** A ledger to audit. */
export interface LedgerSource {
  readonly label: string;
  readonly kind: 'file' | 'http';
  actor(): Promise<AuditedActor>;
  /** The latest checkpoint note. */
  checkpoint(): Promise<string>;
  /**
   * The entries oldest first from seq `from` (default 0), up to seq `size` (a file hands out all
   * it has), a batch at a time (a read's lines, a page): the audit spends a few microseconds per
   * entry, and a promise per entry would be one more. Re-openable.
   */
  entryBatches(size: number, from?: number): AsyncIterable<SourceEntry[]>;
  /** One entry (HTTP only: a file is streamed instead). */
  entry?(seq: number): Promise<SourceEntry>;
  inclusionProof?(seq: number, size: number): Promise<Uint8Array[]>;
  consistencyProof?(from: number, to: number): Promise<Uint8Array[]>;
  close(): void;
}

const MAX_TAIL_BYTES = 256 * 1024;
const ACTIVITY_JSON =
  'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"';
const MAX_ACTOR_BYTES = 1024 * 1024;
const MAX_PAGE_BYTES = 8 * 1024 * 1024;
const MAX_ENTRY_BYTES = 64 * 1024 + 1024;
/** Entries per API page (the node's maximum). */
const API_PAGE = 500;

/** Options of {@link FileSource}. */
export interface FileSourceOptions {
  /**
   * Byte length of the entry lines before the resumed seq (after line 1, newlines included), as
   * saved with the audit state: a resumed walk seeks past them instead of reading them.
   */
  skipBytes?: number;
}

/** A bulk export file. */
export class FileSource implements LedgerSource {
  readonly kind = 'file' as const;
  readonly label: string;
  readonly #path: string;
  readonly #skipBytes: number | undefined;
  #entryBytes: number | undefined;
  /** The saved byte length did not land on the resumed seq's line: the lines were counted instead. */
  seekMissed = false;

  constructor(path: string, options: FileSourceOptions = {}) {
    this.#path = path;
    this.label = path;
    this.#skipBytes = options.skipBytes;
  }

  /**
   * Byte length of all the entry lines (after line 1, newlines included), once a walk reached the
   * checkpoint line: what to save for a later resumed walk to seek past.
   */
  get entryBytes(): number | undefined {
    return this.#entryBytes;
  }

  async actor(): Promise<AuditedActor> {
    for await (const line of this.#lines()) {
      const parsed = parseActorDocument(parseJson(line));
      if (!parsed.ok) throw new ContentError(`line 1: ${parsed.problem}`);
      return parsed.actor;
    }
    throw new ContentError('the file is empty');
  }

  async checkpoint(): Promise<string> {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(this.#path, 'r');
    } catch (error) {
      throw new ReadError(`cannot read ${this.#path}: ${(error as Error).message}`);
    }
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, MAX_TAIL_BYTES);
      const tail = new Uint8Array(length);
      await handle.read(tail, 0, length, size - length);
      if (tail[length - 1] !== 10)
        throw new ContentError('the file does not end with a newline (truncated?)');
      const start = tail.lastIndexOf(10, length - 2) + 1;
      const parsed = parseCheckpointLine(parseJson(tail.subarray(start, length - 1)));
      if (!parsed.ok) throw new ContentError(parsed.problem);
      return parsed.note;
    } finally {
      await handle.close();
    }
  }

  async *entryBatches(_size?: number, from = 0): AsyncIterable<SourceEntry[]> {
    this.#entryBytes = undefined;
    if (from > 0 && this.#skipBytes !== undefined) {
      // Export lines are the exact leaf bytes, so a wrong length lands off the entry's line and is
      // seen here (not JSON, or another seq); past it, `prev` and the new root vouch for the rest.
      const start = (await this.#firstLineBytes()) + this.#skipBytes;
      const batches = this.#lineBatches(start)[Symbol.asyncIterator]();
      const first = await batches.next();
      const line = first.done ? undefined : first.value[0];
      const value = line === undefined ? undefined : parseJson(line);
      if (!first.done && (value as { seq?: unknown } | undefined)?.seq === from) {
        yield* this.#entryLines(this.#skipBytes, first.value, batches);
        return;
      }
      await batches.return?.();
      this.seekMissed = true;
    }
    const batches = this.#lineBatches()[Symbol.asyncIterator]();
    let bytes = 0;
    // The actor line, then the entries before `from`: skipped unparsed (a resumed audit).
    let skip = from + 1;
    let index = 0;
    let rest: Uint8Array[] = [];
    while (skip > 0) {
      const next = await batches.next();
      if (next.done) return;
      const taken = Math.min(skip, next.value.length);
      for (let k = 0; k < taken; k++, index++) {
        if (index > 0) bytes += (next.value[k] as Uint8Array).length + 1;
      }
      skip -= taken;
      rest = next.value.slice(taken);
    }
    yield* this.#entryLines(bytes, rest, batches);
  }

  /** Hands out entry lines; the last line is the checkpoint, not an entry (one line of lookahead). */
  async *#entryLines(
    offset: number,
    first: Uint8Array[],
    rest: AsyncIterator<Uint8Array[]>,
  ): AsyncIterable<SourceEntry[]> {
    let bytes = offset;
    let held: Uint8Array | undefined;
    try {
      for (let batch = first; ; ) {
        const entries: SourceEntry[] = [];
        for (const line of batch) {
          if (held !== undefined) {
            bytes += held.length + 1;
            entries.push(parseLine(held));
          }
          held = line;
        }
        if (entries.length > 0) yield entries;
        const next = await rest.next();
        if (next.done) break;
        batch = next.value;
      }
      this.#entryBytes = bytes;
    } finally {
      await rest.return?.();
    }
  }

  /** The file's lines from byte `start`, a read's worth at a time (see lines.ts). */
  async *#lineBatches(start = 0): AsyncIterable<Uint8Array[]> {
    // Reads of 256 KiB: each read costs a turn of the stream and of three async iterators, and
    // each line cut by a read's end a copy; reading and splitting took 1.3-1.6 us a line at 64
    // KiB (some 60 entries a read), 0.7-1.1 at 256 KiB, and 1 MiB saves little more.
    const stream = createReadStream(this.#path, { highWaterMark: 256 * 1024, start });
    try {
      yield* lineBatches(stream);
    } catch (error) {
      if (error instanceof LineError) throw new ContentError(error.message);
      throw new ReadError(`cannot read ${this.#path}: ${(error as Error).message}`);
    } finally {
      stream.destroy();
    }
  }

  async #firstLineBytes(): Promise<number> {
    for await (const line of this.#lines()) return line.length + 1;
    throw new ContentError('the file is empty');
  }

  close(): void {}

  async *#lines(start = 0): AsyncIterable<Uint8Array> {
    const stream = createReadStream(this.#path, { highWaterMark: 64 * 1024, start });
    try {
      for await (const line of splitLines(stream)) yield line;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'IMPORT_INVALID')
        throw new ContentError(
          (error as { details?: { problem?: string } }).details?.problem ?? (error as Error).message,
        );
      throw new ReadError(`cannot read ${this.#path}: ${(error as Error).message}`);
    } finally {
      stream.destroy();
    }
  }
}

/** A node serving the actor over HTTP (ActivityPub outbox and the node's ledger API). */
export class HttpSource implements LedgerSource {
  readonly kind = 'http' as const;
  readonly label: string;
  readonly #client: HttpClient;
  readonly #actorUrl: string;
  #actor: AuditedActor | undefined;

  constructor(client: HttpClient, actorUrl: string) {
    this.#client = client;
    this.#actorUrl = actorUrl;
    this.label = actorUrl;
  }

  async actor(): Promise<AuditedActor> {
    const doc = await this.#get(() =>
      this.#client.getJson(this.#actorUrl, { accept: ACTIVITY_JSON, maxBytes: MAX_ACTOR_BYTES }),
    );
    const parsed = parseActorDocument(doc);
    if (!parsed.ok) throw new ContentError(parsed.problem);
    if (new URL(parsed.actor.id).origin !== new URL(this.#actorUrl).origin)
      throw new ContentError(`the actor's id ${parsed.actor.id} is not on ${new URL(this.#actorUrl).origin}`);
    this.#actor = parsed.actor;
    return parsed.actor;
  }

  async checkpoint(): Promise<string> {
    const url = `${await this.#api()}/checkpoint`;
    const bytes = await this.#get(() =>
      this.#client.get(url, { accept: 'text/plain', maxBytes: 128 * 1024 }),
    );
    return fromUtf8(bytes);
  }

  async *entryBatches(size: number, from = 0): AsyncIterable<SourceEntry[]> {
    if (from > 0) {
      yield* this.#entriesFrom(size, from);
      return;
    }
    if (size === 0) return;
    const actor = await this.#known();
    const outbox = actor.outbox ?? `${actor.id}/outbox`;
    const origin = new URL(actor.id).origin;
    const collection = (await this.#get(() =>
      this.#client.getJson(outbox, { accept: ACTIVITY_JSON, maxBytes: MAX_ACTOR_BYTES }),
    )) as Record<string, unknown>;
    let next = typeof collection?.last === 'string' ? collection.last : undefined;
    let given = 0;
    // Every page must bring at least one entry, so a hostile server cannot loop the walk.
    for (let pages = 0; next !== undefined && given < size; pages++) {
      if (pages > size) throw new ContentError('the outbox has more pages than entries');
      const url = next;
      if (new URL(url).origin !== origin)
        throw new ContentError(`an outbox page is off the actor's origin: ${url}`);
      const page = (await this.#get(() =>
        this.#client.getJson(url, { accept: ACTIVITY_JSON, maxBytes: MAX_PAGE_BYTES }),
      )) as Record<string, unknown>;
      const items = Array.isArray(page?.orderedItems) ? [...page.orderedItems].reverse() : [];
      if (items.length === 0) throw new ContentError(`an outbox page has no items: ${url}`);
      const entries = pageEntries(items, size - given, 'object');
      given += entries.length;
      yield entries;
      if (given >= size) return;
      next = typeof page.prev === 'string' ? page.prev : undefined;
    }
  }

  /**
   * Entries `from`..`size` through the node's API pages (`/entries?order=oldest&cursor=`), which
   * start at any seq, unlike the outbox whose pages are fixed from the newest entry.
   */
  async *#entriesFrom(size: number, from: number): AsyncIterable<SourceEntry[]> {
    const api = await this.#api();
    let cursor: number | undefined = from;
    let expected = from;
    while (cursor !== undefined && expected < size) {
      const url = `${api}/entries?order=oldest&cursor=${cursor}&limit=${API_PAGE}`;
      const page = (await this.#get(() =>
        this.#client.getJson(url, { accept: 'application/json', maxBytes: MAX_PAGE_BYTES }),
      )) as { items?: unknown; next?: unknown } | null;
      const items = Array.isArray(page?.items) ? page.items : [];
      if (items.length === 0) throw new ContentError(`an entries page has no items: ${url}`);
      const entries = pageEntries(items, size - expected, 'entry');
      expected += entries.length;
      yield entries;
      if (expected >= size) return;
      const next = typeof page?.next === 'string' && /^\d+$/.test(page.next) ? Number(page.next) : undefined;
      // Every page must move forward, so that a hostile server cannot loop the walk.
      if (next !== undefined && next !== expected)
        throw new ContentError(`an entries page skips or repeats: ${url}`);
      cursor = next;
    }
  }

  async entry(seq: number): Promise<SourceEntry> {
    const actor = await this.#known();
    const line = await this.#get(() =>
      this.#client.get(`${actor.id}/ledger/${seq}`, { accept: ACTIVITY_JSON, maxBytes: MAX_ENTRY_BYTES }),
    );
    const value = parseJson(line);
    return value === undefined ? { value, line, notJson: true } : { value, line };
  }

  async inclusionProof(seq: number, size: number): Promise<Uint8Array[]> {
    const answer = await this.#get(async () =>
      this.#client.getJson(`${await this.#api()}/proofs/inclusion?seq=${seq}&size=${size}`, {
        accept: 'application/json',
        maxBytes: 64 * 1024,
      }),
    );
    return hashesOf(answer);
  }

  async consistencyProof(from: number, to: number): Promise<Uint8Array[]> {
    const answer = await this.#get(async () =>
      this.#client.getJson(`${await this.#api()}/proofs/consistency?from=${from}&to=${to}`, {
        accept: 'application/json',
        maxBytes: 64 * 1024,
      }),
    );
    return hashesOf(answer);
  }

  close(): void {
    this.#client.close();
  }

  async #known(): Promise<AuditedActor> {
    return this.#actor ?? (await this.actor());
  }

  /** The node's ledger API for the actor: `<origin>/api/actors/<name>` for `<origin>/actors/<name>`. */
  async #api(): Promise<string> {
    const actor = await this.#known();
    const url = new URL(actor.id);
    const name = url.pathname.split('/').pop() ?? '';
    return `${url.origin}/api/actors/${encodeURIComponent(name)}`;
  }

  async #get<T>(fetch: () => Promise<T>): Promise<T> {
    try {
      return await fetch();
    } catch (error) {
      if (error instanceof FetchError) throw new ReadError(error.message);
      throw error;
    }
  }
}

function hashesOf(answer: unknown): Uint8Array[] {
  const hashes = (answer as { hashes?: unknown } | null)?.hashes;
  if (!Array.isArray(hashes) || !hashes.every((h) => typeof h === 'string' && /^[0-9a-f]{64}$/.test(h)))
    throw new ContentError('the proof answer has no list of hex hashes');
  return hashes.map((h) => fromHex(h as string));
}

/** A page's first `room` items as entries: each item's `field` (an activity's object, an API item's entry). */
function pageEntries(items: unknown[], room: number, field: 'object' | 'entry'): SourceEntry[] {
  return items.slice(0, room).map((item) => ({ value: (item as Record<string, unknown> | null)?.[field] }));
}
