import t from 'tap';
import {
  formatCheckpoint,
  isCheckpointValid,
  parseCheckpoint,
  signCheckpoint,
  verifyCheckpoint,
} from './checkpoint.ts';
import { fromBase64, toBase64, utf8 } from './encoding.ts';
import { appendLeaves, EMPTY_TREE, hashLeaf, treeRoot } from './merkle/tree.ts';
import { ed25519Signer, ed25519Verifier, noteKeyFromSeed, signNote, verifierKeyOf } from './note.ts';

const ORIGIN = 'repair.example/actors/repair-cafe';
const logKey = noteKeyFromSeed(ORIGIN, new Uint8Array(32).fill(3));
const otherKey = noteKeyFromSeed('elsewhere.example/log', new Uint8Array(32).fill(4));
const tree = appendLeaves(
  EMPTY_TREE,
  ['a', 'b', 'c', 'd', 'e'].map((s) => hashLeaf(utf8(s))),
).state;
const checkpoint = { origin: ORIGIN, size: tree.size, rootHash: treeRoot(tree), extensions: [] };

t.test('the example body of the tlog-checkpoint spec parses', async (t) => {
  const body = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
  const parsed = parseCheckpoint(body);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.reason));
  t.equal(parsed.checkpoint.origin, 'example.com/behind-the-sofa');
  t.equal(parsed.checkpoint.size, 20852163);
  t.equal(toBase64(parsed.checkpoint.rootHash), 'CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=');
  t.equal(formatCheckpoint(parsed.checkpoint), body, 'formatted back byte for byte');
});

t.test('sign, then verify with the log key', async (t) => {
  const note = signCheckpoint(checkpoint, logKey);
  const body = `${ORIGIN}\n5\n${toBase64(treeRoot(tree))}\n`;
  t.ok(note.startsWith(`${body}\n— ${ORIGIN} `), 'body, blank line, the log signature named by the origin');
  const result = verifyCheckpoint(note, { logKeys: [verifierKeyOf(logKey)], origin: ORIGIN });
  if (!result.ok) throw new Error(JSON.stringify(result.reason));
  t.same(result.checkpoint, checkpoint);
  t.same(
    result.note.verified.map((s) => s.name),
    [ORIGIN],
  );
  t.ok(isCheckpointValid(utf8(note), { logKeys: [verifierKeyOf(logKey)] }), 'bytes too');
});

t.test('extension lines are kept and signed', async (t) => {
  const withExtensions = { ...checkpoint, extensions: ['— not a signature', 'x-ext 42'] };
  const note = signCheckpoint(withExtensions, logKey);
  const result = verifyCheckpoint(note, { logKeys: [logKey] });
  t.same(result.ok && result.checkpoint.extensions, ['— not a signature', 'x-ext 42']);
  const dropped = note.replace('x-ext 42\n', '');
  t.same(verifyCheckpoint(dropped, { logKeys: [logKey] }).ok, false, 'dropping one breaks the signature');
});

t.test('verification names its failures', async (t) => {
  const note = signCheckpoint(checkpoint, logKey);
  t.same(verifyCheckpoint(note, { logKeys: [logKey], origin: 'other.example' }), {
    ok: false,
    reason: { type: 'originMismatch', expected: 'other.example', actual: ORIGIN },
  });
  t.same(verifyCheckpoint(note, { logKeys: [otherKey] }), {
    ok: false,
    reason: { type: 'noKnownSignature' },
  });
  const byOther = signNote(formatCheckpoint(checkpoint), [ed25519Signer(otherKey)]);
  t.same(
    verifyCheckpoint(byOther, { logKeys: [logKey], otherVerifiers: [ed25519Verifier(otherKey)] }),
    { ok: false, reason: { type: 'missingLogSignature' } },
    'a valid signature by another known key does not replace the log',
  );
  const bigger = note.replace(`${ORIGIN}\n5\n`, `${ORIGIN}\n6\n`);
  t.same(verifyCheckpoint(bigger, { logKeys: [logKey] }), {
    ok: false,
    reason: { type: 'invalidSignature', name: ORIGIN, keyId: logKey.keyId },
  });
  const notCheckpoint = signNote('hello\n', [ed25519Signer(logKey)]);
  t.same(verifyCheckpoint(notCheckpoint, { logKeys: [logKey] }), {
    ok: false,
    reason: { type: 'malformedCheckpoint', detail: 'fewer than three lines' },
  });
  t.same(verifyCheckpoint(note, { logKeys: [logKey, otherKey] }).ok, true, 'two log keys (rotation)');
});

t.test('bodies are parsed strictly', async (t) => {
  const root = toBase64(checkpoint.rootHash);
  const cases: [string, string][] = [
    [`${ORIGIN}\n05\n${root}\n`, 'tree size is not a canonical decimal'],
    [`${ORIGIN}\n-5\n${root}\n`, 'tree size is not a canonical decimal'],
    [`${ORIGIN}\n+5\n${root}\n`, 'tree size is not a canonical decimal'],
    [`${ORIGIN}\n5.0\n${root}\n`, 'tree size is not a canonical decimal'],
    [`${ORIGIN}\n 5\n${root}\n`, 'tree size is not a canonical decimal'],
    [`${ORIGIN}\n\n${root}\n`, 'tree size is not a canonical decimal'],
    [`${ORIGIN}\n9007199254740992\n${root}\n`, 'tree size above 2^53 - 1'],
    [`${ORIGIN}\n5\n${toBase64(checkpoint.rootHash.slice(1))}\n`, 'root hash is not 32 bytes'],
    [`${ORIGIN}\n5\n${root.slice(0, -1)}\n`, 'root hash is not canonical base64'],
    [`${ORIGIN}\n5\n${root.replace(/.=$/, '3=')}\n`, 'root hash is not canonical base64'],
    [`\n5\n${root}\n`, 'empty origin'],
    [`${ORIGIN}\n5\n${root}\n\next\n`, 'empty extension line'],
    [`${ORIGIN}\n5\n`, 'fewer than three lines'],
    [`${ORIGIN}\n5\n${root}`, 'text does not end with a newline'],
    [`${ORIGIN}\r\n5\n${root}\n`, 'control character in text'],
  ];
  for (const [body, detail] of cases) {
    t.same(parseCheckpoint(body), { ok: false, reason: { type: 'malformedCheckpoint', detail } }, detail);
  }
  t.equal(parseCheckpoint(`${ORIGIN}\n0\n${toBase64(treeRoot(EMPTY_TREE))}\n`).ok, true, 'the empty tree');
  t.equal(parseCheckpoint(`${ORIGIN}\n9007199254740991\n${root}\n`).ok, true, '2^53 - 1');
  t.throws(() => formatCheckpoint({ ...checkpoint, size: -1 }), TypeError);
  t.throws(() => formatCheckpoint({ ...checkpoint, rootHash: fromBase64('AAAA') }), TypeError);
  t.throws(() => formatCheckpoint({ ...checkpoint, extensions: [''] }), TypeError);
  t.throws(() => formatCheckpoint({ ...checkpoint, origin: 'a\nb' }), TypeError);
  t.throws(() => formatCheckpoint({ ...checkpoint, origin: 'tab\there' }), TypeError);
});
