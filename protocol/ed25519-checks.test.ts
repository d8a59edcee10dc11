// The encoding refusals against noble itself: every refusal is one noble makes (on all Wycheproof
// cases and on the boundaries of each check), the small-order list is exactly the torsion points
// noble finds, and honest signatures are never refused.
import * as ed from '@noble/ed25519';
import fc from 'fast-check';
import t from 'tap';
import { WYCHEPROOF } from '../test-support/ed25519.ts';
import { nobleBackend } from './crypto.ts';
import { isSmallOrderKey, pointIsCanonical, refusedByEncoding, scalarIsCanonical } from './ed25519-checks.ts';
import { fromHex, toHex } from './encoding.ts';

const le = (n: bigint) => {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return out;
};
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const P = 2n ** 255n - 19n;
const withScalar = (s: bigint) => {
  const signature = new Uint8Array(64);
  signature.set(le(s), 32);
  return signature;
};

t.test('S below L, and nothing else, is canonical', async (t) => {
  t.equal(scalarIsCanonical(withScalar(0n)), true);
  t.equal(scalarIsCanonical(withScalar(L - 1n)), true);
  t.equal(scalarIsCanonical(withScalar(L)), false);
  t.equal(scalarIsCanonical(withScalar(L + 1n)), false);
  t.equal(scalarIsCanonical(withScalar(2n ** 256n - 1n)), false);
  t.equal(scalarIsCanonical(withScalar(L - 2n ** 200n)), true, 'equal top bytes, lower below');
});

t.test('y below p, and nothing else, is canonical, whatever the sign bit', async (t) => {
  for (const sign of [0n, 2n ** 255n]) {
    t.equal(pointIsCanonical(le(P - 1n + sign)), true, `p − 1 (sign ${sign > 0n})`);
    t.equal(pointIsCanonical(le(P + sign)), false, `p (sign ${sign > 0n})`);
    t.equal(pointIsCanonical(le(2n ** 255n - 1n + sign)), false, `2^255 − 1 (sign ${sign > 0n})`);
    t.equal(pointIsCanonical(le(1n + sign)), true);
  }
  const at = new Uint8Array(64);
  at.set(le(P), 32);
  t.equal(pointIsCanonical(at, 0), true, 'reads at the offset');
  t.equal(pointIsCanonical(at, 32), false);
});

t.test('the small-order keys are the eight torsion points, and noble refuses each', async (t) => {
  const generator = ed.Point.fromBytes(
    fromHex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'),
    true,
  );
  const torsion = new Set<string>();
  for (let k = 0n; k < 8n; k++) torsion.add(toHex(generator.multiplyUnsafe(k).toBytes()));
  t.equal(torsion.size, 8, 'a point of order 8 generates eight points');
  for (const point of torsion) {
    const bytes = fromHex(point);
    t.ok(isSmallOrderKey(bytes), `${point} listed`);
    const signature = new Uint8Array(64);
    t.equal(nobleBackend.verify(signature, new Uint8Array(0), bytes), false, 'noble refuses it');
  }
  // The x = 0 points (y = ±1) with the sign bit set: strict decoding refuses them.
  for (const y of [1n, P - 1n]) {
    const signed = le(y + 2n ** 255n);
    t.ok(isSmallOrderKey(signed));
    t.throws(() => ed.Point.fromBytes(signed, false), 'strict decoding refuses it');
  }
  t.equal(isSmallOrderKey(nobleBackend.publicKey(new Uint8Array(32).fill(1))), false);
});

t.test('every refusal on a Wycheproof case is one noble makes', async (t) => {
  let refused = 0;
  for (const c of WYCHEPROOF) {
    if (!refusedByEncoding(c.signature, c.publicKey)) continue;
    refused += 1;
    t.equal(c.valid, false, `tcId ${c.tcId} is invalid`);
    t.equal(nobleBackend.verify(c.signature, c.message, c.publicKey), false, `tcId ${c.tcId}: noble refuses`);
  }
  t.ok(refused > 0, `${refused} cases refused on their encoding`);
});

t.test('honest signatures are never refused', async (t) => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ maxLength: 100 }),
      (seed, message) => {
        const signature = nobleBackend.sign(message, seed);
        return !refusedByEncoding(signature, nobleBackend.publicKey(seed));
      },
    ),
    { numRuns: 100 },
  );
  t.pass('100 random keys and messages');
  t.equal(refusedByEncoding(new Uint8Array(63), new Uint8Array(32)), true, 'a short signature');
  t.equal(refusedByEncoding(new Uint8Array(64), new Uint8Array(31)), true, 'a short key');
});
