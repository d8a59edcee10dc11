/**
 * The node's configuration: defaults, then an optional JSON file, then `CAGNOTTE_*` environment
 * variables, then explicit overrides (CLI flags), validated in one pass so that an operator sees
 * every problem at once. This is the only module that reads `process.env`.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';

/** A per-route rate limit: at most `max` requests per `windowMs` from one client address. */
export interface RateLimit {
  max: number;
  windowMs: number;
}

export interface Config {
  /** TCP port to listen on. */
  port: number;
  /** Interface to bind: `localhost` by default, `0.0.0.0` in a container. */
  host: string;
  /** Absolute path of the data directory (LevelDB, keys, private files). */
  dataDir: string;
  /**
   * The node's public base URL without a trailing slash (`https://collective.example`); every
   * actor and entry id is built from it. Plain http is allowed for loopback origins only.
   */
  origin: string;
  /** Fastify's `trustProxy`: false, true, a hop count, or a comma-separated list of addresses. */
  trustProxy: boolean | number | string;
  /** Let federation fetch private and loopback addresses (local testing only). */
  allowPrivateAddress: boolean;
  /** Largest request body in bytes. */
  bodyLimit: number;
  /** Deepest nesting of arrays and objects accepted in a JSON body. */
  jsonDepthLimit: number;
  /** How long a login session lasts, in seconds. */
  sessionTtlSeconds: number;
  rateLimits: { login: RateLimit; publicExpense: RateLimit };
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

/** Everything a file, the environment or a flag may set. */
export type ConfigInput = Partial<Omit<Config, 'rateLimits'>> & {
  rateLimits?: { login?: Partial<RateLimit>; publicExpense?: Partial<RateLimit> };
};

/** Thrown when the configuration is invalid; `problems` lists every one, each a full sentence. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const KNOWN_KEYS = new Set([
  'port',
  'host',
  'dataDir',
  'origin',
  'trustProxy',
  'allowPrivateAddress',
  'bodyLimit',
  'jsonDepthLimit',
  'sessionTtlSeconds',
  'rateLimits',
  'logLevel',
]);

/** Environment variable → config key. */
const ENV = {
  CAGNOTTE_PORT: 'port',
  CAGNOTTE_HOST: 'host',
  CAGNOTTE_DATA: 'dataDir',
  CAGNOTTE_ORIGIN: 'origin',
  CAGNOTTE_TRUST_PROXY: 'trustProxy',
  CAGNOTTE_ALLOW_PRIVATE_ADDRESS: 'allowPrivateAddress',
  CAGNOTTE_BODY_LIMIT: 'bodyLimit',
  CAGNOTTE_JSON_DEPTH_LIMIT: 'jsonDepthLimit',
  CAGNOTTE_SESSION_TTL: 'sessionTtlSeconds',
  CAGNOTTE_LOG_LEVEL: 'logLevel',
} as const;

export interface LoadConfigOptions {
  /** A JSON config file; defaults to `$CAGNOTTE_CONFIG` when set. */
  file?: string;
  /** The environment (defaults to `process.env`); tests pass their own. */
  env?: Record<string, string | undefined>;
  /** Values that win over file and environment (CLI flags). */
  overrides?: ConfigInput;
  /** Directory relative paths are resolved against (defaults to the working directory). */
  cwd?: string;
}

/** Reads, merges and validates the configuration; throws {@link ConfigError} listing every problem. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const problems: string[] = [];
  const file = options.file ?? env.CAGNOTTE_CONFIG;
  let fromFile: Record<string, unknown> = {};
  if (file !== undefined && file !== '') {
    fromFile = readConfigFile(resolve(options.cwd ?? process.cwd(), file), problems);
  }
  const fromEnv: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(ENV)) {
    const value = env[name];
    if (value !== undefined && value !== '') fromEnv[key] = value;
  }
  const merged: Record<string, unknown> = {
    ...fromFile,
    ...fromEnv,
    ...stripUndefined(options.overrides ?? {}),
  };
  const config = validateConfig(merged, problems, options.cwd ?? process.cwd());
  if (problems.length > 0 || config === undefined) throw new ConfigError(problems);
  return config;
}

function stripUndefined(input: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
}

function readConfigFile(path: string, problems: string[]): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    problems.push(`cannot read the config file ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`);
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    problems.push(`the config file ${path} is not valid JSON: ${(error as Error).message}`);
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    problems.push(`the config file ${path} must hold a JSON object`);
    return {};
  }
  for (const key of Object.keys(parsed)) {
    if (!KNOWN_KEYS.has(key)) problems.push(`the config file ${path} has an unknown key "${key}"`);
  }
  return parsed as Record<string, unknown>;
}

/** Validates merged raw values (strings from the environment are converted here). */
export function validateConfig(
  raw: Record<string, unknown>,
  problems: string[],
  cwd: string,
): Config | undefined {
  const before = problems.length;
  const port = integer(raw.port ?? 8080, 'port', 0, 65535, problems);
  const host = text(raw.host ?? 'localhost', 'host', problems);
  const dataDir = resolve(cwd, text(raw.dataDir ?? './data', 'dataDir (CAGNOTTE_DATA)', problems) || '.');
  const origin = parseOrigin(raw.origin ?? `http://localhost:${port}`, problems);
  const trustProxy = parseTrustProxy(raw.trustProxy ?? false, problems);
  const allowPrivateAddress = flag(raw.allowPrivateAddress ?? false, 'allowPrivateAddress', problems);
  const bodyLimit = integer(raw.bodyLimit ?? 256 * 1024, 'bodyLimit', 1024, 64 * 1024 * 1024, problems);
  const jsonDepthLimit = integer(raw.jsonDepthLimit ?? 32, 'jsonDepthLimit', 2, 1000, problems);
  const sessionTtlSeconds = integer(
    raw.sessionTtlSeconds ?? 7 * 24 * 3600,
    'sessionTtlSeconds',
    60,
    366 * 24 * 3600,
    problems,
  );
  const logLevel = raw.logLevel ?? 'info';
  if (!LOG_LEVELS.includes(logLevel as Config['logLevel'])) {
    problems.push(`logLevel must be one of ${LOG_LEVELS.join(', ')} (got ${JSON.stringify(logLevel)})`);
  }
  const rateLimits = parseRateLimits(raw.rateLimits, problems);
  if (problems.length > before) return undefined;
  return {
    port,
    host,
    dataDir,
    origin,
    trustProxy,
    allowPrivateAddress,
    bodyLimit,
    jsonDepthLimit,
    sessionTtlSeconds,
    rateLimits,
    logLevel: logLevel as Config['logLevel'],
  };
}

function integer(value: unknown, name: string, min: number, max: number, problems: string[]): number {
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value.trim()) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min || n > max) {
    problems.push(`${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`);
    return min;
  }
  return n;
}

function text(value: unknown, name: string, problems: string[]): string {
  if (typeof value !== 'string' || value.trim() === '') {
    problems.push(`${name} must be a non-empty string (got ${JSON.stringify(value)})`);
    return '';
  }
  return value.trim();
}

function flag(value: unknown, name: string, problems: string[]): boolean {
  if (typeof value === 'boolean') return value;
  if (value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  problems.push(`${name} must be true/false or 1/0 (got ${JSON.stringify(value)})`);
  return false;
}

/** True for `localhost`, `*.localhost`, 127.0.0.0/8 and ::1: the hosts plain http is allowed on. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1';
  return false;
}

function parseOrigin(value: unknown, problems: string[]): string {
  if (typeof value !== 'string') {
    problems.push(`origin must be a URL string (got ${JSON.stringify(value)})`);
    return '';
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push(
      `origin must be an absolute URL such as https://collective.example (got ${JSON.stringify(value)})`,
    );
    return '';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    problems.push(`origin must use https (got ${url.protocol})`);
  } else if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    problems.push(`origin ${value} uses plain http on a public host; use https (http is for localhost only)`);
  }
  if (url.username || url.password) problems.push('origin must not contain credentials');
  if (url.pathname !== '/' || url.search || url.hash) {
    problems.push(
      `origin must be a bare origin without path, query or fragment (got ${JSON.stringify(value)})`,
    );
  }
  return url.origin;
}

function parseTrustProxy(value: unknown, problems: string[]): boolean | number | string {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'string') {
    const v = value.trim();
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    if (/^\d+$/.test(v)) return Number(v);
    const parts = v.split(',').map((s) => s.trim());
    if (parts.every((p) => isIP(p.split('/')[0] ?? '') !== 0 || p === 'loopback' || p === 'uniquelocal')) {
      return parts.join(',');
    }
  }
  problems.push(
    `trustProxy must be true, false, a hop count or a comma-separated list of proxy addresses (got ${JSON.stringify(value)})`,
  );
  return false;
}

function parseRateLimits(value: unknown, problems: string[]): Config['rateLimits'] {
  const defaults = {
    login: { max: 10, windowMs: 60_000 },
    publicExpense: { max: 5, windowMs: 60_000 },
  };
  if (value === undefined) return defaults;
  if (typeof value !== 'object' || value === null) {
    problems.push('rateLimits must be an object with login and publicExpense');
    return defaults;
  }
  const out = { ...defaults };
  for (const name of ['login', 'publicExpense'] as const) {
    const given = (value as Record<string, unknown>)[name];
    if (given === undefined) continue;
    const g = given as Record<string, unknown>;
    out[name] = {
      max: integer(g.max ?? defaults[name].max, `rateLimits.${name}.max`, 1, 1_000_000, problems),
      windowMs: integer(
        g.windowMs ?? defaults[name].windowMs,
        `rateLimits.${name}.windowMs`,
        1000,
        86_400_000,
        problems,
      ),
    };
  }
  return out;
}

/**
 * The environment a worker thread starts with: this process's, with `extra` set. Here because
 * this is the one module that touches `process.env`; a worker gets a copy of the environment,
 * not what the main thread turned on through APIs (Node's compile cache, for one).
 */
export function workerEnvironment(extra: Record<string, string>): Record<string, string | undefined> {
  return { ...process.env, ...extra };
}
