// Resumable verification: [0, n) then snapshot → JSON → resume → [n, m) gives exactly the steps,
// failure, summary and state of one walk over [0, m); a snapshot that was edited is refused, or
// fails at the first entry it no longer fits.
import fc from 'fast-check';
import t from 'tap';
import { clone, LedgerWriter } from '../test-support/ledger.ts';
import { mixedLedgerArb, randomLedger } from '../test-support/random-ledger.ts';
import { asVersion1 } from '../test-support/snapshot-versions.ts';
import { ChainVerifier, type StepResult } from './chain.ts';
import { decodeChainState, encodeChainStateBytes, snapshotDigest } from './chain-snapshot.ts';
import { nobleBackend } from './crypto.ts';
import { fromBase64, fromHex, toBase64, toHex } from './encoding.ts';
import type { JsonObject } from './jcs.ts';

const step = (r: StepResult) =>
  r.ok ? { ok: true, seq: r.seq, leafHash: toHex(r.leafHash), balance: r.balance } : r;

function walk(verifier: ChainVerifier, entries: readonly unknown[]) {
  return entries.map((e) => step(verifier.push(e)));
}

/** A JSON round trip, as a file would give it back. */
const reread = (snapshot: JsonObject): unknown => JSON.parse(JSON.stringify(snapshot));

const version1 = (snapshot: JsonObject): JsonObject => asVersion1(snapshot, nobleBackend);

/** The same state as version 3's bytes, as `--save-checkpoint` writes it. */
function version3(snapshot: JsonObject, extra?: JsonObject): Uint8Array {
  const decoded = decodeChainState(snapshot, nobleBackend);
  if (!decoded.ok) throw new Error(decoded.reason.problem);
  return encodeChainStateBytes(decoded.state, nobleBackend, extra);
}

/** A ledger of `length` entries cycling through the kinds the random ledger writes (money ones included). */
function mixedLedger(length: number) {
  return randomLedger(
    Array.from({ length }, (_, i) => ({
      op: [10, 0, 1, 2, 4, 5, 0, 15, 13, 15, 16][i % 11] as number,
      a: i * 7919,
      b: i,
    })),
  ).writer;
}

function resumed(snapshot: unknown): ChainVerifier {
  const r = ChainVerifier.resume(snapshot);
  if (!r.ok) throw new Error(`resume refused: ${r.reason.problem}`);
  return r.verifier;
}

t.test('resuming at any cut gives the same steps, summary and final state', async (t) => {
  let packed = 0;
  fc.assert(
    fc.property(mixedLedgerArb, fc.nat(), fc.nat(), fc.nat(2), (actions, cutSeed, dropSeed, version) => {
      const entries: unknown[] = randomLedger(actions).writer.entries;
      const n = cutSeed % (entries.length + 1);
      // Half the runs drop an entry after the cut: the failure must be the same too.
      if (dropSeed % 2 === 1 && n + 1 < entries.length) {
        entries.splice(n + 1 + (dropSeed % (entries.length - n - 1)), 1);
      }
      const whole = new ChainVerifier();
      const wholeSteps = walk(whole, entries);
      const first = new ChainVerifier();
      walk(first, entries.slice(0, n));
      const snapshot = first.snapshot();
      const contributions = snapshot.contributions as { keys: string };
      if (contributions.keys.length > 0) packed++;
      // A third of the runs resume from the version 1 layout of the same state, a third from bytes.
      const bytes = version === 2 ? version3(snapshot, { note: 'kept' }) : undefined;
      if (bytes !== undefined)
        t.ok(
          Buffer.from(first.snapshotBytes({ note: 'kept' })).equals(bytes),
          'the verifier writes the same bytes itself, without the JSON form',
        );
      const second = resumed(bytes ?? reread(version === 1 ? version1(snapshot) : snapshot));
      const rest = walk(second, entries.slice(n));
      // The resumed maps view the bytes and copy what they change: the bytes resume again.
      if (bytes !== undefined) t.same(resumed(bytes).snapshot(), snapshot, 'the bytes are unchanged');
      t.same(rest, wholeSteps.slice(n));
      t.same(second.failure, whole.failure);
      t.same(second.head, whole.head);
      t.same(second.summary(), whole.summary());
      if (whole.failure === undefined) t.same(second.snapshot(), whole.snapshot());
    }),
    { numRuns: 40 },
  );
  t.ok(packed > 0, 'some snapshots hold contributions');
});

t.test('a snapshot of an empty verifier resumes at the genesis', async (t) => {
  const w = new LedgerWriter();
  w.append({ kind: 'Update', title: 'hello', body: 'world' });
  const v = resumed(reread(new ChainVerifier().snapshot()));
  t.same(
    walk(v, w.entries).map((s) => s.ok),
    [true, true],
  );
});

t.test('a failed verification has no snapshot', async (t) => {
  const w = new LedgerWriter();
  const v = new ChainVerifier();
  v.push(w.entries[0]);
  v.push(w.entries[0]);
  t.equal(v.failure?.type, 'seqDuplicate');
  t.throws(() => v.snapshot(), TypeError);
});

t.test('an edited snapshot is not silently trusted', async (t) => {
  const writer = mixedLedger(40);
  const entries = writer.entries;
  const n = 25;
  const v = new ChainVerifier();
  walk(v, entries.slice(0, n));
  const good = reread(v.snapshot()) as Record<string, unknown> & { head: Record<string, unknown> };
  t.ok(ChainVerifier.resume(good).ok, 'the snapshot as written resumes');
  t.match(good, { size: n, head: { prevHash: writer.hash(n - 1) } }, 'bound to its size and last leaf hash');

  const refused = (label: string, edit: (s: typeof good) => void, redigest: boolean, problem: RegExp) => {
    const s = clone(good);
    edit(s);
    if (redigest) s.digest = snapshotDigest(s as JsonObject, writer.backend);
    const r = ChainVerifier.resume(s);
    t.equal(r.ok, false, label);
    if (!r.ok) t.match(r.reason, { type: 'snapshotInvalid', problem }, label);
  };
  refused('a raised balance', (s) => (s.balance = `${BigInt(s.balance as string) + 100n}`), false, /digest/);
  refused('a dropped contribution', (s) => (s.contributions = { keys: '', amounts: '' }), false, /digest/);
  const contributions = good.contributions as { keys: string; amounts: string };
  t.ok(contributions.keys.length > 0, 'the snapshot holds contributions');
  refused(
    'a changed amount',
    (s) => {
      const amounts = fromBase64(contributions.amounts);
      amounts[0] = (amounts[0] as number) ^ 1;
      (s.contributions as { amounts: string }).amounts = toBase64(amounts);
    },
    false,
    /digest/,
  );
  refused(
    'packed contributions that are not base64',
    (s) => ((s.contributions as { keys: string }).keys = contributions.keys.replace(/.$/, '-')),
    true,
    /keys is not base64/,
  );
  refused(
    'a key cut short',
    (s) =>
      ((s.contributions as { keys: string }).keys = toBase64(fromBase64(contributions.keys).subarray(4))),
    true,
    /32-byte key/,
  );
  refused(
    'a contribution recorded twice',
    (s) => {
      const key = fromHex(writer.hash(1));
      s.contributions = {
        keys: toBase64(Uint8Array.from([...key, ...key])),
        amounts: toBase64(new Uint8Array(16)),
      };
    },
    true,
    /twice/,
  );
  refused('a size that is not the head', (s) => (s.size = n + 1), true, /nextSeq/);
  refused('a float amount', (s) => (s.balance = '1.5'), true, /minor units/);
  // Held as a float64 once resumed (leaf-maps.ts): more than an amount can be is refused, not rounded.
  const tooMuch = new Uint8Array(8);
  new DataView(tooMuch.buffer).setBigUint64(0, 1_000_000_000_000_000n, true);
  refused(
    'a contribution larger than any amount',
    (s) => (s.contributions = { keys: toBase64(fromHex(writer.hash(1))), amounts: toBase64(tooMuch) }),
    true,
    /more than/,
  );
  refused(
    'a version 1 contribution larger than any amount',
    (s) => {
      Object.assign(s, version1(s as JsonObject), {
        contributions: { [writer.hash(1)]: '1000000000000000' },
      });
    },
    true,
    /more than an amount/,
  );
  refused(
    'a version 1 snapshot edited',
    (s) => Object.assign(s, version1(s as JsonObject), { balance: `${BigInt(s.balance as string) + 1n}` }),
    false,
    /digest/,
  );
  t.ok(ChainVerifier.resume(version1(good as JsonObject)).ok, 'the same state as version 1 resumes');
  refused('a head with an extra field', (s) => (s.head.extra = 1), true, /head field/);
  refused('not a snapshot', (s) => (s.type = 'Other'), true, /chain snapshot/);
  const other = ChainVerifier.resume(good, { actor: 'https://evil.example/actors/x' });
  t.match(other, { ok: false, reason: { problem: /not the ledger of/ } }, 'another actor');

  // Re-digested but pointing at another leaf: the next entry's signed prev exposes it.
  const moved = clone(good);
  moved.head.prevHash = writer.hash(n - 2);
  moved.digest = snapshotDigest(moved as JsonObject, writer.backend);
  const r = resumed(moved).push(entries[n]);
  t.match(r, { ok: false, reason: { type: 'prevMismatch', seq: n } });
});

t.test('version 3 bytes resume the same state; edited, cut short or foreign bytes are refused', async (t) => {
  const writer = mixedLedger(60);
  const v = new ChainVerifier();
  walk(v, writer.entries);
  const snapshot = v.snapshot();
  const bytes = version3(snapshot, { genesis: 'its fields', entryBytes: 12345 });
  const back = decodeChainState(bytes, nobleBackend);
  t.ok(back.ok, 'the bytes read back');
  if (!back.ok) return;
  t.ok([...back.state.contributions].length > 0, 'with contributions');
  t.same(resumed(bytes).snapshot(), snapshot, 'to the same state');
  t.equal(new TextDecoder().decode(bytes.subarray(0, 24)), 'cagnotte chain-state v3\n', 'a magic line');

  const problem = (b: Uint8Array): string | undefined => {
    const r = decodeChainState(b, nobleBackend);
    return r.ok ? undefined : r.reason.problem;
  };
  // Every byte, header, padding, sections and digest: one bit flipped is refused.
  let refused = 0;
  for (let i = 0; i < bytes.length; i++) {
    const edited = bytes.slice();
    edited[i] = (edited[i] as number) ^ 0x10;
    if (problem(edited) !== undefined) refused++;
  }
  t.equal(refused, bytes.length, `each of the ${bytes.length} bytes edited is refused`);
  for (const length of [0, 31, 64, bytes.length - 33, bytes.length - 32, bytes.length - 1])
    t.ok(problem(bytes.subarray(0, length)), `cut at ${length} bytes`);
  t.match(problem(Uint8Array.from([...bytes, 0])), /bytes where/, 'a byte added');
  const wrongMagic = bytes.slice();
  wrongMagic.set(new TextEncoder().encode('cagnotte chain-state v4\n'));
  t.match(problem(wrongMagic), /not a state file of this kind and version/);
  // Written where the most significant byte comes first: the mark reads backwards here.
  const foreign = bytes.slice();
  foreign.set(bytes.slice(24, 28).reverse(), 24);
  t.match(problem(foreign), /another byte order/);
  t.match(problem(version3(snapshot).subarray(0, 31)), /not a state file/, 'shorter than the fixed fields');
  // Unaligned bytes (a view at an odd offset) are copied once, and read the same.
  const odd = new Uint8Array(bytes.length + 1);
  odd.set(bytes, 1);
  t.same(resumed(odd.subarray(1)).snapshot(), snapshot, 'read from an odd offset');
});
