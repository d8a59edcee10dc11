import t from 'tap';
import { readVectorJson } from '../../test-support/vectors.ts';
import { nobleBackend } from '../crypto.ts';
import { fromHex } from '../encoding.ts';
import { findFork, recordCheckpoint, type SeenCheckpoint } from './forks.ts';
import { checkingBackend, firstInvalidSignature, SignatureBatchWriter } from './signatures.ts';

interface Vector {
  name: string;
  publicKey: string;
  message: string;
  signature: string;
}
const { vectors } = readVectorJson<{ vectors: Vector[] }>('rfc8032/rfc8032-ed25519.json');
const decoded = vectors.map((v) => ({
  publicKey: fromHex(v.publicKey),
  message: fromHex(v.message),
  signature: fromHex(v.signature),
}));

t.test('a batch of RFC 8032 signatures answers as verify does, naming the first bad seq', async (t) => {
  const writer = new SignatureBatchWriter(16);
  decoded.forEach((v, i) => {
    writer.add(10 + i, v.signature, v.message, v.publicKey);
  });
  t.equal(writer.count, decoded.length);
  const batch = writer.take();
  t.equal(batch.firstSeq, 10);
  t.equal(batch.lastSeq, 10 + decoded.length - 1);
  t.equal(writer.count, 0, 'the writer starts afresh');
  t.equal(firstInvalidSignature(batch.bytes, nobleBackend), undefined, 'all valid, the empty message too');

  const flipped = decoded.map((v, i) => {
    if (i < 2) return v;
    const signature = v.signature.slice();
    signature[0] = (signature[0] as number) ^ 1;
    return { ...v, signature };
  });
  flipped.forEach((v, i) => {
    writer.add(10 + i, v.signature, v.message, v.publicKey);
  });
  t.equal(firstInvalidSignature(writer.take().bytes, nobleBackend), 12, 'the first flipped one');

  const [first] = decoded;
  if (first === undefined) throw new Error('no vectors');
  writer.add(3, first.signature, first.message, first.publicKey.subarray(1));
  t.equal(firstInvalidSignature(writer.take().bytes, nobleBackend), 3, 'a short key never verifies');
  t.throws(() => firstInvalidSignature(new Uint8Array(20), nobleBackend), RangeError);
});

t.test('a checking backend hands every question over with the current seq', async (t) => {
  const asked: number[] = [];
  let seq = 5;
  const backend = checkingBackend(
    nobleBackend,
    () => seq,
    (at, s, m, k) => {
      asked.push(at);
      return nobleBackend.verify(s, m, k);
    },
  );
  const v = decoded[1];
  if (v === undefined || v.message.length === 0) throw new Error('TEST 2 has a one-byte message');
  t.equal(backend.verify(v.signature, v.message, v.publicKey), true);
  seq = 6;
  t.equal(backend.verify(v.signature, v.message.subarray(1), v.publicKey), false);
  t.same(asked, [5, 6]);
  t.same(
    backend.sha256(new Uint8Array(0)),
    nobleBackend.sha256(new Uint8Array(0)),
    'hashing is the base one',
  );
});

t.test('forks: same size with another root, or a smaller one the entries do not reproduce', async (t) => {
  const root = (b: number) => new Uint8Array(32).fill(b);
  const hex = (b: number) => Buffer.from(root(b)).toString('hex');
  const current: SeenCheckpoint = { note: 'now', size: 10, rootHash: hex(1) };
  const rootAt = (size: number) => (size === 4 ? root(4) : undefined);
  t.equal(findFork([{ note: 'a', size: 4, rootHash: hex(4) }], current, 'log', rootAt), undefined);
  t.equal(findFork([{ note: 'b', size: 10, rootHash: hex(1) }], current, 'log', rootAt), undefined);
  t.match(findFork([{ note: 'c', size: 10, rootHash: hex(2) }], current, 'log', rootAt), {
    seen: { note: 'c' },
    current: { note: 'now' },
  });
  t.match(findFork([{ note: 'd', size: 4, rootHash: hex(5) }], current, 'log', rootAt), {
    seen: { note: 'd' },
    entriesRootAtSeenSize: hex(4),
  });
  t.equal(findFork([{ note: 'e', size: 12, rootHash: hex(9) }], current, 'log', rootAt), undefined);

  let history = {};
  for (let i = 0; i < 70; i++)
    history = recordCheckpoint(history, 'log', { note: `n${i}`, size: i, rootHash: hex(i) });
  history = recordCheckpoint(history, 'log', { note: 'n69', size: 69, rootHash: hex(69) });
  const kept = (history as Record<string, SeenCheckpoint[]>).log ?? [];
  t.equal(kept.length, 64, 'bounded, no duplicates');
  t.equal(kept[0]?.size, 6, 'the largest kept');
});
