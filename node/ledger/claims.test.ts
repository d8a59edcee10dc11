// The writer refuses what a ledger may record only once, and a host's entries about collectives
// that are not its members, for the same reasons as the chain verifier; the guard survives a
// restart and an index rebuild. Real LevelDB, real signatures.
import t from 'tap';
import { verifyChain } from '../../protocol/chain.ts';
import { keyPairFromSeed } from '../../protocol/crypto.ts';
import { signHostObject } from '../../protocol/entry/build.ts';
import type { EntryBody } from '../../protocol/entry/types.ts';
import { encodeMultikey } from '../../protocol/multikey.ts';
import { createActor, openActor } from '../actors/actors.ts';
import { nativeBackend } from '../crypto/native.ts';
import { allEntries, ORIGIN, tempNode } from './fixtures.test-helper.ts';

const HOST = 'https://host.example/actors/brussels-together';
const host = keyPairFromSeed(new Uint8Array(32).fill(200));
const MEMBER = 'https://garden.example/actors/garden';

t.test(
  'a receipt recorded twice is refused, in one batch, after a restart and after a rebuild',
  async (t) => {
    const node = await tempNode();
    t.teardown(node.cleanup);
    const collective = node.actor.record.id;
    await node.actor.ledger.append({
      kind: 'HostJoined',
      host: HOST,
      hostKey: encodeMultikey(host.publicKey),
      feeBasisPoints: 500,
    });
    const receipt = (amount: string, hostEntry: string) =>
      signHostObject(
        'Receipt',
        { amount, currency: 'EUR', hostEntry },
        { host: HOST, collective, secretKey: host.secretKey, time: new Date('2026-11-27T10:00:00Z') },
      );
    const body = (amount: string, hostEntry: string): EntryBody => ({
      kind: 'Contribution',
      amount,
      currency: 'EUR',
      receipt: receipt(amount, hostEntry),
    });
    const first = await node.actor.ledger.append(body('25.00', 'a1'.repeat(32)));
    const size = node.actor.ledger.head().size;
    const refused = {
      code: 'LEDGER_ALREADY_RECORDED',
      status: 409,
      details: {
        reason: {
          type: 'alreadyRecorded',
          path: '/receipt/hostEntry',
          key: `hostEntry ${'a1'.repeat(32)}`,
          first: first.leafHash,
        },
      },
    };
    await t.rejects(node.actor.ledger.append(body('25.00', 'a1'.repeat(32))), refused);
    t.equal(node.actor.ledger.head().size, size, 'nothing recorded');
    t.equal(node.actor.ledger.balance().amount, '25.00');

    // Two in the same batch: the first is recorded, the second refused.
    const batches = node.actor.ledger.stats().batches;
    const [a, b] = await Promise.allSettled([
      node.actor.ledger.append(body('10.00', 'b2'.repeat(32))),
      node.actor.ledger.append(body('10.00', 'b2'.repeat(32))),
    ]);
    t.equal(a.status, 'fulfilled');
    t.match(b, { status: 'rejected', reason: { code: 'LEDGER_ALREADY_RECORDED' } });
    t.equal(node.actor.ledger.stats().batches, batches + 1, 'both were in one batch');

    // After a restart the guard reads its claims from the store.
    await node.actor.ledger.close();
    node.actor = await openActor(
      { store: node.store, dataDir: node.dir, backend: nativeBackend },
      'repair-cafe',
    );
    await t.rejects(node.actor.ledger.append(body('25.00', 'a1'.repeat(32))), refused);

    // After an index rebuild (a database from index version 1 has no claims) it is filled again.
    await node.actor.ledger.close();
    for (const name of ['meta', 'claims']) await node.store.sublevel('ledger', 'repair-cafe', name).clear();
    node.actor = await openActor(
      { store: node.store, dataDir: node.dir, backend: nativeBackend },
      'repair-cafe',
    );
    await t.rejects(node.actor.ledger.append(body('10.00', 'b2'.repeat(32))), {
      code: 'LEDGER_ALREADY_RECORDED',
    });
    await node.actor.ledger.append(body('5.00', 'c3'.repeat(32)));
    const verified = verifyChain(await allEntries(node), { actor: collective, backend: nativeBackend });
    t.ok(verified.ok, 'the ledger the writer kept verifies');
    if (verified.ok) t.equal(verified.summary.balance, node.actor.ledger.balance().amount);
  },
);

t.test('a host ledger: members once, money only for members, each reference and expense once', async (t) => {
  const node = await tempNode('unused');
  t.teardown(node.cleanup);
  const actor = await createActor({
    store: node.store,
    dataDir: node.dir,
    backend: nativeBackend,
    origin: ORIGIN,
    name: 'brussels-together',
    type: 'Organization',
    currency: 'EUR',
  });
  t.teardown(() => actor.ledger.close());
  const ledger = actor.ledger;
  const join: EntryBody = {
    kind: 'MemberJoined',
    collective: MEMBER,
    collectiveKey: encodeMultikey(keyPairFromSeed(new Uint8Array(32).fill(1)).publicKey),
    feeBasisPoints: 500,
    application: 'a1'.repeat(32),
    terms: 'b2'.repeat(32),
  };
  const received = (amount: string, reference: string): EntryBody => ({
    kind: 'FundsReceived',
    collective: MEMBER,
    amount,
    currency: 'EUR',
    reference,
  });
  const paid: EntryBody = {
    kind: 'PayoutMade',
    collective: MEMBER,
    expense: 'e1'.repeat(32),
    amount: '30.00',
    currency: 'EUR',
    reference: 'KBC-2026-0117',
  };
  const notAMember = {
    code: 'LEDGER_RULE',
    details: { reason: { type: 'forbiddenTransition', rule: 'notAMember' } },
  };

  await t.rejects(ledger.append(received('40.00', 'REF-1')), notAMember);
  await t.rejects(ledger.append({ kind: 'MemberLeft', collective: MEMBER }), notAMember);
  const joined = await ledger.append(join);
  await t.rejects(ledger.append(join), {
    code: 'LEDGER_ALREADY_RECORDED',
    details: { reason: { path: '/collective', key: `member ${MEMBER}`, first: joined.leafHash } },
  });
  await t.rejects(ledger.append({ ...join, collective: actor.record.id }), {
    code: 'LEDGER_RULE',
    details: { reason: { rule: 'selfMembership' } },
  });
  const r1 = await ledger.append(received('40.00', 'REF-1'));
  await t.rejects(ledger.append(received('1.00', 'REF-1')), {
    code: 'LEDGER_ALREADY_RECORDED',
    details: { reason: { path: '/reference', first: r1.leafHash } },
  });
  const p1 = await ledger.append(paid);
  // 10.00 left: the retried payout reads as recorded, not as a balance too low.
  await t.rejects(ledger.append(paid), {
    code: 'LEDGER_ALREADY_RECORDED',
    details: { reason: { path: '/expense', first: p1.leafHash } },
  });
  await ledger.append({ kind: 'MemberLeft', collective: MEMBER, reason: 'Moved' });
  await t.rejects(ledger.append({ kind: 'MemberLeft', collective: MEMBER }), notAMember);
  await t.rejects(ledger.append(received('5.00', 'REF-2')), notAMember);
  const rejoined = await ledger.append(join);
  t.not(rejoined.leafHash, joined.leafHash, 'a collective may join again after leaving');
  await ledger.append(received('5.00', 'REF-2'));
  t.equal(ledger.balance().amount, '15.00');

  const entries: unknown[] = [];
  for (const record of (await ledger.page({ order: 'oldest', limit: 500 })).items) entries.push(record.entry);
  const verified = verifyChain(entries, { actor: actor.record.id, backend: nativeBackend });
  t.ok(verified.ok, 'the host ledger the writer kept verifies');
  if (verified.ok) t.equal(verified.summary.balance, '15.00');
});
