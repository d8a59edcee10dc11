// A host and a collective on two real LevelDB stores in temp dirs, wired in process: the host
// reads the collective's ledger through its LedgerService, as it would read its outbox.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EntryBody, SignedEntry } from '../../protocol/entry/types.ts';
import type { HostTerms } from '../../protocol/host/terms.ts';
import { decodeMultikey } from '../../protocol/multikey.ts';
import { createActor, type OpenActor } from '../actors/actors.ts';
import { nativeBackend } from '../crypto/native.ts';
import type { LedgerService } from '../ledger/service.ts';
import { type LevelStore, openLevelStore } from '../storage/level.ts';
import { CollectiveHostSide } from './collective.ts';
import type { CollectiveSource } from './core.ts';
import { HostService } from './service.ts';

export const TERMS: HostTerms = {
  feeBasisPoints: 500,
  currency: 'EUR',
  expensePolicy: 'Receipts for every expense; invoices in the name of the collective.',
  autoCountersignLimit: '100.00',
  twoAdminThreshold: '1000.00',
  bankAccount: { holder: 'Brussels Together ASBL', iban: 'BE71096123456769', bic: 'GKCCBEBB' },
};

export async function* entriesOf(ledger: LedgerService, from = 0): AsyncIterable<unknown> {
  let cursor: string | undefined = String(from);
  while (cursor !== undefined) {
    const page = await ledger.page({ order: 'oldest', cursor, limit: 200 });
    for (const record of page.items) yield record.entry;
    cursor = page.next;
  }
}

export async function allOf(ledger: LedgerService): Promise<SignedEntry[]> {
  const out: SignedEntry[] = [];
  for await (const e of entriesOf(ledger)) out.push(e as SignedEntry);
  return out;
}

interface Node {
  dir: string;
  store: LevelStore;
  actor: OpenActor;
}

async function node(
  origin: string,
  name: string,
  type: 'Group' | 'Organization',
  now: () => Date,
): Promise<Node> {
  const dir = await mkdtemp(join(tmpdir(), 'cagnotte-host-'));
  const store = await openLevelStore(join(dir, 'db'));
  const actor = await createActor({
    store,
    dataDir: dir,
    backend: nativeBackend,
    origin,
    name,
    type,
    currency: 'EUR',
    now,
  });
  return { dir, store, actor };
}

export interface Story {
  /** The host as it runs now; {@link Story.restartHost} replaces it. */
  host: HostService;
  /**
   * A new HostService over the same store and ledger, as after the host process restarts: nothing
   * in memory survives, only what was written.
   */
  restartHost(): HostService;
  hostLedger: LedgerService;
  collective: LedgerService;
  side: CollectiveHostSide;
  /** Another collective on the collective's node (not a member). */
  other: LedgerService;
  hostPublicKey: Uint8Array;
  /** Moves the clock by one second per call. */
  now: () => Date;
  cleanup(): Promise<void>;
}

export async function story(t: { teardown(fn: () => unknown): void }): Promise<Story> {
  let clock = Date.parse('2026-11-27T10:00:00Z');
  const now = () => {
    clock += 1000;
    return new Date(clock);
  };
  const hostNode = await node('https://host.example', 'brussels-together', 'Organization', now);
  const collectiveNode = await node('https://repair.example', 'repair-cafe', 'Group', now);
  const other = await createActor({
    store: collectiveNode.store,
    dataDir: collectiveNode.dir,
    backend: nativeBackend,
    origin: 'https://repair.example',
    name: 'bike-kitchen',
    type: 'Group',
    currency: 'EUR',
    now,
  });
  const ledgers = new Map<string, LedgerService>([
    [collectiveNode.actor.record.id, collectiveNode.actor.ledger],
    [other.record.id, other.ledger],
  ]);
  const source: CollectiveSource = {
    entries(collective, from = 0) {
      const ledger = ledgers.get(collective);
      return ledger === undefined ? (async function* () {})() : entriesOf(ledger, from);
    },
  };
  const hostOptions = {
    ledger: hostNode.actor.ledger,
    store: hostNode.store,
    terms: TERMS,
    source,
    backend: nativeBackend,
    now,
  };
  const host = new HostService(hostOptions);
  const key = decodeMultikey(host.core.hostKey());
  if (!key.ok) throw new Error('host key');
  const result: Story = {
    host,
    restartHost() {
      result.host = new HostService(hostOptions);
      return result.host;
    },
    hostLedger: hostNode.actor.ledger,
    collective: collectiveNode.actor.ledger,
    side: new CollectiveHostSide(collectiveNode.actor.ledger, { backend: nativeBackend, now }),
    other: other.ledger,
    hostPublicKey: key.publicKey,
    now,
    async cleanup() {
      for (const l of [hostNode.actor.ledger, collectiveNode.actor.ledger, other.ledger]) await l.close();
      for (const n of [hostNode, collectiveNode]) {
        await n.store.close().catch(() => {});
        await rm(n.dir, { recursive: true, force: true });
      }
    },
  };
  t.teardown(() => result.cleanup());
  return result;
}

/** Applies and is accepted; the collective records HostJoined. */
export async function joinHost(s: Story): Promise<void> {
  const application = await s.side.application({ host: s.host.id, terms: TERMS });
  const received = await s.host.applications.receive(application);
  const membership = await s.host.applications.decide(received.id, 'accepted', 'host-admin-1');
  await s.side.recordMembership(membership, { host: s.host.id, hostPublicKey: s.hostPublicKey, application });
}

/** Pledge, confirm and record `amount` (a Contribution with its receipt and the HostFee). */
export async function fund(s: Story, amount: string, name = 'Alice') {
  const pledge = await s.host.funds.pledge({ collective: s.collective.actor.id, amount, name });
  const confirmed = await s.host.funds.confirm({ reference: pledge.reference, amount, by: 'host-admin-1' });
  return {
    pledge,
    confirmed,
    recorded: await s.side.recordReceipt(confirmed.receipt, { contributor: name }),
  };
}

/** Files an expense (by a member) and approves it (by an admin); answers its leaf hash. */
export function approvedExpense(s: Story, amount: string, title = 'Solder and flux'): Promise<string> {
  return approveOn(s.collective, amount, title);
}

/** Files an expense on `ledger` (by a member) and approves it (by an admin); answers its leaf hash. */
export async function approveOn(
  ledger: LedgerService,
  amount: string,
  title = 'Solder and flux',
): Promise<string> {
  const body = {
    kind: 'Expense',
    expenseType: 'receipt',
    title,
    payee: 'Bob',
    items: [{ description: title, amount, incurredOn: '2026-11-20' }],
    amount,
    currency: 'EUR',
    commitments: {},
    attachments: [],
  } as EntryBody;
  const filed = await ledger.append(body, 'member-bob');
  await ledger.append({ kind: 'ExpenseApproved', expense: filed.leafHash }, 'admin-carla');
  return filed.leafHash;
}
