// Shared by the ledger, export and crash tests: a real LevelDB in a temp dir with one actor,
// and realistic entry bodies.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EntryBody } from '../../protocol/entry/types.ts';
import { createActor, type OpenActor } from '../actors/actors.ts';
import { nativeBackend } from '../crypto/native.ts';
import { type LevelStore, openLevelStore } from '../storage/level.ts';

export const ORIGIN = 'http://localhost:8080';

export interface TempNode {
  dir: string;
  store: LevelStore;
  actor: OpenActor;
  cleanup(): Promise<void>;
}

/** A fresh data dir with a LevelDB and one collective (`repair-cafe`), genesis written. */
export async function tempNode(name = 'repair-cafe', now?: () => Date): Promise<TempNode> {
  const dir = await mkdtemp(join(tmpdir(), 'cagnotte-ledger-'));
  const store = await openLevelStore(join(dir, 'db'));
  const actor = await createActor({
    store,
    dataDir: dir,
    backend: nativeBackend,
    origin: ORIGIN,
    name,
    type: 'Group',
    currency: 'EUR',
    ...(now === undefined ? {} : { now }),
  });
  return {
    dir,
    store,
    actor,
    async cleanup() {
      await actor.ledger.close();
      await store.close().catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function update(i: number): EntryBody {
  return { kind: 'Update', title: `Update ${i}`, body: `News number ${i}.` } as EntryBody;
}

export function contribution(amount: string, contributor = 'Alice'): EntryBody {
  return { kind: 'Contribution', amount, currency: 'EUR', contributor } as EntryBody;
}

export function expense(amount: string, by: string, title = 'Solder and flux'): EntryBody {
  return {
    kind: 'Expense',
    by,
    expenseType: 'receipt',
    title,
    payee: 'Bob',
    items: [{ description: title, amount, incurredOn: '2026-11-20' }],
    amount,
    currency: 'EUR',
    commitments: {},
    attachments: [],
  } as EntryBody;
}

export function approve(expenseHash: string, by: string): EntryBody {
  return { kind: 'ExpenseApproved', expense: expenseHash, by } as EntryBody;
}

export function reject(expenseHash: string, by: string): EntryBody {
  return { kind: 'ExpenseRejected', expense: expenseHash, by, comment: 'Not ours.' } as EntryBody;
}

export function pay(expenseHash: string, amount: string): EntryBody {
  return { kind: 'ExpensePaid', expense: expenseHash, amount, currency: 'EUR' } as EntryBody;
}

/** Every stored entry, oldest first, as the parsed JSON of its leaf. */
export async function allEntries(node: TempNode): Promise<unknown[]> {
  const out: unknown[] = [];
  let cursor: string | undefined;
  do {
    const page = await node.actor.ledger.page({ order: 'oldest', limit: 500, ...(cursor ? { cursor } : {}) });
    out.push(...page.items.map((r) => r.entry));
    cursor = page.next;
  } while (cursor !== undefined);
  return out;
}
