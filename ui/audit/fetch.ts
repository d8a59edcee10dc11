/**
 * The audit page's view of the network: GET raw bytes, nothing else. No cookies are sent (the
 * audit trusts no server, and a ledger is public), answers are capped in size, and anything but
 * a 200 is a fetch failure — the page's "could not fetch" (the CLI's exit 2), never a verdict.
 * Where the ledger is (actor, outbox, checkpoint) follows scripts/verify/sources.ts, so that the
 * page and `cagnotte verify` read the same documents.
 */
import { fromUtf8 } from '../../protocol/encoding.ts';

/** GETs `url`: the body of a 200 answer. Throws a {@link FetchFailure} otherwise. */
export type RawGet = (url: string, options: { accept: string; maxBytes: number }) => Promise<Uint8Array>;

/** The ledger could not be fetched (network, CORS, status, size). */
export class FetchFailure extends Error {
  override name = 'FetchFailure';
}

/** The source's content is not an actor or a ledger (a verification failure, not a fetch one). */
export class ContentProblem extends Error {
  override name = 'ContentProblem';
  readonly seq: number | undefined;
  constructor(problem: string, seq?: number) {
    super(problem);
    this.seq = seq;
  }
}

/**
 * A {@link RawGet} over the Fetch API. `credentials: 'omit'` so that no session of the page's own
 * node rides along; redirects are followed (the browser has no address guard to apply, and a
 * redirect cannot reach anything this page could not fetch directly).
 */
export function fetchGet(fetchImpl: typeof fetch = globalThis.fetch.bind(globalThis)): RawGet {
  return async (url, { accept, maxBytes }) => {
    let response: Response;
    try {
      response = await fetchImpl(url, {
        headers: { accept },
        credentials: 'omit',
        cache: 'no-store',
        redirect: 'follow',
      });
    } catch (error) {
      // A CORS refusal looks exactly like a network error from here.
      throw new FetchFailure(
        `${url}: ${(error as Error).message} (network error, or the server does not allow cross-origin reads)`,
      );
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new FetchFailure(`${url}: HTTP ${response.status}`);
    }
    const declared = Number(response.headers.get('content-length') ?? 0);
    if (declared > maxBytes) {
      await response.body?.cancel();
      throw new FetchFailure(`${url}: the answer is larger than ${maxBytes} bytes`);
    }
    const reader = response.body?.getReader();
    const chunks: Uint8Array[] = [];
    let length = 0;
    for (;;) {
      const read = reader === undefined ? { done: true as const } : await reader.read();
      if (read.done) break;
      length += read.value.length;
      if (length > maxBytes) {
        await reader?.cancel();
        throw new FetchFailure(`${url}: the answer is larger than ${maxBytes} bytes`);
      }
      chunks.push(read.value);
    }
    const body = new Uint8Array(length);
    let at = 0;
    for (const chunk of chunks) {
      body.set(chunk, at);
      at += chunk.length;
    }
    return body;
  };
}

/** GETs and parses JSON (strict UTF-8), as the CLI's client does. */
export async function getJson(get: RawGet, url: string, options: { accept: string; maxBytes: number }) {
  const body = await get(url, options);
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body)) as unknown;
  } catch {
    throw new FetchFailure(`${url}: the answer is not JSON`);
  }
}

/** GETs text. */
export async function getText(get: RawGet, url: string, options: { accept: string; maxBytes: number }) {
  return fromUtf8(await get(url, options));
}
