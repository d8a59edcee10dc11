/**
 * The auditor's HTTP client: GET only, every hop (redirects included) through the node's address
 * guard (node/net/guard.ts), so that a ledger URL or a WebFinger answer cannot point the auditor at
 * a private address unless CAGNOTTE_ALLOW_PRIVATE_ADDRESS=1; bodies are capped, answers time out.
 * node:http is used rather than fetch because its agent takes the guard's `lookup`, which pins the
 * address that was checked.
 */
import type { Agent as HttpAgent, IncomingMessage } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { checkUrl, type GuardOptions, guardedLookup } from '../../node/net/guard.ts';

// Loaded on first use: an audit of a file never fetches, and importing node:http through ESM
// loads Node's bundled fetch with it (25 ms of every `cagnotte verify` start).
const httpModule = () => process.getBuiltinModule('node:http') as typeof import('node:http');
const httpsModule = () => process.getBuiltinModule('node:https') as typeof import('node:https');

/** A fetch that failed (network, status, size, guard): the auditor exits 2 on it. */
export class FetchError extends Error {
  override name = 'FetchError';
  readonly url: string;
  readonly status: number | undefined;
  constructor(url: string, message: string, status?: number) {
    super(`${url}: ${message}`);
    this.url = url;
    this.status = status;
  }
}

/** A request on a pooled keep-alive connection that the server had closed: asked again once. */
class StaleSocketError extends FetchError {
  override name = 'StaleSocketError';
}

type Answer = { body: Uint8Array } | { location: string };

/** Options of {@link HttpClient}. */
export interface HttpClientOptions {
  allowPrivateAddress: boolean;
  /** Resolver for the guard (tests); the system resolver by default. */
  resolve?: GuardOptions['resolve'];
  timeoutMs?: number;
  maxRedirects?: number;
}

/** One GET's limits. */
export interface GetOptions {
  accept: string;
  maxBytes: number;
}

/** A guarded HTTP client with keep-alive agents; {@link close} when done. */
export class HttpClient {
  readonly #guard: GuardOptions;
  readonly #http: HttpAgent;
  readonly #https: HttpsAgent;
  readonly #timeoutMs: number;
  readonly #maxRedirects: number;
  /** Requests made, for the report. */
  requests = 0;

  constructor(options: HttpClientOptions) {
    this.#guard = {
      allowPrivateAddress: options.allowPrivateAddress,
      ...(options.resolve ? { resolve: options.resolve } : {}),
    };
    const lookup = guardedLookup(this.#guard) as never;
    this.#http = new (httpModule().Agent)({ keepAlive: true, maxSockets: 4, lookup });
    this.#https = new (httpsModule().Agent)({ keepAlive: true, maxSockets: 4, lookup });
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#maxRedirects = options.maxRedirects ?? 5;
  }

  /** Whether private addresses are allowed (loopback nodes in tests). */
  get allowPrivateAddress(): boolean {
    return this.#guard.allowPrivateAddress;
  }

  /** GETs `url`: the body of a 200 answer, after at most `maxRedirects` checked redirects. */
  async get(url: string, options: GetOptions): Promise<Uint8Array> {
    let current = url;
    for (let hop = 0; hop <= this.#maxRedirects; hop++) {
      const checked = await checkUrl(current, this.#guard);
      if (!checked.ok) throw new FetchError(current, `refused (${checked.reason.type})`);
      const answer = await this.#onceRetryingStaleSocket(current, options);
      if ('location' in answer) {
        current = new URL(answer.location, current).href;
        continue;
      }
      return answer.body;
    }
    throw new FetchError(url, `more than ${this.#maxRedirects} redirects`);
  }

  /** GETs and parses JSON. */
  async getJson(url: string, options: GetOptions): Promise<unknown> {
    const body = await this.get(url, options);
    try {
      return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
    } catch {
      throw new FetchError(url, 'the answer is not JSON');
    }
  }

  /** Closes the keep-alive connections. */
  close(): void {
    this.#http.destroy();
    this.#https.destroy();
  }

  /**
   * A keep-alive connection the server closed while it sat idle in the pool fails on its next
   * request with ECONNRESET, before any answer: the request was never served, and a GET is asked
   * again once, on a new connection (the pattern Node's documentation gives for `reusedSocket`).
   */
  async #onceRetryingStaleSocket(url: string, options: GetOptions): Promise<Answer> {
    try {
      return await this.#once(url, options);
    } catch (error) {
      if (!(error instanceof StaleSocketError)) throw error;
      return this.#once(url, options);
    }
  }

  #once(url: string, options: GetOptions): Promise<Answer> {
    this.requests += 1;
    const https = url.startsWith('https:');
    const send = https ? httpsModule().request : httpModule().request;
    return new Promise((resolve, reject) => {
      const request = send(url, {
        method: 'GET',
        agent: https ? this.#https : this.#http,
        headers: { accept: options.accept, 'user-agent': 'cagnotte-verify' },
        timeout: this.#timeoutMs,
      });
      request.on('timeout', () => request.destroy(new FetchError(url, 'timed out')));
      request.on('error', (error) => {
        if (request.reusedSocket && (error as { code?: string }).code === 'ECONNRESET')
          reject(new StaleSocketError(url, (error as Error).message));
        else reject(error instanceof FetchError ? error : new FetchError(url, (error as Error).message));
      });
      request.on('response', (response: IncomingMessage) => {
        const status = response.statusCode ?? 0;
        if (status >= 300 && status < 400 && response.headers.location) {
          response.resume();
          resolve({ location: response.headers.location });
          return;
        }
        if (status !== 200) {
          response.resume();
          reject(new FetchError(url, `HTTP ${status}`, status));
          return;
        }
        const declared = Number(response.headers['content-length'] ?? 0);
        if (declared > options.maxBytes) {
          response.destroy();
          reject(new FetchError(url, `the answer is larger than ${options.maxBytes} bytes`));
          return;
        }
        const chunks: Buffer[] = [];
        let length = 0;
        response.on('data', (chunk: Buffer) => {
          length += chunk.length;
          if (length > options.maxBytes) {
            response.destroy(new FetchError(url, `the answer is larger than ${options.maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        response.on('error', (error) =>
          reject(error instanceof FetchError ? error : new FetchError(url, error.message)),
        );
        response.on('end', () => resolve({ body: new Uint8Array(Buffer.concat(chunks, length)) }));
      });
      request.end();
    });
  }
}
