/**
 * Admin accounts, login sessions and API tokens, kept in the node's store. Each account belongs
 * to one actor (a collective or a host). Secrets handed to clients (session cookies, API tokens)
 * are random 256-bit values of which only the SHA-256 is stored, so a copy of the database
 * does not let anyone sign in.
 */
import { createHash, randomBytes } from 'node:crypto';
import { jsonValue, parseJsonValue } from '../storage/codec.ts';
import type { Store, Sublevel } from '../storage/types.ts';
import {
  hashPassword,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  type ScryptParams,
  verifyPassword,
} from './passwords.ts';

export interface Account {
  /** Stable id, used as the `by` of the entries this admin causes. */
  id: string;
  actor: string;
  username: string;
  /** Optional; compared with an expense's private e-mail to stop self-approval. */
  email?: string;
  passwordHash: string;
  createdAt: string;
}

/** Who a request acts as, once authenticated. */
export interface Principal {
  accountId: string;
  actor: string;
  username: string;
  via: 'session' | 'token';
}

interface SessionRecord {
  accountId: string;
  actor: string;
  username: string;
  expiresAt: number;
}

interface TokenRecord {
  accountId: string;
  actor: string;
  username: string;
  name: string;
  createdAt: string;
}

export const USERNAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** Prefix of API tokens, so that secret scanners and humans recognise one. */
export const TOKEN_PREFIX = 'cgt_';

/** Why an account could not be created. */
export type AccountProblem =
  | { type: 'badUsername' }
  | { type: 'shortPassword'; min: number }
  | { type: 'longPassword'; max: number }
  | { type: 'exists' };

export class AccountError extends Error {
  override name = 'AccountError';
  readonly problem: AccountProblem;
  constructor(problem: AccountProblem) {
    super(describeAccountProblem(problem));
    this.problem = problem;
  }
}

export function describeAccountProblem(problem: AccountProblem): string {
  switch (problem.type) {
    case 'badUsername':
      return 'A user name is 1 to 64 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit.';
    case 'shortPassword':
      return `A password has at least ${problem.min} characters.`;
    case 'longPassword':
      return `A password has at most ${problem.max} characters.`;
    case 'exists':
      return 'An admin with that user name already exists for this actor.';
  }
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function secret(): string {
  return randomBytes(32).toString('base64url');
}

export interface AuthStoreOptions {
  /** Milliseconds since the epoch; tests pass a controllable clock. */
  now?: () => number;
  scrypt?: ScryptParams;
  /**
   * How long a verified API token is trusted from memory before the store is asked again
   * (default 60 s; 0 turns the cache off). Deleting a token through this store forgets it at once;
   * the time limit bounds how long a record removed any other way keeps working.
   */
  tokenCacheMs?: number;
  /** Most tokens remembered (default 1,024); the least recently verified goes first. */
  tokenCacheSize?: number;
}

/** Accounts, sessions and tokens on a {@link Store}. */
export class AuthStore {
  readonly #store: Store;
  readonly #accounts: Sublevel;
  readonly #sessions: Sublevel;
  readonly #tokens: Sublevel;
  readonly #now: () => number;
  readonly #scrypt: ScryptParams | undefined;
  /**
   * Verified tokens by their hash (never the token itself), so that a script's every request does
   * not cost a store read. Only hits are kept: unknown tokens cannot crowd out real ones.
   */
  readonly #tokenCache = new Map<string, { principal: Principal; until: number }>();
  readonly #tokenCacheMs: number;
  readonly #tokenCacheSize: number;
  /** Bumped by every delete, so that a lookup that read the store before it does not cache. */
  #tokenDeletes = 0;

  constructor(store: Store, options: AuthStoreOptions = {}) {
    this.#store = store;
    this.#accounts = store.sublevel('auth', 'accounts');
    this.#sessions = store.sublevel('auth', 'sessions');
    this.#tokens = store.sublevel('auth', 'tokens');
    this.#now = options.now ?? Date.now;
    this.#scrypt = options.scrypt;
    this.#tokenCacheMs = options.tokenCacheMs ?? 60_000;
    this.#tokenCacheSize = options.tokenCacheSize ?? 1024;
  }

  /** Checks a new account's fields without writing; throws {@link AccountError}. */
  static checkNewAccount(username: string, password: string): void {
    if (!USERNAME.test(username)) throw new AccountError({ type: 'badUsername' });
    if (password.length < MIN_PASSWORD_LENGTH)
      throw new AccountError({ type: 'shortPassword', min: MIN_PASSWORD_LENGTH });
    if (password.length > MAX_PASSWORD_LENGTH)
      throw new AccountError({ type: 'longPassword', max: MAX_PASSWORD_LENGTH });
  }

  /**
   * Creates an admin of `actor`; `actorId` is the actor's URL, the account id is
   * `${actorId}/admins/${username}`.
   */
  async createAccount(input: {
    actor: string;
    actorId: string;
    username: string;
    password: string;
    email?: string;
  }): Promise<Account> {
    AuthStore.checkNewAccount(input.username, input.password);
    const key = `${input.actor}/${input.username}`;
    if ((await this.#accounts.get(key)) !== undefined) throw new AccountError({ type: 'exists' });
    const account: Account = {
      id: `${input.actorId}/admins/${input.username}`,
      actor: input.actor,
      username: input.username,
      ...(input.email ? { email: input.email.trim().toLowerCase() } : {}),
      passwordHash: await hashPassword(input.password, this.#scrypt),
      createdAt: new Date(this.#now()).toISOString(),
    };
    await this.#accounts.put(key, jsonValue(account), { sync: true });
    return account;
  }

  async getAccount(actor: string, username: string): Promise<Account | undefined> {
    const bytes = await this.#accounts.get(`${actor}/${username}`);
    return bytes === undefined ? undefined : parseJsonValue<Account>(bytes);
  }

  /** Every admin of `actor`. */
  async listAccounts(actor: string): Promise<Account[]> {
    const out: Account[] = [];
    for await (const [, value] of this.#accounts.entries({ gt: `${actor}/`, lt: `${actor}/\uffff` })) {
      out.push(parseJsonValue<Account>(value));
    }
    return out;
  }

  /** The account if the password is right; the same work is done when the user does not exist. */
  async checkPassword(actor: string, username: string, password: string): Promise<Account | undefined> {
    const account = USERNAME.test(username) ? await this.getAccount(actor, username) : undefined;
    // Hash anyway so that response times do not reveal which user names exist.
    const ok = await verifyPassword(password, account?.passwordHash ?? DUMMY_HASH);
    return ok && account ? account : undefined;
  }

  /** Opens a session; returns the cookie value. */
  async createSession(account: Account, ttlSeconds: number): Promise<{ token: string; expiresAt: number }> {
    const token = secret();
    const record: SessionRecord = {
      accountId: account.id,
      actor: account.actor,
      username: account.username,
      expiresAt: this.#now() + ttlSeconds * 1000,
    };
    await this.#sessions.put(sha256Hex(token), jsonValue(record));
    return { token, expiresAt: record.expiresAt };
  }

  /** The session's principal, or undefined when unknown or expired (an expired one is removed). */
  async resolveSession(token: string): Promise<Principal | undefined> {
    if (token.length > 100) return undefined;
    const key = sha256Hex(token);
    const bytes = await this.#sessions.get(key);
    if (bytes === undefined) return undefined;
    const record = parseJsonValue<SessionRecord>(bytes);
    if (record.expiresAt <= this.#now()) {
      await this.#sessions.del(key);
      return undefined;
    }
    return { accountId: record.accountId, actor: record.actor, username: record.username, via: 'session' };
  }

  async deleteSession(token: string): Promise<void> {
    await this.#sessions.del(sha256Hex(token));
  }

  /** Creates an API token for `account`; the token is returned once and only its hash is kept. */
  async createToken(account: Account, name: string): Promise<string> {
    const token = `${TOKEN_PREFIX}${secret()}`;
    const record: TokenRecord = {
      accountId: account.id,
      actor: account.actor,
      username: account.username,
      name,
      createdAt: new Date(this.#now()).toISOString(),
    };
    await this.#tokens.put(sha256Hex(token), jsonValue(record), { sync: true });
    return token;
  }

  /** Revokes an API token. */
  async deleteToken(token: string): Promise<void> {
    const key = sha256Hex(token);
    const forget = () => {
      this.#tokenDeletes++;
      this.#tokenCache.delete(key);
    };
    // Before and after the write: a lookup overlapping it in any way cannot leave it cached.
    forget();
    await this.#tokens.del(key, { sync: true });
    forget();
  }

  /** The token's principal, or undefined; answered from memory within the cache's time limit. */
  async resolveToken(token: string): Promise<Principal | undefined> {
    if (!token.startsWith(TOKEN_PREFIX) || token.length > 100) return undefined;
    const key = sha256Hex(token);
    const now = this.#now();
    const cached = this.#tokenCache.get(key);
    if (cached !== undefined) {
      this.#tokenCache.delete(key);
      if (cached.until > now) {
        this.#tokenCache.set(key, cached); // most recently used last
        return { ...cached.principal };
      }
    }
    const deletes = this.#tokenDeletes;
    const bytes = await this.#tokens.get(key);
    if (bytes === undefined) return undefined;
    const record = parseJsonValue<TokenRecord>(bytes);
    const principal: Principal = {
      accountId: record.accountId,
      actor: record.actor,
      username: record.username,
      via: 'token',
    };
    // A delete during the read may have removed this very token: answer, but do not remember it.
    if (this.#tokenCacheMs > 0 && this.#tokenCacheSize > 0 && deletes === this.#tokenDeletes) {
      this.#tokenCache.set(key, { principal: { ...principal }, until: now + this.#tokenCacheMs });
      while (this.#tokenCache.size > this.#tokenCacheSize) {
        const oldest = this.#tokenCache.keys().next().value as string;
        this.#tokenCache.delete(oldest);
      }
    }
    return principal;
  }

  /** The store the records live in (for callers that batch with other writes). */
  get store(): Store {
    return this.#store;
  }
}

/** A valid hash of a random password, verified against when the user does not exist. */
const DUMMY_HASH = `scrypt$32768$8$1$${randomBytes(16).toString('base64url')}$${randomBytes(32).toString('base64url')}`;
