/**
 * The private side of an expense: payout details and the filer's e-mail, kept on the node apart
 * from the ledger (SPEC.md §5.4). The public entry carries only `hex(SHA-256(salt || value))`;
 * the salt and value stay here so that the host can be shown them and check the commitment.
 * Each filed expense also gets a follow link whose token is random and stored only as a hash.
 */
import { createHash, randomBytes } from 'node:crypto';
import { commit as commitWithSalt } from '../../protocol/commitment.ts';
import { nativeBackend } from '../crypto/native.ts';
import { jsonValue, parseJsonValue } from '../storage/codec.ts';
import type { BatchOp, Store, Sublevel } from '../storage/types.ts';
import type { Attachment } from './attachments.ts';

/** A committed private value. */
export interface Committed {
  value: string;
  /** Hex of the random salt (16 bytes). */
  salt: string;
  /** Hex SHA-256(salt || UTF-8(value)). */
  commitment: string;
}

export interface PrivateExpense {
  actor: string;
  /** Leaf hash of the public `Expense` entry. */
  expense: string;
  payout?: Committed;
  email?: Committed;
}

/** Commits to `value` (protocol/commitment.ts) with a fresh 16-byte salt from node:crypto. */
export function commit(value: string): Committed {
  const salt = randomBytes(16);
  return { value, salt: salt.toString('hex'), commitment: commitWithSalt(value, salt, nativeBackend) };
}

function followKey(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * The private expense store, on sublevels `private/expenses`, `private/follow` and
 * `private/attachments` (file bytes keyed `actor/sha256`: content-addressed per actor, so an
 * admin of one actor can never read another's files by guessing a hash).
 */
export class PrivateExpenseStore {
  readonly #expenses: Sublevel;
  readonly #follow: Sublevel;
  readonly #attachments: Sublevel;
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
    this.#expenses = store.sublevel('private', 'expenses');
    this.#follow = store.sublevel('private', 'follow');
    this.#attachments = store.sublevel('private', 'attachments');
  }

  /**
   * Keeps the private data of an acknowledged expense (and the bytes of its checked attachments)
   * and returns a fresh follow token (shown to the filer once). Written before the response,
   * with fsync, in one batch.
   */
  async save(record: PrivateExpense, attachments: readonly Attachment[] = []): Promise<string> {
    const token = randomBytes(24).toString('base64url');
    const files: BatchOp[] = attachments.map((file) => ({
      type: 'put',
      sublevel: this.#attachments,
      key: `${record.actor}/${file.sha256}`,
      value: file.bytes,
    }));
    await this.#store.batch(
      [
        ...files,
        {
          type: 'put',
          sublevel: this.#expenses,
          key: `${record.actor}/${record.expense}`,
          value: jsonValue(record),
        },
        {
          type: 'put',
          sublevel: this.#follow,
          key: followKey(token),
          value: jsonValue({ actor: record.actor, expense: record.expense }),
        },
      ],
      { sync: true },
    );
    return token;
  }

  async get(actor: string, expense: string): Promise<PrivateExpense | undefined> {
    const bytes = await this.#expenses.get(`${actor}/${expense}`);
    return bytes === undefined ? undefined : parseJsonValue<PrivateExpense>(bytes);
  }

  /** The bytes of an attachment filed with an expense of `actor`, or undefined. */
  async attachment(actor: string, sha256: string): Promise<Uint8Array | undefined> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) return undefined;
    return this.#attachments.get(`${actor}/${sha256}`);
  }

  /** How many attachment files are stored for `actor` (for checks that nothing was written). */
  async attachmentCount(actor: string): Promise<number> {
    let count = 0;
    for await (const _ of this.#attachments.keys({ gt: `${actor}/`, lt: `${actor}0` })) count++;
    return count;
  }

  /** The expense a follow token opens, or undefined. */
  async resolveFollow(token: string): Promise<{ actor: string; expense: string } | undefined> {
    if (!/^[A-Za-z0-9_-]{32}$/.test(token)) return undefined;
    const bytes = await this.#follow.get(followKey(token));
    return bytes === undefined ? undefined : parseJsonValue(bytes);
  }
}
