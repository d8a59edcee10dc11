import t from 'tap';
import { formatCheckpoint, signCheckpoint } from './checkpoint.ts';
import {
  addSignatures,
  COSIGNATURE_SIZE,
  cosignatureTime,
  cosignatureVerifier,
  cosignCheckpoint,
  verifyCosignedCheckpoint,
} from './cosignature.ts';
import { nobleBackend } from './crypto.ts';
import { fromBase64, toHex, utf8 } from './encoding.ts';
import { consistencyProof } from './merkle/proof.ts';
import { appendLeaf, EMPTY_TREE, hashLeaf, type TreeState, treeRoot } from './merkle/tree.ts';
import { verifyConsistency } from './merkle/verify.ts';
import {
  ed25519Signer,
  formatSignatureLine,
  noteKeyFromSeed,
  noteKeyId,
  parseNote,
  SIG_TYPE_COSIGNATURE,
  signNote,
  verifierKeyOf,
} from './note.ts';

const ORIGIN = 'collective.example/actors/bike-kitchen';
const logKey = noteKeyFromSeed(ORIGIN, new Uint8Array(32).fill(5));
const hostSeed = new Uint8Array(32).fill(6);
const host = noteKeyFromSeed('host.example/witness', hostSeed, SIG_TYPE_COSIGNATURE);
const stranger = noteKeyFromSeed(
  'stranger.example/witness',
  new Uint8Array(32).fill(8),
  SIG_TYPE_COSIGNATURE,
);
const TIME = 1_767_225_600; // 2026-01-01T00:00:00Z

function checkpointAt(state: TreeState) {
  return { origin: ORIGIN, size: state.size, rootHash: treeRoot(state), extensions: [] };
}

const leaves = Array.from({ length: 9 }, (_, i) => hashLeaf(utf8(`entry ${i}`)));
const nodes = new Map<string, Uint8Array>();
const states: TreeState[] = [EMPTY_TREE];
for (const leaf of leaves) {
  const result = appendLeaf(states[states.length - 1] as TreeState, leaf);
  for (const node of result.nodes) nodes.set(`${node.level}/${node.index}`, node.hash);
  states.push(result.state);
}

t.test('the cosignature line has the layout of tlog-cosignature, checked by hand', async (t) => {
  const body = formatCheckpoint(checkpointAt(states[5] as TreeState));
  const cosignature = cosignCheckpoint(body, host, TIME);
  t.equal(
    cosignature.keyId,
    noteKeyId(host.name, 0x04, nobleBackend.publicKey(hostSeed)),
    'key ID over 0x04',
  );
  t.equal(cosignature.signature.length, COSIGNATURE_SIZE);
  const line = formatSignatureLine(cosignature);
  const match = /^— host\.example\/witness (\S+)\n$/.exec(line);
  t.ok(match, 'an ordinary signature line named by the witness');
  const payload = fromBase64(match?.[1] as string);
  t.equal(payload.length, 4 + 8 + 64, 'key ID, timestamp, signature');
  t.equal(
    toHex(payload.subarray(4, 12)),
    TIME.toString(16).padStart(16, '0'),
    'timestamp, 8 bytes big-endian',
  );
  const message = utf8(`cosignature/v1\ntime ${TIME}\n${body}`);
  t.ok(
    nobleBackend.verify(payload.subarray(12), message, host.publicKey),
    'Ed25519 over the header and the body',
  );
  t.notOk(nobleBackend.verify(payload.subarray(12), utf8(body), host.publicKey), 'not over the body alone');
  t.equal(cosignatureTime(cosignature.signature), TIME);
});

t.test('a witness flow: cosign, check consistency, cosign again', async (t) => {
  const options = { logKeys: [verifierKeyOf(logKey)], witnessKeys: [verifierKeyOf(host)], origin: ORIGIN };
  const first = signCheckpoint(checkpointAt(states[5] as TreeState), logKey);
  const cosigned = addSignatures(first, [cosignCheckpoint(parseBody(first), host, TIME)]);
  if (!cosigned.ok) throw new Error(JSON.stringify(cosigned.reason));
  const one = verifyCosignedCheckpoint(cosigned.note, options);
  if (!one.ok) throw new Error(JSON.stringify(one.reason));
  t.same(one.cosignatures, [{ name: host.name, keyId: host.keyId, time: TIME }]);
  t.equal(one.checkpoint.size, 5);

  // The log grows to 9; the host cosigns only after the consistency proof from 5 checks out.
  const second = signCheckpoint(checkpointAt(states[9] as TreeState), logKey);
  const proof = await consistencyProof(
    5,
    9,
    async (level, index) => nodes.get(`${level}/${index}`) as Uint8Array,
  );
  const consistent = verifyConsistency({
    oldSize: 5,
    newSize: 9,
    oldRoot: one.checkpoint.rootHash,
    newRoot: treeRoot(states[9] as TreeState),
    proof,
  });
  t.same(consistent, { ok: true }, 'the new checkpoint extends the cosigned one');
  const later = addSignatures(second, [cosignCheckpoint(parseBody(second), host, TIME + 3600)]);
  const two = later.ok ? verifyCosignedCheckpoint(later.note, options) : later;
  t.same(two.ok && two.cosignatures.map((c) => c.time), [TIME + 3600]);
});

t.test('cosignatures that do not check out', async (t) => {
  const options = { logKeys: [logKey], witnessKeys: [host] };
  const note = signCheckpoint(checkpointAt(states[3] as TreeState), logKey);
  const body = parseBody(note);
  const cosignature = cosignCheckpoint(body, host, TIME);

  const shifted = cosignature.signature.slice();
  shifted[7] = (shifted[7] as number) ^ 1; // the timestamp's last byte: another time than signed
  const lying = addSignatures(note, [{ ...cosignature, signature: shifted }]);
  t.same(lying.ok && verifyCosignedCheckpoint(lying.note, options), {
    ok: false,
    reason: { type: 'invalidSignature', name: host.name, keyId: host.keyId },
  });

  const short = addSignatures(note, [{ ...cosignature, signature: cosignature.signature.slice(0, 71) }]);
  t.same(short.ok && verifyCosignedCheckpoint(short.note, options).ok, false, 'a payload of 71 bytes');

  const otherCheckpoint = cosignCheckpoint(
    formatCheckpoint(checkpointAt(states[4] as TreeState)),
    host,
    TIME,
  );
  const moved = addSignatures(note, [otherCheckpoint]);
  t.same(
    moved.ok && verifyCosignedCheckpoint(moved.note, options).ok,
    false,
    'a cosignature of another checkpoint',
  );

  // The host's plain signature (type 0x01 key ID, same seed) is not a cosignature.
  const plain = noteKeyFromSeed(host.name, hostSeed);
  const plainLine = parseNote(signNote(body, [ed25519Signer(plain)]));
  const withPlain = plainLine.ok ? addSignatures(note, plainLine.note.signatures) : plainLine;
  const result = withPlain.ok ? verifyCosignedCheckpoint(withPlain.note, options) : withPlain;
  t.same(
    result.ok && [result.cosignatures.length, result.note.unverified.length],
    [0, 1],
    'ignored as unknown',
  );

  const onlyWitness = signNote(body, [
    { name: host.name, keyId: host.keyId, sign: () => cosignature.signature },
  ]);
  t.same(verifyCosignedCheckpoint(onlyWitness, options), {
    ok: false,
    reason: { type: 'missingLogSignature' },
  });

  const strangers = addSignatures(note, [cosignCheckpoint(body, stranger, TIME)]);
  const unknown = strangers.ok ? verifyCosignedCheckpoint(strangers.note, options) : strangers;
  t.same(unknown.ok && [unknown.cosignatures, unknown.note.unverified.map((s) => s.name)], [
    [],
    [stranger.name],
  ]);
});

t.test('inputs a witness must refuse', async (t) => {
  t.throws(() => cosignCheckpoint('not a checkpoint\n', host, TIME), TypeError);
  t.throws(
    () => cosignCheckpoint(formatCheckpoint(checkpointAt(states[1] as TreeState)), logKey, TIME),
    TypeError,
  );
  t.throws(
    () => cosignCheckpoint(formatCheckpoint(checkpointAt(states[1] as TreeState)), host, -1),
    RangeError,
  );
  t.throws(
    () => cosignCheckpoint(formatCheckpoint(checkpointAt(states[1] as TreeState)), host, 1.5),
    RangeError,
  );
  t.throws(() => cosignatureVerifier(logKey), TypeError);
  t.equal(cosignatureTime(new Uint8Array(72).fill(0xff)), undefined, 'a time beyond 2^53');
  t.equal(cosignatureTime(new Uint8Array(64)), undefined, 'no timestamp');
  const note = signCheckpoint(checkpointAt(states[2] as TreeState), logKey);
  const cosignature = cosignCheckpoint(parseBody(note), host, 0);
  const twice = addSignatures(note, [cosignature, cosignature]);
  const reparsed = twice.ok ? parseNote(twice.note) : twice;
  t.same(reparsed.ok && reparsed.note.signatures.length, 2, 'the log signature and one cosignature');
  t.same(addSignatures('garbage', [cosignature]).ok, false);
});

function parseBody(note: string): string {
  const parsed = parseNote(note);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.reason));
  return parsed.note.text;
}
