import { join } from 'node:path';
import t from 'tap';
import { verifyChain } from '../../protocol/chain.ts';
import { fromHex, toHex } from '../../protocol/encoding.ts';
import type { EntryBody } from '../../protocol/entry/types.ts';
import { foldBudget } from '../../protocol/fold.ts';
import { hashLeaf } from '../../protocol/merkle/tree.ts';
import { isConsistencyValid, isInclusionValid } from '../../protocol/merkle/verify.ts';
import { ed25519Verifier, isNoteValid, noteKeyFromSeed } from '../../protocol/note.ts';
import { openActor } from '../actors/actors.ts';
import { nativeBackend } from '../crypto/native.ts';
import { AppError } from '../errors.ts';
import { openLevelStore } from '../storage/level.ts';
import {
  allEntries,
  approve,
  contribution,
  expense,
  pay,
  reject,
  tempNode,
  update,
} from './fixtures.test-helper.ts';
import { checkpointOrigin } from './service.ts';

t.test(
  '1,000 concurrent appends: seq 1..1000 after the genesis, no gaps, a valid chain, few batches',
  async (t) => {
    const node = await tempNode();
    t.teardown(node.cleanup);
    const { ledger } = node.actor;
    const writesBefore = node.store.writes;
    const before = ledger.stats();
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => ledger.append(update(i))));
    t.same(
      results.map((r) => r.seq).sort((a, b) => a - b),
      Array.from({ length: 1000 }, (_, i) => i + 1),
      'every seq from 1 to 1000 exactly once',
    );
    for (const r of results) {
      if (toHex(hashLeaf(r.leaf, nativeBackend)) !== r.leafHash) t.fail(`leaf hash of ${r.seq}`);
    }
    const entries = await allEntries(node);
    t.equal(entries.length, 1001);
    const verified = verifyChain(entries, { actor: ledger.actor.id, backend: nativeBackend });
    t.ok(verified.ok, 'the protocol chain verifier accepts the whole ledger');
    t.equal(ledger.head().size, 1001);
    t.equal(ledger.head().leafHash, results.find((r) => r.seq === 1000)?.leafHash, 'head is the last entry');
    const stats = ledger.stats();
    const batches = stats.batches - before.batches;
    t.equal(stats.entries - before.entries, 1000, 'counted entries');
    t.ok(batches <= 5, `batched: ${batches} batches for 1,000 appends`);
    t.equal(node.store.writes - writesBefore, batches, 'one store write per batch');
    t.ok(stats.maxBatch >= 200, `largest batch ${stats.maxBatch}`);
  },
);

t.test('a bad body rejects only its caller', async (t) => {
  const node = await tempNode();
  t.teardown(node.cleanup);
  const { ledger } = node.actor;
  const funded = await ledger.append(contribution('100.00'));
  const filed = await ledger.append(expense('30.00', 'account:bob'));
  const bodies: [EntryBody, string | undefined][] = [
    [update(1), undefined],
    [{ kind: 'Nonsense' } as unknown as EntryBody, 'LEDGER_INVALID_ENTRY'],
    [contribution('12.345'), 'LEDGER_INVALID_ENTRY'],
    [{ ...contribution('5.00'), currency: 'USD' } as EntryBody, 'LEDGER_INVALID_ENTRY'],
    [update(2), undefined],
    [approve(filed.leafHash, 'account:bob'), 'LEDGER_RULE'],
    [approve('ab'.repeat(32), 'account:alice'), 'LEDGER_RULE'],
    [pay(filed.leafHash, '30.00'), 'LEDGER_RULE'],
    [
      { kind: 'Refund', contribution: funded.leafHash, amount: '100.01', currency: 'EUR' } as EntryBody,
      'LEDGER_RULE',
    ],
    [update(3), undefined],
    [null as unknown as EntryBody, 'LEDGER_INVALID_ENTRY'],
    [{ kind: 'Genesis' } as unknown as EntryBody, 'LEDGER_INVALID_ENTRY'],
  ];
  const settled = await Promise.allSettled(bodies.map(([body]) => ledger.append(body)));
  settled.forEach((result, i) => {
    const expected = bodies[i]?.[1];
    if (expected === undefined) {
      t.equal(result.status, 'fulfilled', `body ${i} accepted`);
    } else {
      t.equal(result.status, 'rejected', `body ${i} refused`);
      const error = (result as PromiseRejectedResult).reason;
      t.ok(error instanceof AppError, 'a registered error');
      t.equal(error.code, expected, `body ${i}: ${error.message}`);
    }
  });
  const accepted = settled.filter((r) => r.status === 'fulfilled').map((r) => r.value.seq);
  t.same(accepted, [3, 4, 5], 'the good ones got consecutive seqs in one batch');
  t.equal(
    ledger.stats().batches,
    4,
    'genesis, two appends, then one batch: the refused bodies did not split it',
  );
  const approved = await ledger.append(approve(filed.leafHash, 'account:alice'));
  t.equal(approved.seq, 6, 'the chain goes on');
  await t.rejects(
    ledger.append(pay(filed.leafHash, '29.99')),
    { code: 'LEDGER_RULE' },
    'paid amount must match',
  );
  await ledger.append(pay(filed.leafHash, '30.00'));
  t.ok(verifyChain(await allEntries(node), { backend: nativeBackend }).ok, 'still a valid chain');
});

t.test('expenses by state, balance and budget are maintained incrementally', async (t) => {
  const node = await tempNode();
  t.teardown(node.cleanup);
  const { ledger } = node.actor;
  await ledger.append(contribution('50.00'));
  const e = await Promise.all(
    [1, 2, 3, 4].map((i) => ledger.append(expense(`${i}.00`, `account:filer${i}`, `Item ${i}`))),
  );
  const [e1, e2, e3] = e as [(typeof e)[0], (typeof e)[0], (typeof e)[0]];
  await ledger.append(approve(e1.leafHash, 'account:admin'));
  await ledger.append(reject(e2.leafHash, 'account:admin'));
  await ledger.append(approve(e3.leafHash, 'account:admin'));
  await ledger.append(pay(e3.leafHash, '3.00'));
  const list = async (state: 'pending' | 'approved' | 'rejected' | 'paid') =>
    (await ledger.expenses(state)).items.map((x) => x.title);
  t.same(await list('pending'), ['Item 4']);
  t.same(await list('approved'), ['Item 1']);
  t.same(await list('rejected'), ['Item 2']);
  t.same(await list('paid'), ['Item 3']);
  t.equal((await ledger.expense(e3.leafHash))?.state, 'paid');
  t.equal(await ledger.expense('00'.repeat(32)), undefined);
  t.equal(ledger.balance().amount, '47.00');
  const entries = (await allEntries(node)) as Parameters<typeof foldBudget>[0] extends Iterable<infer E>
    ? E[]
    : never;
  t.same(ledger.budget(), foldBudget(entries, 'EUR'), 'the incremental budget equals a fold of every entry');
  const page1 = await ledger.expenses('pending', { limit: 1 });
  t.equal(page1.next, undefined, 'one pending expense, no next page');
  await t.rejects(ledger.expenses('lost' as 'paid'), { code: 'VALIDATION_FAILED' });
});

t.test('pages, lookups and proofs', async (t) => {
  const node = await tempNode();
  t.teardown(node.cleanup);
  const { ledger } = node.actor;
  const appended = await Promise.all(Array.from({ length: 120 }, (_, i) => ledger.append(update(i))));
  const seen: number[] = [];
  let cursor: string | undefined;
  do {
    const page = await ledger.page({ limit: 50, ...(cursor ? { cursor } : {}) });
    seen.push(...page.items.map((r) => r.seq));
    cursor = page.next;
  } while (cursor !== undefined);
  t.same(
    seen,
    Array.from({ length: 121 }, (_, i) => 120 - i),
    'newest first, every entry once',
  );
  const oldest = await ledger.page({ order: 'oldest', limit: 7, cursor: '10' });
  t.same(
    oldest.items.map((r) => r.seq),
    [10, 11, 12, 13, 14, 15, 16],
  );
  t.equal(oldest.next, '17');
  await t.rejects(ledger.page({ cursor: 'abc' }), { code: 'INVALID_CURSOR' });
  await t.rejects(ledger.page({ cursor: '-1' }), { code: 'INVALID_CURSOR' });
  const some = appended[41] as (typeof appended)[0];
  t.equal((await ledger.getByHash(some.leafHash))?.seq, some.seq, 'by hash');
  t.equal((await ledger.getByHash(some.leafHash.toUpperCase()))?.seq, some.seq, 'hex case does not matter');
  t.equal(await ledger.getByHash('zz'), undefined);
  t.equal(await ledger.get(5000), undefined);
  t.same((await ledger.get(some.seq))?.leaf, some.leaf, 'the exact leaf bytes');

  const head = ledger.head();
  for (const [seq, size] of [
    [0, 1],
    [some.seq, head.size],
    [120, 121],
    [64, 100],
  ] as const) {
    const proof = await ledger.inclusionProof(seq, size);
    const root = fromHex(await ledger.rootAt(size));
    t.ok(
      isInclusionValid({
        leafHash: fromHex(proof.leafHash),
        index: seq,
        size,
        proof: proof.hashes.map(fromHex),
        root,
      }),
      `inclusion of ${seq} in ${size}`,
    );
  }
  for (const [a, b] of [
    [1, 121],
    [64, 100],
    [77, 121],
    [121, 121],
  ] as const) {
    const proof = await ledger.consistencyProof(a, b);
    t.ok(
      isConsistencyValid({
        oldSize: a,
        newSize: b,
        oldRoot: fromHex(await ledger.rootAt(a)),
        newRoot: fromHex(await ledger.rootAt(b)),
        proof: proof.hashes.map(fromHex),
      }),
      `consistency ${a} → ${b}`,
    );
  }
  await t.rejects(ledger.inclusionProof(121, 121), { code: 'PROOF_RANGE' });
  await t.rejects(ledger.consistencyProof(5, 200), { code: 'PROOF_RANGE' });

  const checkpoint = ledger.checkpoint();
  t.equal(checkpoint?.size, head.size, 'a checkpoint for the last batch');
  t.equal(checkpoint?.rootHash, head.rootHash);
  const origin = checkpointOrigin(ledger.actor.id);
  const key = noteKeyFromSeed(origin, node.actor.keys?.checkpoint.secretKey as Uint8Array, 1, nativeBackend);
  t.ok(
    isNoteValid(checkpoint?.note ?? '', [ed25519Verifier(key, nativeBackend)]),
    'signed with the checkpoint key',
  );
  t.match(checkpoint?.note, new RegExp(`^${origin}\\n121\\n`), 'origin line and size');
});

t.test('reopening gives the same head and checkpoint, and appends go on', async (t) => {
  const node = await tempNode();
  t.teardown(node.cleanup);
  await Promise.all(Array.from({ length: 30 }, (_, i) => node.actor.ledger.append(update(i))));
  await node.actor.ledger.append(contribution('10.00'));
  const head = node.actor.ledger.head();
  const checkpoint = node.actor.ledger.checkpoint();
  await node.actor.ledger.close();
  await t.rejects(node.actor.ledger.append(update(99)), { code: 'LEDGER_CLOSED' });
  await node.store.close();
  const store = await openLevelStore(join(node.dir, 'db'));
  const again = await openActor({ store, dataDir: node.dir, backend: nativeBackend }, 'repair-cafe');
  t.same(again.ledger.head(), head);
  t.same(again.ledger.checkpoint(), checkpoint);
  t.equal(again.ledger.balance().amount, '10.00');
  const next = await again.ledger.append(update(100));
  t.equal(next.seq, head.size);
  t.equal(next.entry.prev, head.leafHash);
  await again.ledger.close();
  node.store = store;
});
