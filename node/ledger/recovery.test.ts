import t from 'tap';
import { openActor } from '../actors/actors.ts';
import { nativeBackend } from '../crypto/native.ts';
import { MemoryStore } from '../storage/memory.ts';
import type { BatchOp, WriteOptions } from '../storage/types.ts';
import { approve, contribution, expense, tempNode, update } from './fixtures.test-helper.ts';
import { LedgerService } from './service.ts';

t.test('lost or outdated indexes are rebuilt from the entries on open', async (t) => {
  const node = await tempNode();
  t.teardown(node.cleanup);
  const { ledger } = node.actor;
  await ledger.append(contribution('20.00'));
  const filed = await ledger.append(expense('5.00', 'account:bob'));
  await ledger.append(approve(filed.leafHash, 'account:alice'));
  await Promise.all(Array.from({ length: 50 }, (_, i) => ledger.append(update(i))));
  const head = ledger.head();
  const checkpoint = ledger.checkpoint();
  const budget = ledger.budget();
  await ledger.close();
  // What a database written by an older version looks like: entries, no derived data.
  for (const name of ['hashes', 'nodes', 'meta', 'expenses-by-state', 'expenses', 'contributions']) {
    await node.store.sublevel('ledger', 'repair-cafe', name).clear();
  }
  const again = await openActor(
    { store: node.store, dataDir: node.dir, backend: nativeBackend },
    'repair-cafe',
  );
  t.same(again.ledger.head(), head, 'head rebuilt');
  t.same(again.ledger.checkpoint(), checkpoint, 'the same checkpoint (Ed25519 is deterministic)');
  t.same(again.ledger.budget(), budget, 'budget rebuilt');
  t.equal((await again.ledger.expenses('approved')).items[0]?.hash, filed.leafHash, 'expense index rebuilt');
  t.equal((await again.ledger.getByHash(filed.leafHash))?.seq, filed.seq, 'hash index rebuilt');
  const proof = await again.ledger.inclusionProof(3);
  t.equal(proof.size, head.size, 'Merkle nodes rebuilt');
  await again.ledger.close();
  node.actor = again;
});

t.test('a tail that does not match the head is refused on open', async (t) => {
  const node = await tempNode();
  t.teardown(node.cleanup);
  await Promise.all(Array.from({ length: 5 }, (_, i) => node.actor.ledger.append(update(i))));
  await node.actor.ledger.close();
  const entries = node.store.sublevel('ledger', 'repair-cafe', 'entries');
  const last = (await entries.get('0000000000000005')) as Uint8Array;
  const tampered = Buffer.from(last).toString('utf8').replace('News number 4', 'News number 5');
  await entries.put('0000000000000005', new TextEncoder().encode(tampered));
  await t.rejects(
    openActor({ store: node.store, dataDir: node.dir, backend: nativeBackend }, 'repair-cafe'),
    {
      code: 'LEDGER_CORRUPT',
    },
  );
  await entries.put('0000000000000005', last);
  await entries.del('0000000000000005');
  await t.rejects(
    openActor({ store: node.store, dataDir: node.dir, backend: nativeBackend }, 'repair-cafe'),
    {
      code: 'LEDGER_CORRUPT',
    },
    'a missing last entry',
  );
});

/** A memory store whose next batch fails, as a full disk would make it. */
class FailingStore extends MemoryStore {
  failNext = false;
  override async batch(ops: readonly BatchOp[], options?: WriteOptions): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('ENOSPC: no space left on device');
    }
    return super.batch(ops, options);
  }
}

t.test('a failed write rejects its whole batch and leaves the ledger as it was', async (t) => {
  const store = new FailingStore();
  const actor = {
    id: 'http://localhost:8080/actors/solo',
    name: 'solo',
    ledgerSecretKey: new Uint8Array(32).fill(1),
    checkpointSecretKey: new Uint8Array(32).fill(2),
  };
  const ledger = await LedgerService.open({ store, actor, backend: nativeBackend });
  await ledger.initialize({ actorType: 'Group', currency: 'EUR', origin: 'localhost:8080/actors/solo' });
  await ledger.append(update(0));
  const head = ledger.head();
  store.failNext = true;
  const failed = await Promise.allSettled([1, 2, 3].map((i) => ledger.append(update(i))));
  t.same(
    failed.map((r) => r.status),
    ['rejected', 'rejected', 'rejected'],
  );
  t.equal((failed[0] as PromiseRejectedResult).reason.code, 'LEDGER_WRITE_FAILED');
  t.same(ledger.head(), head, 'head unchanged');
  t.equal(await ledger.get(2), undefined, 'nothing of the batch stored');
  const next = await ledger.append(update(4));
  t.equal(next.seq, 2, 'the next append takes the next seq');
  t.equal(next.entry.prev, head.leafHash, 'and links to the last durable entry');
  const reopened = await LedgerService.open({ store, actor, backend: nativeBackend });
  t.same(reopened.head(), ledger.head(), 'the memory store reopens like LevelDB');
  await t.rejects(reopened.initialize({ actorType: 'Group', currency: 'EUR', origin: 'x' }), {
    code: 'ACTOR_EXISTS',
  });
});
