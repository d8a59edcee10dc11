import { signRequest } from '@fedify/fedify';
import { Create } from '@fedify/vocab';
import t from 'tap';
import { keyPairFromSeed } from '../../protocol/crypto.ts';
import type { SignedEntry } from '../../protocol/entry/types.ts';
import type { JsonObject } from '../../protocol/jcs.ts';
import { createProof } from '../../protocol/proof.ts';
import type { OpenActor } from '../actors/actors.ts';
import { onRemoteEntry, type RemoteEntryFailure, verifyRemoteEntry } from './remote-entry.ts';
import { startTestNode } from './test-node.ts';

const AP = 'application/activity+json';

/** Re-signs `entry` (its proof removed) with `secretKey` under `verificationMethod`. */
function resign(entry: SignedEntry, secretKey: Uint8Array, verificationMethod: string): SignedEntry {
  const { proof, ...unsigned } = entry;
  return createProof(unsigned as unknown as JsonObject, {
    secretKey,
    verificationMethod,
    created: new Date(proof.created),
  }) as unknown as SignedEntry;
}

function secretOf(open: OpenActor): Uint8Array {
  if (open.keys === undefined) throw new Error('actor opened without keys');
  return open.keys.ledger.secretKey;
}

/** A real new entry of b2 (genuine until a test re-signs it). */
async function b2Entry(b2: OpenActor): Promise<SignedEntry> {
  const appended = await b2.ledger.append({ kind: 'Update', title: 'Ours', body: 'a real b2 entry' });
  return appended.entry as unknown as SignedEntry;
}

t.test('verifyRemoteEntry on real entries and the real actor documents', async (t) => {
  const remote = await startTestNode();
  t.teardown(() => remote.close());
  const b1 = await remote.addActor('b1');
  const b2 = await remote.addActor('b2');
  const doc = async (open: OpenActor) =>
    (await remote.app.inject({ url: `/actors/${open.record.name}`, headers: { accept: AP } })).json();
  const [doc1, doc2] = [await doc(b1), await doc(b2)];
  const genuine = (await b1.ledger.append({ kind: 'Update', title: 'Seeds', body: 'bought' }))
    .entry as unknown as SignedEntry;
  const b1Id = b1.record.id;
  const b2Id = b2.record.id;
  const reason = (r: ReturnType<typeof verifyRemoteEntry>) => (r.ok ? undefined : r.reason);

  const ok = verifyRemoteEntry(genuine, b1Id, doc1);
  t.ok(ok.ok, 'a genuine entry from its own actor verifies');
  t.equal(ok.ok && ok.verificationMethod, `${b1Id}#ledger-key-0`);

  t.match(reason(verifyRemoteEntry({ ...genuine, content: 'edited' }, b1Id, doc1)), {
    type: 'badProof',
    reason: { type: 'invalidSignature' },
  });
  t.match(reason(verifyRemoteEntry(genuine, b2Id, doc2)), { type: 'actorMismatch', signer: b2Id });
  t.match(
    reason(verifyRemoteEntry(genuine, b1Id, doc2)),
    { type: 'actorUnavailable' },
    'another actor’s document',
  );
  t.match(reason(verifyRemoteEntry({ ...genuine, extra: 1 }, b1Id, doc1)), { type: 'notAnEntry' });

  const own = await b2Entry(b2);
  t.ok(verifyRemoteEntry(own, b2Id, doc2).ok);
  const byB1Key = resign(own, secretOf(b1), `${b1Id}#ledger-key-0`);
  t.match(
    reason(verifyRemoteEntry(byB1Key, b2Id, doc2)),
    { type: 'keyNotOfActor', verificationMethod: `${b1Id}#ledger-key-0` },
    "a valid proof by b1's key does not make an entry b2's",
  );
  const stranger = keyPairFromSeed(new Uint8Array(32).fill(7));
  t.match(
    reason(verifyRemoteEntry(resign(own, stranger.secretKey, `${b2Id}#ledger-key-0`), b2Id, doc2)),
    { type: 'badProof', reason: { type: 'invalidSignature' } },
    "a stranger's key under b2's key id",
  );
  t.match(
    reason(verifyRemoteEntry(resign(own, stranger.secretKey, `${b2Id}#ledger-key-1`), b2Id, doc2)),
    { type: 'keyNotOfActor' },
    'a key id the actor does not list',
  );
  const listedElsewhere = { ...doc2, assertionMethod: { ...doc2.assertionMethod, controller: b1Id } };
  t.match(
    reason(verifyRemoteEntry(own, b2Id, listedElsewhere)),
    { type: 'keyNotOfActor' },
    'controller not b2',
  );
  t.match(reason(verifyRemoteEntry({ ...own, id: `${b1Id}/ledger/${own.seq}` }, b2Id, doc2)), {
    type: 'idNotOfActor',
  });
});

t.test('entries POSTed to our inbox are verified before they are taken', async (t) => {
  const local = await startTestNode({ listen: true });
  t.teardown(() => local.close());
  const remote = await startTestNode({ listen: true });
  t.teardown(() => remote.close());
  await local.addActor('garden-club');
  const b1 = await remote.addActor('b1');
  const b2 = await remote.addActor('b2');

  const taken = new Map<string, SignedEntry>();
  const refused = new Map<string, RemoteEntryFailure>();
  const waiters = new Map<string, () => void>();
  const settle = (id: unknown) => waiters.get(String(id))?.();
  local.fed.inboxListeners.on(Create, (ctx, create) =>
    onRemoteEntry(ctx, create, {
      onEntry: (entry, raw) => {
        taken.set(String(raw.id), entry);
        settle(raw.id);
      },
      onRefused: (reason, raw) => {
        refused.set(String(raw.id), reason);
        settle(raw.id);
      },
    }),
  );
  local.startQueue();

  /** POSTs a Create of `entry` to our shared inbox, HTTP-signed by `sender`; resolves once handled. */
  async function deliver(sender: OpenActor, id: string, entry: unknown): Promise<void> {
    const body = JSON.stringify({
      '@context': (entry as { '@context'?: unknown })['@context'],
      id,
      type: 'Create',
      actor: sender.record.id,
      to: ['https://www.w3.org/ns/activitystreams#Public'],
      object: entry,
    });
    const keys = await remote.fed.keys.get(sender.record.name);
    if (keys === undefined) throw new Error('no keys');
    const handled = new Promise<void>((resolve) => waiters.set(id, resolve));
    const request = await signRequest(
      new Request(`${local.origin}/inbox`, { method: 'POST', headers: { 'content-type': AP }, body }),
      keys.http.privateKey,
      new URL(`${sender.record.id}#main-key`),
      { spec: 'draft-cavage-http-signatures-12' },
    );
    const response = await fetch(request.url, { method: 'POST', headers: request.headers, body });
    t.equal(response.status, 202, `${id}: the HTTP signature is the sender's`);
    await handled;
  }

  const genuine = (await b1.ledger.append({ kind: 'Update', title: 'Seeds', body: 'bought' }))
    .entry as unknown as SignedEntry;
  await deliver(b1, `${b1.record.id}/ledger/${genuine.seq}/create`, genuine);
  t.same(taken.get(`${b1.record.id}/ledger/${genuine.seq}/create`), genuine, 'a genuine entry is taken');

  const tamperedId = `${b1.record.id}#tampered`;
  await deliver(b1, tamperedId, { ...genuine, content: 'We bought seeds for 2500.00 EUR' });
  t.match(refused.get(tamperedId), { type: 'badProof' }, 'an edited entry is refused');

  const relayedId = `${b2.record.id}#relayed`;
  await deliver(b2, relayedId, genuine);
  t.match(refused.get(relayedId), { type: 'actorMismatch' }, "b2 cannot deliver b1's entry as its own");

  const forgedId = `${b2.record.id}#forged`;
  const forged = resign(await b2Entry(b2), secretOf(b1), `${b1.record.id}#ledger-key-0`);
  await deliver(b2, forgedId, forged);
  t.match(refused.get(forgedId), { type: 'keyNotOfActor' }, "an entry of b2's proven by b1's key is refused");

  t.equal(taken.size, 1, 'nothing refused was taken');
});
