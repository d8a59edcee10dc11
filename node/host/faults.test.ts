// What the host and the collective refuse: a rejected application, an expense the balance does
// not cover, expenses that need one or two host admins, a forged or mismatched countersignature,
// conflicting checkpoints (kept as evidence), and money the host never attested.
import t from 'tap';
import { verifyChain } from '../../protocol/chain.ts';
import { signCheckpoint, verifyCheckpoint } from '../../protocol/checkpoint.ts';
import { fromHex } from '../../protocol/encoding.ts';
import { signHostObject } from '../../protocol/entry/build.ts';
import { isHostMessageValid } from '../../protocol/host/messages.ts';
import { noteKeyFromSeed, verifierKeyOf } from '../../protocol/note.ts';
import { allOf, approvedExpense, fund, joinHost, story, TERMS } from './fixtures.test-helper.ts';

t.test('a rejected application leaves the collective without a host', async (t) => {
  const s = await story(t);
  const application = await s.side.application({ host: s.host.id, terms: TERMS });
  const { id } = await s.host.applications.receive(application);
  const rejection = await s.host.applications.decide(
    id,
    'rejected',
    'host-admin-1',
    'We only host repair cafés in Brussels.',
  );
  t.equal(
    await s.side.recordMembership(rejection, {
      host: s.host.id,
      hostPublicKey: s.hostPublicKey,
      application,
    }),
    undefined,
  );
  t.equal(s.collective.chainHead()?.host, undefined);
  await t.rejects(s.host.applications.decide(id, 'accepted', 'host-admin-2'), {
    code: 'HOST_APPLICATION_DECIDED',
  });
  await t.rejects(s.host.funds.pledge({ collective: s.collective.actor.id }), { code: 'HOST_NOT_MEMBER' });
  // Applications that do not match the ledger or the terms are refused before they are stored.
  await t.rejects(s.host.applications.receive({ ...application, feeBasisPoints: 0 }), {
    code: 'HOST_APPLICATION_INVALID',
  });
  const cheaper = await s.side.application({ host: s.host.id, terms: { ...TERMS, feeBasisPoints: 100 } });
  await t.rejects(s.host.applications.receive(cheaper), {
    code: 'HOST_APPLICATION_INVALID',
    details: { problem: 'the fee is not the host fee' },
  });
  const stranger = await s.side.application({ host: 'https://elsewhere.example/actors/x', terms: TERMS });
  await t.rejects(s.host.applications.receive(stranger), {
    code: 'HOST_APPLICATION_INVALID',
    details: { problem: 'it is addressed to another host' },
  });
});

t.test('a membership the host did not sign is refused by the collective', async (t) => {
  const s = await story(t);
  const application = await s.side.application({ host: s.host.id, terms: TERMS });
  const { id } = await s.host.applications.receive(application);
  const membership = await s.host.applications.decide(id, 'accepted', 'host-admin-1');
  const before = s.collective.head().size;
  await t.rejects(
    s.side.recordMembership(
      { ...membership, feeBasisPoints: 0 },
      { host: s.host.id, hostPublicKey: s.hostPublicKey, application },
    ),
    { code: 'HOST_SIGNATURE_INVALID' },
  );
  const otherKey = new Uint8Array(32).fill(9);
  await t.rejects(
    s.side.recordMembership(membership, { host: s.host.id, hostPublicKey: otherKey, application }),
    { code: 'HOST_SIGNATURE_INVALID' },
  );
  t.equal(s.collective.head().size, before, 'nothing recorded');
});

t.test(
  'insufficient balance: a signed refusal; asked again after money arrives, countersigned',
  async (t) => {
    const s = await story(t);
    await joinHost(s);
    await fund(s, '40.00'); // 38.00 after the fee
    const expense = await approvedExpense(s, '39.00');
    const collective = s.collective.actor.id;
    const refused = await s.host.countersigning.request({ collective, expense });
    t.equal(refused.state, 'refused');
    t.match(refused.refusal, {
      code: 'insufficientBalance',
      reason: 'The collective has 38.00 available, less than 39.00.',
    });
    t.ok(isHostMessageValid(refused.refusal, 'CountersignRefusal', { publicKey: s.hostPublicKey }));
    t.same(
      await s.host.countersigning.request({ collective, expense }),
      refused,
      'unchanged ledger, same answer',
    );
    await fund(s, '10.00');
    const later = await s.host.countersigning.request({ collective, expense });
    t.equal(later.state, 'countersigned');
    // A second expense cannot spend what the first is promised.
    const second = await approvedExpense(s, '9.00', 'Glue');
    t.match(await s.host.countersigning.request({ collective, expense: second }), {
      state: 'refused',
      refusal: { code: 'insufficientBalance' },
    });
    // Nor can an expense that is not approved, nor a collective that is not a member.
    const other = s.other.actor.id;
    t.match(await s.host.countersigning.request({ collective: other, expense }), {
      state: 'refused',
      refusal: { code: 'notMember' },
    });
  },
);

t.test(
  'above the automatic limit one host admin reviews; above the threshold two different ones',
  async (t) => {
    const s = await story(t);
    await joinHost(s);
    await fund(s, '3000.00');
    const collective = s.collective.actor.id;
    const medium = await approvedExpense(s, '150.00', 'Workbench');
    const queued = await s.host.countersigning.request({ collective, expense: medium });
    t.match(queued, { state: 'review', approvals: 1 });
    t.same(
      (await s.host.countersigning.list('review')).map((r) => r.expense),
      [medium],
    );
    await t.rejects(
      s.host.countersigning.pay({ collective, expense: medium, payoutReference: 'x', by: 'a' }),
      {
        code: 'COUNTERSIGN_STATE',
      },
    );
    const approved = await s.host.countersigning.review({
      collective,
      expense: medium,
      by: 'host-admin-1',
      approve: true,
    });
    t.equal(approved.state, 'countersigned');
    await s.side.recordCountersignature(approved.countersignature);

    const large = await approvedExpense(s, '1500.00', 'Van repair');
    t.match(await s.host.countersigning.request({ collective, expense: large }), {
      state: 'review',
      approvals: 2,
    });
    t.match(
      await s.host.countersigning.review({ collective, expense: large, by: 'host-admin-1', approve: true }),
      {
        state: 'review',
        approvedBy: ['host-admin-1'],
      },
    );
    await t.rejects(
      s.host.countersigning.review({ collective, expense: large, by: 'host-admin-1', approve: true }),
      {
        code: 'COUNTERSIGN_SAME_ADMIN',
      },
    );
    t.match(
      await s.host.countersigning.review({ collective, expense: large, by: 'host-admin-2', approve: true }),
      {
        state: 'countersigned',
        approvedBy: ['host-admin-1', 'host-admin-2'],
      },
    );

    const refused = await approvedExpense(s, '200.00', 'Party');
    await s.host.countersigning.request({ collective, expense: refused });
    t.match(
      await s.host.countersigning.review({
        collective,
        expense: refused,
        by: 'host-admin-2',
        approve: false,
        reason: 'Not in the policy.',
      }),
      { state: 'refused', refusal: { code: 'hostAdminRefused', reason: 'Not in the policy.' } },
    );
  },
);

t.test('a forged or mismatched countersignature is refused and nothing is recorded', async (t) => {
  const s = await story(t);
  await joinHost(s);
  await fund(s, '500.00');
  const collective = s.collective.actor.id;
  const expense = await approvedExpense(s, '50.00');
  const other = await approvedExpense(s, '60.00', 'Paint');
  const size = s.collective.head().size;
  const forged = signHostObject(
    'ExpenseCountersignature',
    { expense, amount: '50.00', currency: 'EUR' },
    {
      host: s.host.id,
      collective,
      secretKey: new Uint8Array(32).fill(7),
      time: new Date('2026-11-27T12:00:00Z'),
    },
  );
  await t.rejects(s.side.recordCountersignature(forged), {
    code: 'HOST_SIGNATURE_INVALID',
    details: { problem: { type: 'proof' } },
  });
  const real = (await s.host.countersigning.request({ collective, expense })).countersignature;
  await t.rejects(s.side.recordCountersignature({ ...real, amount: '5.00' }), {
    code: 'HOST_SIGNATURE_INVALID',
  });
  await t.rejects(s.side.recordCountersignature({ ...real, expense: other }), {
    code: 'HOST_SIGNATURE_INVALID',
  });
  t.equal(s.collective.head().size, size, 'nothing recorded');
  await s.side.recordCountersignature(real);
  t.ok(verifyChain(await allOf(s.collective)).ok);
});

t.test('conflicting checkpoints are refused and kept as evidence; unattested money is refused', async (t) => {
  const s = await story(t);
  await joinHost(s);
  await fund(s, '100.00');
  const collective = s.collective.actor.id;
  const cosigned = await s.host.witness.cosign({ collective, ...(await s.side.cosignRequest(0)) });

  // A fork: the collective's own checkpoint key signs another root at the same size.
  const seed = s.collective.actor.checkpointSecretKey as Uint8Array;
  const origin = (await s.collective.get(0))?.entry as unknown as { origin: string };
  const logKey = noteKeyFromSeed(origin.origin, seed);
  const forkNote = signCheckpoint(
    { origin: origin.origin, size: cosigned.size, rootHash: new Uint8Array(32).fill(1), extensions: [] },
    logKey,
  );
  await t.rejects(s.host.witness.cosign({ collective, note: forkNote, proof: [] }), {
    code: 'CHECKPOINT_CONFLICT',
    details: { problem: 'fork' },
  });
  // Growth with a proof that does not lead from the cosigned root.
  await s.collective.append({ kind: 'Update', title: 'News', body: 'We moved.' });
  const honest = await s.side.cosignRequest(cosigned.size);
  await t.rejects(
    s.host.witness.cosign({ collective, note: honest.note, proof: honest.proof.map(() => '00'.repeat(32)) }),
    {
      code: 'CHECKPOINT_CONFLICT',
      details: { problem: 'inconsistent' },
    },
  );
  const evidence = await s.host.witness.evidence(collective);
  t.same(
    evidence.map((e) => e.kind),
    ['fork', 'inconsistent'],
  );
  for (const e of evidence) {
    const a = verifyCheckpoint(e.cosigned, { logKeys: [verifierKeyOf(logKey)] });
    const b = verifyCheckpoint(e.offered, { logKeys: [verifierKeyOf(logKey)] });
    t.ok(a.ok && b.ok, `${e.kind}: both kept notes carry the collective's signature`);
  }
  t.same((await s.host.witness.evidence()).length, 2, 'served to anyone, for all collectives');
  // A stale checkpoint and one the log key did not sign.
  const stale = signCheckpoint(
    {
      origin: origin.origin,
      size: 1,
      rootHash: fromHex((await s.collective.get(0))?.leafHash ?? ''),
      extensions: [],
    },
    logKey,
  );
  await t.rejects(s.host.witness.cosign({ collective, note: stale, proof: [] }), {
    code: 'CHECKPOINT_STALE',
  });
  const strangerNote = signCheckpoint(
    { origin: origin.origin, size: 9, rootHash: new Uint8Array(32), extensions: [] },
    noteKeyFromSeed(origin.origin, new Uint8Array(32).fill(3)),
  );
  await t.rejects(s.host.witness.cosign({ collective, note: strangerNote, proof: [] }), {
    code: 'CHECKPOINT_INVALID',
  });
  // The honest checkpoint is still cosigned.
  t.equal((await s.host.witness.cosign({ collective, ...honest })).size, s.collective.head().size);

  // Money the host did not attest: a contribution without its receipt.
  await s.collective.append({
    kind: 'Contribution',
    amount: '5.00',
    currency: 'EUR',
    contributor: 'Cash box',
  });
  const next = await s.side.cosignRequest(s.collective.head().size - 1);
  await t.rejects(s.host.witness.cosign({ collective, ...next }), {
    code: 'CHECKPOINT_UNATTESTED',
    details: { kind: 'Contribution', problem: 'contributionWithoutReceipt' },
  });
});
