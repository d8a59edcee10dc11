import fc from 'fast-check';
import t from 'tap';
import { readVectorJson } from '../test-support/vectors.ts';
import { nobleBackend } from './crypto.ts';
import { toHex, utf8 } from './encoding.ts';
import {
  ed25519Signer,
  ed25519Verifier,
  formatNote,
  isNoteValid,
  MAX_SIGNATURES,
  noteKeyFromSeed,
  noteKeyId,
  parseNote,
  SIG_TYPE_COSIGNATURE,
  SIG_TYPE_ED25519,
  signNote,
  verifyNote,
} from './note.ts';
import { formatSignerKey, formatVerifierKey, parseSignerKey, parseVerifierKey } from './note-keys.ts';

const example = readVectorJson<{ vkey: string; note: string }>('c2sp/signed-note-example.json');

// The example keys and notes of the Go reference implementation's documentation
// (golang.org/x/mod/sumdb/note, package doc). The signer key derives the verifier key and the
// signatures verify, so these are checked here, not trusted.
const GO = {
  skey: 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz',
  vkey: 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
  enochVkey: 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop',
  text: "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n",
  peterLine:
    '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n',
  enochLine:
    '— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n',
};

function must<T>(result: { ok: true; key: T } | { ok: false; reason: unknown }): T {
  if (!result.ok) throw new Error(`expected a key: ${JSON.stringify(result.reason)}`);
  return result.key;
}

const seed = (byte: number) => new Uint8Array(32).fill(byte);

t.test('C2SP signed-note example: key ID, verifier key, signature', async (t) => {
  const key = must(parseVerifierKey(example.vkey));
  t.equal(key.name, 'example.com/foo');
  t.equal(key.keyId.toString(16).padStart(8, '0'), '530d903a', 'key ID');
  t.equal(noteKeyId(key.name, SIG_TYPE_ED25519, key.publicKey), key.keyId, 'key ID recomputed from the key');
  t.equal(formatVerifierKey(key), example.vkey, 'verifier key string reproduced');
  const result = verifyNote(example.note, [ed25519Verifier(key)]);
  if (!result.ok) throw new Error(JSON.stringify(result.reason));
  t.equal(result.note.text, 'This is an example message.\n');
  t.equal(result.note.verified.length, 1);
  t.equal(
    formatNote(result.note.text, result.note.signatures),
    example.note,
    'note reproduced byte for byte',
  );
  const altered = example.note.replace('example message', 'exemplary message');
  t.same(verifyNote(altered, [ed25519Verifier(key)]), {
    ok: false,
    reason: { type: 'invalidSignature', name: 'example.com/foo', keyId: key.keyId },
  });
});

t.test('Go reference examples: signer key, signing byte for byte, two signatures', async (t) => {
  const signer = must(parseSignerKey(GO.skey));
  t.equal(formatVerifierKey(signer), GO.vkey, 'the signer key derives the documented verifier key');
  t.equal(formatSignerKey(signer), GO.skey, 'signer key string reproduced');
  t.equal(signNote(GO.text, [ed25519Signer(signer)]), `${GO.text}\n${GO.peterLine}`, 'signature reproduced');
  const peter = ed25519Verifier(must(parseVerifierKey(GO.vkey)));
  const enoch = ed25519Verifier(must(parseVerifierKey(GO.enochVkey)));
  const both = `${GO.text}\n${GO.peterLine}${GO.enochLine}`;
  const all = verifyNote(both, [peter, enoch]);
  t.same(all.ok && all.note.verified.map((s) => s.name), ['PeterNeumann', 'EnochRoot']);
  const one = verifyNote(both, [enoch]);
  t.same(one.ok && [one.note.verified.map((s) => s.name), one.note.unverified.map((s) => s.name)], [
    ['EnochRoot'],
    ['PeterNeumann'],
  ]);
  t.same(verifyNote(both, []), { ok: false, reason: { type: 'noKnownSignature' } });
});

t.test('keys made from seeds sign notes that verify; both key types', async (t) => {
  const log = noteKeyFromSeed('cagnotte.example/log', seed(7));
  t.equal(log.keyId, noteKeyId(log.name, 0x01, nobleBackend.publicKey(seed(7))));
  t.same(must(parseVerifierKey(formatVerifierKey(log))), {
    name: log.name,
    keyId: log.keyId,
    type: 1,
    publicKey: log.publicKey,
  });
  t.same(must(parseSignerKey(formatSignerKey(log))), log);
  const witness = noteKeyFromSeed('witness.example', seed(7), SIG_TYPE_COSIGNATURE);
  t.not(witness.keyId, noteKeyFromSeed('witness.example', seed(7)).keyId, 'the type is part of the key ID');
  t.equal(must(parseVerifierKey(formatVerifierKey(witness))).type, SIG_TYPE_COSIGNATURE);
  t.throws(() => formatSignerKey(witness), TypeError, 'no PRIVATE+KEY form for 0x04');
  t.throws(() => ed25519Verifier(witness), TypeError, 'a 0x04 key does not check plain signatures');
  const note = signNote('hello\n\nworld\n', [ed25519Signer(log)]);
  t.ok(isNoteValid(note, [ed25519Verifier(log)]), 'a text with a blank line inside');
  t.equal((parseNote(note) as { note: { text: string } }).note.text, 'hello\n\nworld\n');
});

t.test('key strings are parsed strictly', async (t) => {
  const good = example.vkey;
  const cases: [string, string][] = [
    [good.replace('530d903a', '530d903b'), 'key ID does not match the key'],
    [good.replace('530d903a', '530D903A'), 'key ID is not 8 lowercase hex digits'],
    [good.replace('530d903a', '30d903a'), 'key ID is not 8 lowercase hex digits'],
    [good.replace('example.com/foo', 'example.com foo'), 'invalid key name'],
    [good.replace('example.com/foo', ''), 'invalid key name'],
    [good.replace('AekyeR', 'AukyeR'), 'unknown key type 2'],
    [good.slice(0, -4), 'key is not a type byte and 32 bytes of base64'],
    ['example.com/foo', 'expected <name>+<key ID>+<key>'],
  ];
  for (const [text, detail] of cases) {
    t.same(parseVerifierKey(text), { ok: false, reason: { type: 'malformedKey', detail } }, detail);
  }
  t.same(parseSignerKey(GO.vkey).ok, false, 'a verifier key is not a signer key');
  t.same(parseSignerKey(GO.skey.replace('c74f20a3', 'c74f20a4')).ok, false, 'signer key ID checked');
});

t.test('notes are parsed strictly', async (t) => {
  const line = GO.peterLine;
  const cases: [string, string][] = [
    [`${GO.text}${line}`, 'malformedNote'], // no blank line
    [`${GO.text}\n${line.slice(0, -1)}`, 'malformedNote'], // unterminated signature line
    [`${GO.text}\n`, 'malformedNote'], // no signatures
    [`${GO.text.replace('\n', '\r\n')}\n${line}`, 'malformedNote'], // CR
    [`a\tb\n\n${line}`, 'malformedNote'], // tab
    [`${GO.text}\n${line.replace('—', '--')}`, 'malformedSignature'],
    [`${GO.text}\n${line.replace('— ', '—  ')}`, 'malformedSignature'], // empty name
    [`${GO.text}\n${line.replace('PeterNeumann', 'Peter+Neumann')}`, 'malformedSignature'],
    [`${GO.text}\n${line.replace('PeterNeumann', 'Peter\u00a0Neumann')}`, 'malformedSignature'],
    [`${GO.text}\n${line.replace('PeterNeumann', 'Peter\u0085Neumann')}`, 'malformedSignature'],
    [`${GO.text}\n${line.replace('AM=', 'AN=')}`, 'malformedSignature'], // non-canonical base64
    [`${GO.text}\n${line.replace(/ \S+\n$/, ' AAAAAA==\n')}`, 'malformedSignature'], // 4 bytes: key ID only
    [`${GO.text}\n${line.replace(/ \S+\n$/, ' \n')}`, 'malformedSignature'],
    [`${GO.text}\n${line}\n`, 'malformedNote'], // a trailing blank line leaves no signature block
    [`bad \ud800 text\n\n${line}`, 'malformedNote'], // lone surrogate
  ];
  for (const [note, type] of cases) {
    const result = parseNote(note);
    t.equal(result.ok ? 'ok' : result.reason.type, type, JSON.stringify(note.slice(-40)));
  }
  const invalidUtf8 = new Uint8Array([...utf8('a'), 0xff, ...utf8(`\n\n${line}`)]);
  t.same(parseNote(invalidUtf8), { ok: false, reason: { type: 'malformedNote', detail: 'not UTF-8' } });
  t.equal(parseNote(utf8(`${GO.text}\n${line}`)).ok, true, 'bytes accepted as well as strings');
  t.same(parseNote(`${GO.text}\n${line}`, { maxBytes: 100 }), {
    ok: false,
    reason: { type: 'tooLarge', limit: 100 },
  });
  t.same(
    parseNote(`${'é'.repeat(60)}\n\n${line}`, { maxBytes: 150 }),
    {
      ok: false,
      reason: { type: 'tooLarge', limit: 150 },
    },
    'the limit counts UTF-8 bytes',
  );
  t.same(parseNote(`${GO.text}\n${line.repeat(MAX_SIGNATURES + 1)}`), {
    ok: false,
    reason: { type: 'tooManySignatures', limit: MAX_SIGNATURES },
  });
  t.throws(() => signNote('no newline', []), TypeError);
  t.throws(() => signNote('', []), TypeError);
  t.throws(() => signNote('carriage\r\n', []), TypeError);
});

t.test('verification: known keys decide, unknown ones are ignored, duplicates count once', async (t) => {
  const a = noteKeyFromSeed('a.example', seed(1));
  const b = noteKeyFromSeed('b.example', seed(2));
  const text = 'a.example/log\n3\nAAAA\n';
  const note = signNote(text, [ed25519Signer(a), ed25519Signer(b)]);
  const [lineA, lineB] = note.slice(text.length + 1).split(/(?<=\n)/) as [string, string];
  const forged = lineA.replace(/.{6}=\n$/, 'AAAAAA=\n').replace(/[^=]=\n$/, 'A=\n');
  t.same(
    verifyNote(`${text}\n${forged}${lineB}`, [ed25519Verifier(a), ed25519Verifier(b)]),
    {
      ok: false,
      reason: { type: 'invalidSignature', name: 'a.example', keyId: a.keyId },
    },
    'a known key with a bad signature rejects the note',
  );
  const onlyB = verifyNote(`${text}\n${forged}${lineB}`, [ed25519Verifier(b)]);
  t.same(onlyB.ok && onlyB.note.unverified.length, 1, 'the same line from an unknown key is ignored');
  const repeated = verifyNote(`${text}\n${lineA}${lineA}${lineB}${lineB}`, [ed25519Verifier(a)]);
  t.same(repeated.ok && [repeated.note.verified.length, repeated.note.unverified.length], [1, 1]);
  t.same(verifyNote(note, [ed25519Verifier(a), ed25519Verifier(a)]), {
    ok: false,
    reason: { type: 'ambiguousKey', name: 'a.example', keyId: a.keyId },
  });
  const otherName = { ...ed25519Verifier(a), name: 'c.example' };
  t.same(
    verifyNote(note, [otherName]),
    { ok: false, reason: { type: 'noKnownSignature' } },
    'name is part of the match',
  );
});

t.test('any single character changed in a signed note fails verification (fast-check)', async (t) => {
  const key = noteKeyFromSeed('log.example', seed(9));
  const verifier = ed25519Verifier(key);
  const line = fc.stringMatching(/^[ -~é€😀]{0,30}$/u);
  await fc.assert(
    fc.property(
      fc.array(line, { minLength: 1, maxLength: 5 }),
      fc.nat(),
      fc.constantFrom('x', ' ', '\n', '+', '—', 'A'),
      (lines, at, replacement) => {
        const text = `${lines.join('\n')}\n`;
        const note = signNote(text, [ed25519Signer(key)]);
        if (!isNoteValid(note, [verifier])) return false;
        const chars = Array.from(note);
        const i = at % chars.length;
        if (chars[i] === replacement) return true;
        chars[i] = replacement;
        return !isNoteValid(chars.join(''), [verifier]);
      },
    ),
    { numRuns: 150 },
  );
  t.pass('150 random notes verified, and failed once altered');
  t.equal(toHex(utf8('—')), 'e28094', 'the em dash is U+2014');
});
