// The writer signs a batch while the one before it is written. The batch built on one in flight
// must see that batch's facts (the store does not hold them yet), answer nobody before it is
// durable, and be built again if its write fails. Real LevelDB (and a failing store), real
// signatures, and the chain verifier over what was stored.
import t from 'tap';
import { verifyChain } from '../../protocol/chain.ts';
import { keyPairFromSeed } from '../../protocol/crypto.ts';
import { signHostObject } from '../../protocol/entry/build.ts';
import type { EntryBody } from '../../protocol/entry/types.ts';
import { encodeMultikey } from '../../protocol/multikey.ts';
import { nativeBackend } from '../crypto/native.ts';
import { MemoryStore } from '../storage/memory.ts';
import type { BatchOp, WriteOptions } from '../storage/types.ts';
import { allEntries, contribution, tempNode, update } from './fixtures.test-helper.ts';
import { LedgerService } from './service.ts';

const HOST = 'https://host.example/actors/brussels-together';
const host = keyPairFromSeed(new Uint8Array(32).fill(200));
// Enough queued appends that the writer cuts them into two batches, the second built in flight.
const QUEUED = 400;

t.test('a batch built while the one before is written sees its facts', async (t) => {
  const node = await tempNode();
  t.teardown(node.cleanup);
  const ledger = node.actor.ledger;
  await ledger.append({
    kind: 'HostJoined',
    host: HOST,
    hostKey: encodeMultikey(host.publicKey),
    feeBasisPoints: 500,
  });
  const received: EntryBody = {
    kind: 'Contribution',
    amount: '25.00',
    currency: 'EUR',
    receipt: signHostObject(
      'Receipt',
      { amount: '25.00', currency: 'EUR', hostEntry: 'b2'.repeat(32) },
      {
        host: HOST,
        collective: node.actor.record.id,
        secretKey: host.secretKey,
        time: new Date('2026-11-27T10:00:00Z'),
      },
    ),
  };
  const before = ledger.stats().batches;
  const bodies = Array.from({ length: QUEUED }, (_, i) =>
    i === 10 || i === QUEUED - 10 ? received : i % 2 === 0 ? contribution('1.00') : update(i),
  );
  const results = await Promise.allSettled(bodies.map((body) => ledger.append(body)));
  t.equal(ledger.stats().batches - before, 2, 'written as two batches');
  const first = results[10];
  const again = results[QUEUED - 10];
  t.equal(first?.status, 'fulfilled');
  t.match(again, {
    status: 'rejected',
    reason: {
      code: 'LEDGER_ALREADY_RECORDED',
      details: { reason: { first: (first as PromiseFulfilledResult<{ leafHash: string }>).value.leafHash } },
    },
  });
  t.equal(results.filter((r) => r.status === 'fulfilled').length, QUEUED - 1);
  const seqs = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.seq] : []));
  t.same(
    seqs,
    Array.from({ length: QUEUED - 1 }, (_, i) => i + 2),
    'seqs in queue order, no gap',
  );
  t.equal(ledger.balance().amount, '223.00', 'the receipt once and 198 contributions of 1.00');
  const chain = verifyChain(await allEntries(node), { backend: nativeBackend });
  t.ok(chain.ok, 'the stored ledger verifies');
  t.equal(ledger.head().size, QUEUED + 1);
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

t.test('when the batch in flight fails, the one built on it is built again', async (t) => {
  const store = new FailingStore();
  const actor = {
    id: 'http://localhost:8080/actors/solo',
    name: 'solo',
    ledgerSecretKey: new Uint8Array(32).fill(1),
    checkpointSecretKey: new Uint8Array(32).fill(2),
  };
  const ledger = await LedgerService.open({ store, actor, backend: nativeBackend });
  await ledger.initialize({ actorType: 'Group', currency: 'EUR', origin: 'localhost:8080/actors/solo' });
  const head = ledger.head();
  store.failNext = true;
  const results = await Promise.allSettled(
    Array.from({ length: QUEUED }, (_, i) => ledger.append(update(i))),
  );
  const failed = results.slice(0, QUEUED / 2);
  const written = results.slice(QUEUED / 2);
  t.ok(
    failed.every((r) => r.status === 'rejected' && r.reason.code === 'LEDGER_WRITE_FAILED'),
    'the first batch is refused whole',
  );
  t.same(
    written.map((r) => (r.status === 'fulfilled' ? r.value.seq : -1)),
    Array.from({ length: QUEUED / 2 }, (_, i) => i + 1),
    'the second is rebuilt on the last durable entry',
  );
  t.equal(
    (written[0] as PromiseFulfilledResult<{ entry: { prev: string } }>).value.entry.prev,
    head.leafHash,
  );
  const entries: unknown[] = [];
  for (let seq = 0; seq < ledger.head().size; seq++) entries.push((await ledger.get(seq))?.entry);
  t.ok(verifyChain(entries, { backend: nativeBackend }).ok, 'the stored ledger verifies');
  const reopened = await LedgerService.open({ store, actor, backend: nativeBackend });
  t.same(reopened.head(), ledger.head(), 'the stored head is the acknowledged one');
  t.equal(reopened.checkpoint()?.size, QUEUED / 2 + 1);
});
