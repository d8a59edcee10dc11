import fc from 'fast-check';
import t from 'tap';
import { readVectorJson, readVectorText } from '../test-support/vectors.ts';
import { bytesEqual, concatBytes, fromHex, toBase58, toHex } from './encoding.ts';
import { decodeMultikey, encodeMultikey } from './multikey.ts';

interface MultikeyDocument {
  id: string;
  type: string;
  controller: string;
  publicKeyMultibase: string;
}
const fep = readVectorJson<{ ed25519PublicKeyHex: string; multikey: MultikeyDocument }>(
  'fep-521a-multikey.json',
);
const w3c = readVectorJson<{ publicKeyMultibase: string }>('w3c-vc-di-eddsa/eddsa-jcs-2022/keyPair.json');

t.test('FEP-521a example, both ways', async (t) => {
  const key = fromHex(fep.ed25519PublicKeyHex);
  t.equal(encodeMultikey(key), fep.multikey.publicKeyMultibase, 'encode');
  const decoded = decodeMultikey(fep.multikey.publicKeyMultibase);
  t.ok(decoded.ok && toHex(decoded.publicKey) === fep.ed25519PublicKeyHex, 'decode');
});

t.test('the FEP-521a feature file says the same', async (t) => {
  // The JSON vector was transcribed from the feature file: check the transcription too.
  const feature = readVectorText('fep/fep-521a.feature');
  const ed25519 = feature.slice(0, feature.indexOf('Scenario: Representing RSA'));
  const hex = /hex string "([0-9a-f]{64})"/.exec(ed25519)?.[1];
  const block = /"""\s*(\{[\s\S]*?\})\s*"""/.exec(ed25519)?.[1];
  t.equal(hex, fep.ed25519PublicKeyHex, 'key hex');
  const multikey = JSON.parse(block as string) as MultikeyDocument;
  t.same(multikey, fep.multikey, 'Multikey object');
  t.equal(encodeMultikey(fromHex(hex as string)), multikey.publicKeyMultibase);
  t.equal(multikey.id, `${multikey.controller}#ed25519-key`, 'id is controller + fragment');
  // The RSA scenario's key is not Ed25519: refused with a reason, not mis-decoded.
  const rsa = /"publicKeyMultibase": "(z4[^"]+)"/.exec(feature)?.[1] as string;
  t.same(decodeMultikey(rsa), { ok: false, reason: { type: 'notEd25519' } }, 'RSA Multikey refused');
});

t.test('the W3C vector key decodes and re-encodes', async (t) => {
  const decoded = decodeMultikey(w3c.publicKeyMultibase);
  t.ok(decoded.ok);
  if (decoded.ok) t.equal(encodeMultikey(decoded.publicKey), w3c.publicKeyMultibase);
});

t.test('property: any 32-byte key round-trips and starts with z6Mk', async (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (key) => {
      const text = encodeMultikey(key);
      const back = decodeMultikey(text);
      return text.startsWith('z6Mk') && back.ok && bytesEqual(back.publicKey, key);
    }),
    { numRuns: 500 },
  );
  t.pass('500 random keys');
});

t.test('rejections, each with its reason', async (t) => {
  const key = fromHex(fep.ed25519PublicKeyHex);
  const body = (bytes: Uint8Array) => `z${toBase58(bytes)}`;
  t.same(
    decodeMultikey(`u${fep.multikey.publicKeyMultibase.slice(1)}`),
    {
      ok: false,
      reason: { type: 'notBase58btc' },
    },
    'another multibase prefix',
  );
  t.same(decodeMultikey(''), { ok: false, reason: { type: 'notBase58btc' } }, 'empty');
  t.same(decodeMultikey('z6Mk0OIl'), { ok: false, reason: { type: 'notBase58btc' } }, 'outside the alphabet');
  t.same(
    decodeMultikey(body(concatBytes(Uint8Array.of(0x80, 0x26), key))),
    {
      ok: false,
      reason: { type: 'notEd25519' },
    },
    'an Ed25519 private key multicodec',
  );
  t.same(
    decodeMultikey(body(concatBytes(Uint8Array.of(0xec, 0x01), key))),
    {
      ok: false,
      reason: { type: 'notEd25519' },
    },
    'X25519 multicodec',
  );
  t.same(decodeMultikey(body(key)), { ok: false, reason: { type: 'notEd25519' } }, 'no multicodec');
  t.same(
    decodeMultikey(body(concatBytes(Uint8Array.of(0xed, 0x01), key.subarray(0, 31)))),
    {
      ok: false,
      reason: { type: 'badLength', length: 31 },
    },
    'a byte short',
  );
  t.same(
    decodeMultikey(body(concatBytes(Uint8Array.of(0xed, 0x01), key, Uint8Array.of(0)))),
    {
      ok: false,
      reason: { type: 'badLength', length: 33 },
    },
    'a byte long',
  );
  t.same(decodeMultikey('z'), { ok: false, reason: { type: 'notEd25519' } }, 'nothing after the prefix');
  t.throws(() => encodeMultikey(new Uint8Array(31)), RangeError, 'encode refuses 31 bytes');
  t.throws(() => encodeMultikey(new Uint8Array(33)), RangeError, 'encode refuses 33 bytes');
});
