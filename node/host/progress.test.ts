// The host verifies each member's ledger once: a request reads the entries it has not verified
// and the one before them, from the state it kept (progress.ts). A history rewritten below that
// state, though it verifies on its own from its genesis, is caught where it leaves the verified
// one; a ledger cut back is caught; the witness still checks the checkpoint's root against the
// entries; a damaged state is dropped and the ledger read from its genesis again.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { ChainVerifier, verifyChain } from '../../protocol/chain.ts';
import { toHex } from '../../protocol/encoding.ts';
import { buildEntry, type ChainHead } from '../../protocol/entry/build.ts';
import type { EntryBody, SignedEntry } from '../../protocol/entry/types.ts';
import { nativeBackend } from '../crypto/native.ts';
import { openLevelStore } from '../storage/level.ts';
import type { CollectiveSource } from './core.ts';
import { allOf, approvedExpense, entriesOf, type Story, story, TERMS } from './fixtures.test-helper.ts';
import type { ReadProgress, WitnessProgress } from './progress.ts';
import { HostService } from './service.ts';

interface Setup {
  s: Story;
  /** A host over its own records, reading the collective through {@link Setup.serve}. */
  host: HostService;
  restart(): HostService;
  collective: string;
  /** What the collective serves instead of its ledger; undefined: its ledger. */
  serve: SignedEntry[] | undefined;
  /** Entries handed to the host since the last reset. */
  read: number;
}

async function setup(t: Test): Promise<Setup> {
  const s = await story(t);
  const dir = await mkdtemp(join(tmpdir(), 'cagnotte-progress-'));
  const store = await openLevelStore(join(dir, 'db'));
  t.teardown(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  const source: CollectiveSource = {
    async *entries(_collective, from = 0) {
      const served = setup.serve;
      const all = served === undefined ? entriesOf(s.collective, from) : served.slice(from);
      for await (const entry of all) {
        setup.read++;
        yield entry;
      }
    },
  };
  const options = { ledger: s.hostLedger, store, terms: TERMS, source, backend: nativeBackend, now: s.now };
  const setup: Setup = {
    s,
    host: new HostService(options),
    restart() {
      setup.host = new HostService(options);
      return setup.host;
    },
    collective: s.collective.actor.id,
    serve: undefined,
    read: 0,
  };
  const { host } = setup;
  const application = await s.side.application({ host: host.id, terms: TERMS });
  const received = await host.applications.receive(application);
  const membership = await host.applications.decide(received.id, 'accepted', 'host-admin-1');
  await s.side.recordMembership(membership, { host: host.id, hostPublicKey: s.hostPublicKey, application });
  const pledge = await host.funds.pledge({ collective: setup.collective, amount: '200.00' });
  const confirmed = await host.funds.confirm({
    reference: pledge.reference,
    amount: '200.00',
    by: 'host-admin-1',
  });
  await s.side.recordReceipt(confirmed.receipt, { contributor: 'Alice' });
  return setup;
}

const update = (title: string) => ({ kind: 'Update', title, body: 'The café is open.' }) as EntryBody;

/**
 * The collective's first `keep` entries, then `Update`s signed with its own ledger key up to
 * `size` entries: a history that differs from seq `keep` on and verifies on its own.
 */
async function rewritten(s: Story, keep: number, size: number): Promise<SignedEntry[]> {
  const honest = (await allOf(s.collective)).slice(0, keep);
  const verifier = new ChainVerifier({ backend: nativeBackend });
  for (const entry of honest) verifier.push(entry);
  let head = verifier.head as ChainHead;
  const out = [...honest];
  while (out.length < size) {
    const built = buildEntry(head, update(`Rewritten ${out.length}`), {
      time: s.now(),
      secretKey: s.collective.actor.ledgerSecretKey as Uint8Array,
      backend: nativeBackend,
    });
    out.push(built.entry);
    head = built.head;
  }
  return out;
}

/** The leaf hashes of a chain that verifies. */
function leafHashes(entries: SignedEntry[]): string[] {
  const verifier = new ChainVerifier({ backend: nativeBackend });
  return entries.map((entry) => {
    const step = verifier.push(entry);
    if (!step.ok) throw new Error(step.reason.type);
    return toHex(step.leafHash);
  });
}

const leafHash = async (s: Story, seq: number) => (await s.collective.get(seq))?.leafHash;

t.test(
  "a member's ledger is verified once: each request reads what is new and the entry before",
  async (t) => {
    const x = await setup(t);
    const { s } = x;
    const expense = await approvedExpense(x.s, '50.00');
    x.read = 0;
    t.match(await x.host.countersigning.request({ collective: x.collective, expense }), {
      state: 'countersigned',
    });
    const size = s.collective.head().size;
    t.equal(x.read, size, 'the first read of a member is the whole ledger');
    const saved = await x.host.core.progress<ReadProgress>(`read ${x.collective}`);
    t.match(saved, { collective: x.collective, size, balance: '19000', genesis: { kind: 'Genesis' } });
    t.match(saved?.expenses[expense], ['approved', '5000', 'Solder and flux', 'Bob', size - 2]);

    await s.collective.append(update('News'));
    x.read = 0;
    const view = await x.host.core.readChain(x.collective);
    t.equal(x.read, 2, 'the entry before the saved size, and the new one');
    t.match(view, { chain: { ok: true }, size: size + 1, balance: 19000n, genesis: { kind: 'Genesis' } });
    t.equal(view.expenses.get(expense)?.state, 'approved');

    // Nothing is kept in memory: a host restarted on the same records reads one entry.
    x.restart();
    x.read = 0;
    t.match(await x.host.countersigning.request({ collective: x.collective, expense }), {
      state: 'countersigned',
    });
    t.equal(x.read, 1);

    // An applicant that is not a member is read from its genesis every time and leaves no state.
    await x.host.core.readChain(s.other.actor.id);
    t.equal(await x.host.core.progress(`read ${s.other.actor.id}`), undefined);
  },
);

t.test('a history rewritten below the saved size is caught, though it verifies on its own', async (t) => {
  const x = await setup(t);
  const { s } = x;
  await s.collective.append(update('One'));
  await s.collective.append(update('Two'));
  t.ok((await x.host.core.readChain(x.collective)).chain.ok);
  const size = s.collective.head().size;

  for (const keep of [2, size - 1]) {
    const other = await rewritten(s, keep, size + 1);
    t.ok(
      verifyChain(other, { actor: x.collective, backend: nativeBackend }).ok,
      'it verifies from its genesis',
    );
    x.serve = other;
    const view = await x.host.core.readChain(x.collective);
    t.same(
      view.chain,
      {
        ok: false,
        reason: {
          type: 'prevMismatch',
          seq: size,
          expected: await leafHash(s, size - 1),
          actual: leafHashes(other)[size - 1],
        },
      },
      `rewritten from seq ${keep}: refused where it leaves the verified history`,
    );
    t.equal(
      (await x.host.core.progress<ReadProgress>(`read ${x.collective}`))?.size,
      size,
      'the state stays',
    );
  }

  // Cut back: the entry before the saved size is no longer served.
  x.serve = (await allOf(s.collective)).slice(0, size - 2);
  t.same((await x.host.core.readChain(x.collective)).chain, {
    ok: false,
    reason: { type: 'prevMismatch', seq: size, expected: await leafHash(s, size - 1) },
  });

  // The honest ledger again, grown: read from where it stopped.
  x.serve = undefined;
  await s.collective.append(update('Three'));
  x.read = 0;
  t.match(await x.host.core.readChain(x.collective), { chain: { ok: true }, size: size + 1 });
  t.equal(x.read, 2);
});

t.test(
  'the witness resumes from what it cosigned and still checks the entries against the root',
  async (t) => {
    const x = await setup(t);
    const { s } = x;
    const first = await x.host.witness.cosign({
      collective: x.collective,
      ...(await s.side.cosignRequest(0)),
    });
    const n = first.size;
    t.match(await x.host.core.progress<WitnessProgress>(`witness ${x.collective}`), { size: n });
    await s.collective.append(update('One'));
    await s.collective.append(update('Two'));
    const request = await s.side.cosignRequest(n);

    // The signed checkpoint is honest, the entries served after the cosigned size are not its.
    x.serve = [...(await allOf(s.collective)).slice(0, n), ...(await rewritten(s, n, n + 2)).slice(n)];
    await t.rejects(x.host.witness.cosign({ collective: x.collective, ...request }), {
      code: 'CHECKPOINT_CONFLICT',
      details: { problem: 'entriesMismatch' },
    });
    // Entries that leave the cosigned history below its size do not chain to it.
    x.serve = await rewritten(s, 2, n + 2);
    await t.rejects(x.host.witness.cosign({ collective: x.collective, ...request }), {
      code: 'CHECKPOINT_UNATTESTED',
      details: { problem: 'chainInvalid', reason: { type: 'prevMismatch', seq: n } },
    });
    t.same(
      (await x.host.witness.evidence(x.collective)).map((e) => e.kind),
      ['entriesMismatch'],
    );

    x.serve = undefined;
    x.read = 0;
    t.equal((await x.host.witness.cosign({ collective: x.collective, ...request })).size, n + 2);
    t.equal(x.read, 2, 'only the entries after the cosigned size');
    t.match(await x.host.core.progress<WitnessProgress>(`witness ${x.collective}`), { size: n + 2 });

    // Money the host did not attest, after the resumed state, is still refused.
    await s.collective.append({
      kind: 'Contribution',
      amount: '5.00',
      currency: 'EUR',
      contributor: 'Cash box',
    });
    await t.rejects(
      x.host.witness.cosign({ collective: x.collective, ...(await s.side.cosignRequest(n + 2)) }),
      {
        code: 'CHECKPOINT_UNATTESTED',
        details: { kind: 'Contribution', problem: 'contributionWithoutReceipt' },
      },
    );
  },
);

t.test('a damaged state is dropped: the ledger is read from its genesis again', async (t) => {
  const x = await setup(t);
  const { s } = x;
  const cosigned = await x.host.witness.cosign({
    collective: x.collective,
    ...(await s.side.cosignRequest(0)),
  });
  await x.host.core.readChain(x.collective);
  const read = (await x.host.core.progress<ReadProgress>(`read ${x.collective}`)) as ReadProgress;
  const witness = (await x.host.core.progress<WitnessProgress>(`witness ${x.collective}`)) as WitnessProgress;
  await x.host.core.records.put([
    // The balance edited without its digest: the verifier's state is refused.
    ['progress', `read ${x.collective}`, { ...read, verifier: { ...read.verifier, balance: '999999' } }],
    // A frontier that does not make the root cosigned.
    [
      'progress',
      `witness ${x.collective}`,
      { ...witness, tree: witness.tree.replace(/.$/, (c) => (c === '0' ? '1' : '0')) },
    ],
  ]);
  await s.collective.append(update('One'));
  const size = s.collective.head().size;
  x.read = 0;
  t.match(await x.host.core.readChain(x.collective), { chain: { ok: true }, size, balance: 19000n });
  t.equal(x.read, size, 'read from the genesis');
  x.read = 0;
  t.equal(
    (
      await x.host.witness.cosign({
        collective: x.collective,
        ...(await s.side.cosignRequest(cosigned.size)),
      })
    ).size,
    size,
  );
  t.equal(x.read, size, 'the witness too');
});
