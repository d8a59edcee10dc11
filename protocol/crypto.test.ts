import t from 'tap';
import { testRfc8032, testWycheproof } from '../test-support/ed25519.ts';
import { keyPairFromSeed, nobleBackend } from './crypto.ts';
import { fromHex, toHex, utf8 } from './encoding.ts';

testRfc8032(t, nobleBackend);
testWycheproof(t, nobleBackend);

t.test('SHA-256 of the FIPS 180-2 examples', async (t) => {
  t.equal(
    toHex(nobleBackend.sha256(utf8('abc'))),
    'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
  );
  t.equal(
    toHex(nobleBackend.sha256(new Uint8Array(0))),
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  );
});

t.test('keyPairFromSeed', async (t) => {
  const seed = fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
  const pair = keyPairFromSeed(seed);
  t.equal(
    toHex(pair.publicKey),
    'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    'RFC 8032 TEST 1 key',
  );
  seed[0] = 0;
  t.equal(toHex(pair.secretKey).slice(0, 2), '9d', 'the pair keeps its own copy of the seed');
  t.throws(() => keyPairFromSeed(new Uint8Array(31)), RangeError);
});

t.test('verify refuses wrong lengths without throwing', async (t) => {
  const sig = new Uint8Array(64);
  t.equal(nobleBackend.verify(sig.subarray(0, 63), utf8(''), new Uint8Array(32)), false);
  t.equal(nobleBackend.verify(sig, utf8(''), new Uint8Array(33)), false);
});
