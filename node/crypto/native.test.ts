import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import t, { type Test } from 'tap';
import type { CryptoBackend } from '../../protocol/crypto.ts';
import { nobleBackend } from '../../protocol/crypto.ts';
import { concatBytes, toHex, utf8 } from '../../protocol/encoding.ts';
import { testRfc8032, testWycheproof } from '../../test-support/ed25519.ts';
import { nativeBackend, opensslBackend, sodiumBackend, sodiumLoadError } from './native.ts';

// libsodium ships prebuilt for this platform (linux-x64, as CI): not loading it would silently
// halve the auditor's speed, so it is a failure here rather than a fallback.
t.ok(sodiumBackend, `libsodium loads (${sodiumLoadError ?? 'no error'})`);
t.equal(nativeBackend, sodiumBackend ?? opensslBackend, 'the native backend is libsodium when it loads');

const backends: CryptoBackend[] = [opensslBackend, ...(sodiumBackend === undefined ? [] : [sodiumBackend])];

for (const backend of backends) t.test(backend.name, async (t) => checkBackend(t, backend));

function checkBackend(t: Test, backend: CryptoBackend): void {
  testRfc8032(t, backend);
  testWycheproof(t, backend);

  t.test('signs, derives keys and hashes exactly as noble does', async (t) => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 300 }),
        (seed, msg) => {
          const signature = backend.sign(msg, seed);
          const publicKey = backend.publicKey(seed);
          return (
            toHex(publicKey) === toHex(nobleBackend.publicKey(seed)) &&
            toHex(signature) === toHex(nobleBackend.sign(msg, seed)) &&
            backend.verify(signature, msg, publicKey) &&
            toHex(backend.sha256(msg)) === toHex(nobleBackend.sha256(msg))
          );
        },
      ),
      { numRuns: 50 },
    );
    t.pass('50 random seeds and messages');
  });

  t.test('agrees with noble on mutated signatures, keys and messages', async (t) => {
    const seed = new Uint8Array(32).fill(7);
    const publicKey = backend.publicKey(seed);
    const message = utf8('a ledger entry');
    const signature = backend.sign(message, seed);
    fc.assert(
      fc.property(
        fc.constantFrom('signature', 'publicKey', 'message'),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (target, position, xor) => {
          const s = signature.slice();
          const k = publicKey.slice();
          const m = message.slice();
          const bytes = target === 'signature' ? s : target === 'publicKey' ? k : m;
          const i = position % bytes.length;
          bytes[i] = (bytes[i] as number) ^ xor;
          return backend.verify(s, m, k) === nobleBackend.verify(s, m, k) && !backend.verify(s, m, k);
        },
      ),
      { numRuns: 300 },
    );
    t.pass('300 single-byte mutations refused by both');
  });

  t.test('never throws on garbage, and refuses it', async (t) => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 100 }),
        fc.uint8Array({ maxLength: 10 }),
        fc.uint8Array({ maxLength: 40 }),
        (sig, msg, key) => !backend.verify(sig, msg, key) && !nobleBackend.verify(sig, msg, key),
      ),
      { numRuns: 500 },
    );
    t.equal(backend.verify(new Uint8Array(64), new Uint8Array(0), new Uint8Array(32)), false, 'all zeros');
    t.equal(
      backend.verify(new Uint8Array(64), new Uint8Array(0), new Uint8Array(32).fill(0xff)),
      false,
      'all ones key',
    );
  });

  // Points with a small-order component: an honest signer never makes them, but a crafted key or
  // signature can, and there OpenSSL (cofactorless) and noble (cofactored) disagree unless the
  // native backend defers to noble.
  const { Point } = ed;
  const L = Point.CURVE().n;
  function le(n: bigint): Uint8Array {
    const out = new Uint8Array(32);
    for (let i = 0; i < 32; i++, n >>= 8n) out[i] = Number(n & 255n);
    return out;
  }
  function fromLe(bytes: Uint8Array): bigint {
    let n = 0n;
    for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i] as number);
    return n;
  }
  function orderEightPoint(): InstanceType<typeof Point> {
    for (let y = 2n; ; y++) {
      let p: InstanceType<typeof Point>;
      try {
        p = Point.fromBytes(le(y));
      } catch {
        continue;
      }
      const torsion = p.multiply(L - 1n, false).add(p); // [L]P keeps only the small-order part
      if (!torsion.double().double().is0()) return torsion;
    }
  }

  t.test('agrees with noble on crafted signatures with small-order components', async (t) => {
    const T8 = orderEightPoint();
    const a = 777n;
    const message = utf8('crafted');
    let nobleAccepted = 0;
    for (const [label, keyTorsion, rTorsion] of [
      ['mixed-order key', true, false],
      ['mixed-order R', false, true],
      ['both', true, true],
    ] as const) {
      const publicKey = (keyTorsion ? Point.BASE.multiply(a).add(T8) : Point.BASE.multiply(a)).toBytes();
      for (let r = 1n; r <= 8n; r++) {
        const R = (rTorsion ? Point.BASE.multiply(r).add(T8) : Point.BASE.multiply(r)).toBytes();
        const k = fromLe(sha512(concatBytes(R, publicKey, message))) % L;
        const signature = concatBytes(R, le((r + k * a) % L));
        const expected = nobleBackend.verify(signature, message, publicKey);
        if (expected) nobleAccepted++;
        t.equal(backend.verify(signature, message, publicKey), expected, `${label}, r = ${r}`);
      }
    }
    // Otherwise the loop above would compare nothing interesting.
    t.ok(nobleAccepted > 0, `noble accepted ${nobleAccepted} crafted signatures`);
    for (let i = 0n; i < 8n; i++) {
      const key = T8.multiply(i + 1n, false).toBytes();
      const signature = concatBytes(Point.BASE.multiply(5n).toBytes(), le(5n));
      t.equal(backend.verify(signature, message, key), false, `small-order key [${i + 1n}]T8 refused`);
    }
  });

  t.test('keys beyond the cache bound still sign and verify', async (t) => {
    const message = utf8('eviction');
    let ok = 0;
    for (let i = 0; i < 300; i++) {
      const seed = new Uint8Array(32);
      seed[0] = i & 255;
      seed[1] = i >> 8;
      const publicKey = backend.publicKey(seed);
      if (backend.verify(backend.sign(message, seed), message, publicKey)) ok++;
    }
    t.equal(ok, 300);
    const first = new Uint8Array(32);
    t.equal(
      toHex(backend.sign(message, first)),
      toHex(nobleBackend.sign(message, first)),
      'an evicted key is re-imported',
    );
  });

  t.test('refuses a seed that is not 32 bytes', async (t) => {
    t.throws(() => backend.sign(utf8('x'), new Uint8Array(31)), RangeError);
  });
}
