/**
 * Measures an index rebuild, what a node does on open after the ledger's index version changes:
 * wall time and peak RSS of a fresh process that opens a ledger whose index mark was removed.
 * Run: `npx node scripts/measure-rebuild.ts [entries]` (default 100,000). The ledger is built
 * once, offline through the ledger service, into `.bench/rebuild-<entries>/` and reused; its
 * entries mix contributions, refunds, updates and expenses filed and approved, so that the
 * history rules' state (contributions, open expenses) is exercised.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createActor } from '../node/actors/actors.ts';
import { readActorKeys } from '../node/actors/keys.ts';
import { nativeBackend } from '../node/crypto/native.ts';
import { ledgerSublevels, META } from '../node/ledger/layout.ts';
import { LedgerService } from '../node/ledger/service.ts';
import type { LedgerActor } from '../node/ledger/types.ts';
import { openLevelStore } from '../node/storage/level.ts';
import type { EntryBody } from '../protocol/entry/types.ts';

const CACHE = fileURLToPath(new URL('../.bench/', import.meta.url));
const BY = 'account:measure-admin';
const CHUNK = 10_000;

async function actorOf(dir: string): Promise<LedgerActor> {
  const keys = await readActorKeys(dir, 'bench', nativeBackend);
  if (keys === undefined) throw new Error('the bench actor has no keys');
  return {
    id: keys.id,
    name: keys.name,
    ledgerSecretKey: keys.ledger.secretKey,
    checkpointSecretKey: keys.checkpoint.secretKey,
  };
}

/** Entries `from`…`from + n - 1`: every tenth a refund of the contribution before it, every 25th an expense then its approval. */
async function appendChunk(ledger: LedgerService, from: number, n: number): Promise<void> {
  const bodies: EntryBody[] = [];
  for (let i = from; i < from + n; i++) {
    bodies.push(
      i % 2 === 0
        ? ({
            kind: 'Contribution',
            amount: '25.00',
            currency: 'EUR',
            contributor: `Supporter ${i}`,
          } as EntryBody)
        : ({ kind: 'Update', title: `Week ${i}`, body: `We fixed ${i % 17} toasters.` } as EntryBody),
    );
  }
  const results = await Promise.all(bodies.map((body) => ledger.append(body, BY)));
  const follow: EntryBody[] = [];
  for (const [k, r] of results.entries()) {
    if (r.entry.kind === 'Contribution' && k % 10 === 0)
      follow.push({ kind: 'Refund', contribution: r.leafHash, amount: '5.00', currency: 'EUR' } as EntryBody);
    if (k % 25 === 0)
      follow.push({
        kind: 'Expense',
        expenseType: 'receipt',
        title: `Parts ${k}`,
        payee: 'Hardware shop',
        items: [{ description: 'Fuses', amount: '3.00', incurredOn: '2026-01-10' }],
        amount: '3.00',
        currency: 'EUR',
        commitments: {},
        attachments: [],
      } as EntryBody);
  }
  const followed = await Promise.all(follow.map((body) => ledger.append(body)));
  await Promise.all(
    followed
      .filter((r) => r.entry.kind === 'Expense')
      .map((r) =>
        ledger.append({ kind: 'ExpenseApproved', expense: r.leafHash, comment: 'ok' } as EntryBody, BY),
      ),
  );
}

async function build(entries: number): Promise<string> {
  const dir = join(CACHE, `rebuild-${entries}`);
  if (existsSync(join(dir, 'complete'))) return dir;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const store = await openLevelStore(join(dir, 'db'));
  try {
    const created = await createActor({
      store,
      dataDir: dir,
      backend: nativeBackend,
      origin: 'http://localhost:8080',
      name: 'bench',
      type: 'Group',
    });
    await created.ledger.close();
    const ledger = await LedgerService.open({
      store,
      backend: nativeBackend,
      maxBatch: CHUNK,
      sync: false,
      actor: await actorOf(dir),
    });
    while (ledger.head().size < entries) {
      const size = ledger.head().size;
      await appendChunk(ledger, size, Math.min(CHUNK, Math.ceil((entries - size) / 1.2)));
      process.stderr.write(`\rbuilding: ${ledger.head().size}`);
    }
    process.stderr.write('\n');
    await ledger.close();
  } finally {
    await store.close();
  }
  await writeFile(join(dir, 'complete'), `${new Date().toISOString()}\n`);
  return dir;
}

/** In the child: drop the index mark (as a version change does), open, report. */
async function rebuildOnce(dir: string): Promise<void> {
  const store = await openLevelStore(join(dir, 'db'));
  try {
    const actor = await actorOf(dir);
    await ledgerSublevels(store, actor.name).meta.del(META.indexes, { sync: true });
    const started = performance.now();
    const ledger = await LedgerService.open({ store, backend: nativeBackend, actor });
    const ms = performance.now() - started;
    await ledger.close();
    const { readFileSync } = await import('node:fs');
    const status = readFileSync('/proc/self/status', 'utf8');
    const peak = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
    console.log(JSON.stringify({ entries: ledger.head().size, seconds: ms / 1000, peakRssMb: peak }));
  } finally {
    await store.close();
  }
}

if (process.argv[2] === '--child') {
  await rebuildOnce(process.argv[3] as string);
} else {
  const entries = Number(process.argv[2] ?? 100_000);
  const dir = await build(entries);
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  await new Promise((resolve) => child.once('exit', resolve));
  const result = JSON.parse(out) as { entries: number; seconds: number; peakRssMb: number };
  console.log(
    `index rebuild of ${result.entries.toLocaleString('en-US')} entries: ${result.seconds.toFixed(1)} s, peak RSS ${result.peakRssMb.toFixed(0)} MB`,
  );
}
