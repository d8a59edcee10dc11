// RFC 8032 and Wycheproof, run against any CryptoBackend: the noble backend (protocol/crypto.test.ts)
// and the native ones, node:crypto and libsodium (node/crypto/native.test.ts), must pass the very same cases.
import type { Test } from 'tap';
import type { CryptoBackend } from '../protocol/crypto.ts';
import { fromHex, toHex } from '../protocol/encoding.ts';
import { readVectorJson } from './vectors.ts';

interface Rfc8032Vector {
  name: string;
  secretKey: string;
  publicKey: string;
  message: string;
  signature: string;
}

interface WycheproofFile {
  numberOfTests: number;
  testGroups: {
    publicKey: { pk: string };
    tests: { tcId: number; comment: string; flags: string[]; msg: string; sig: string; result: string }[];
  }[];
}

/** One Wycheproof case with its group's key. */
export interface WycheproofCase {
  tcId: number;
  comment: string;
  flags: string[];
  publicKey: Uint8Array;
  message: Uint8Array;
  signature: Uint8Array;
  valid: boolean;
}

/** The RFC 8032 §7.1 vectors. */
export const RFC8032 = readVectorJson<{ vectors: Rfc8032Vector[] }>('rfc8032/rfc8032-ed25519.json').vectors;

const wycheproof = readVectorJson<WycheproofFile>('wycheproof/ed25519_test.json');

/** The number of cases the Wycheproof file declares; the tests check they all ran. */
export const WYCHEPROOF_DECLARED = wycheproof.numberOfTests;

/** Every Wycheproof Ed25519 case, flattened. */
export const WYCHEPROOF: WycheproofCase[] = wycheproof.testGroups.flatMap((group) =>
  group.tests.map((test) => {
    // "acceptable" would mean either answer is fine; this file has none, and a strict verifier
    // must not silently pass one, so it is an error here rather than a skipped case.
    if (test.result !== 'valid' && test.result !== 'invalid') {
      throw new Error(`tcId ${test.tcId}: unexpected result ${test.result}`);
    }
    return {
      tcId: test.tcId,
      comment: test.comment,
      flags: test.flags,
      publicKey: fromHex(group.publicKey.pk),
      message: fromHex(test.msg),
      signature: fromHex(test.sig),
      valid: test.result === 'valid',
    };
  }),
);

/** RFC 8032: key derivation, deterministic signature, verification, and a flipped bit refused. */
export function testRfc8032(t: Test, backend: CryptoBackend): void {
  for (const v of RFC8032) {
    t.test(`RFC 8032 ${v.name} (${backend.name})`, async (t) => {
      const secretKey = fromHex(v.secretKey);
      const message = fromHex(v.message);
      t.equal(toHex(backend.publicKey(secretKey)), v.publicKey, 'public key');
      t.equal(toHex(backend.sign(message, secretKey)), v.signature, 'signature');
      t.equal(backend.verify(fromHex(v.signature), message, fromHex(v.publicKey)), true, 'verifies');
      const flipped = fromHex(v.signature);
      flipped[5] = (flipped[5] as number) ^ 1;
      t.equal(backend.verify(flipped, message, fromHex(v.publicKey)), false, 'flipped bit refused');
    });
  }
}

/** Every Wycheproof case, one assertion each, named by tcId. */
export function testWycheproof(t: Test, backend: CryptoBackend): void {
  t.test(`Wycheproof Ed25519, ${WYCHEPROOF.length} cases (${backend.name})`, async (t) => {
    t.equal(WYCHEPROOF.length, WYCHEPROOF_DECLARED, 'every declared case is present');
    for (const c of WYCHEPROOF) {
      t.equal(
        backend.verify(c.signature, c.message, c.publicKey),
        c.valid,
        `tcId ${c.tcId} ${c.valid ? 'valid' : 'invalid'} [${c.flags.join(',')}] ${c.comment}`,
      );
    }
  });
}
