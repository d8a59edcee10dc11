import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import t from 'tap';
import {
  bytesEqual,
  concatBytes,
  EncodingError,
  fromBase58,
  fromBase64,
  fromHex,
  fromUtf8,
  toBase58,
  toBase64,
  toHex,
  utf8,
} from './encoding.ts';

const bytes = fc.uint8Array({ maxLength: 80 });

t.test('hex: round trip, and the same text as Buffer', async (t) => {
  // Any length, and digests (32 bytes) on their own path, one after another.
  for (const arb of [bytes, fc.uint8Array({ minLength: 32, maxLength: 32 })]) {
    fc.assert(
      fc.property(arb, (b) => {
        const text = toHex(b);
        return text === Buffer.from(b).toString('hex') && bytesEqual(fromHex(text), b);
      }),
    );
  }
  const digests = [new Uint8Array(32).fill(0xab), new Uint8Array(32)];
  t.same(digests.map(toHex), ['ab'.repeat(32), '00'.repeat(32)], 'each digest its own text');
  t.same(fromHex('00FFaB'), Uint8Array.of(0, 255, 171), 'either case');
  for (const bad of ['0', 'abc', 'zz', '0x00', ' 00', '00 ']) {
    t.throws(() => fromHex(bad), EncodingError, `refuses ${JSON.stringify(bad)}`);
  }
});

t.test('base64 (RFC 4648 §4): round trip, the same text as Buffer, RFC test vectors', async (t) => {
  fc.assert(
    fc.property(bytes, (b) => {
      const text = toBase64(b);
      return text === Buffer.from(b).toString('base64') && bytesEqual(fromBase64(text), b);
    }),
  );
  // RFC 4648 §10.
  const rfc: [string, string][] = [
    ['', ''],
    ['f', 'Zg=='],
    ['fo', 'Zm8='],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg=='],
    ['fooba', 'Zm9vYmE='],
    ['foobar', 'Zm9vYmFy'],
  ];
  for (const [plain, encoded] of rfc) {
    t.equal(toBase64(utf8(plain)), encoded, `encode ${JSON.stringify(plain)}`);
    t.equal(fromUtf8(fromBase64(encoded)), plain, `decode ${encoded}`);
  }
});

t.test('base64 is strict: one accepted text per byte string', async (t) => {
  const refused: [string, string][] = [
    ['Zg', 'missing padding'],
    ['Zm8', 'missing padding'],
    ['Zg=', 'bad length'],
    ['Zh==', 'non-zero trailing bits (one byte)'],
    ['Zm9=', 'non-zero trailing bits (two bytes)'],
    ['Zm9v\n', 'whitespace'],
    ['Zm 9v', 'inner space'],
    ['Zm-v', 'base64url character'],
    ['Zm_v', 'base64url character'],
    ['Z===', 'too much padding'],
    ['Zg==Zg==', 'padding in the middle'],
    ['=Zm9', 'padding first'],
    ['Zm9é', 'non-ASCII'],
  ];
  for (const [text, why] of refused)
    t.throws(() => fromBase64(text), EncodingError, `${why}: ${JSON.stringify(text)}`);
  // Property: any text that decodes re-encodes to itself.
  fc.assert(
    fc.property(
      fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123+/='), maxLength: 12 }),
      (text) => {
        let decoded: Uint8Array;
        try {
          decoded = fromBase64(text);
        } catch (error) {
          return error instanceof EncodingError;
        }
        return toBase64(decoded) === text;
      },
    ),
    { numRuns: 2000 },
  );
});

t.test('base58btc: round trip, leading zeros, known encodings', async (t) => {
  fc.assert(
    fc.property(bytes, (b) => bytesEqual(fromBase58(toBase58(b)), b)),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(fc.nat({ max: 5 }), bytes, (zeros, b) => {
      const withZeros = concatBytes(new Uint8Array(zeros), b);
      const text = toBase58(withZeros);
      return text.startsWith('1'.repeat(zeros)) && bytesEqual(fromBase58(text), withZeros);
    }),
    { numRuns: 300 },
  );
  // From the IETF base58 draft (draft-msporny-base58 §5).
  t.equal(toBase58(utf8('Hello World!')), '2NEpo7TZRRrLZSi2U');
  t.equal(
    toBase58(utf8('The quick brown fox jumps over the lazy dog.')),
    'USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z',
  );
  t.equal(toBase58(Uint8Array.of(0, 0, 0x28, 0x7f, 0xb4, 0xcd)), '11233QC4');
  t.equal(toBase58(new Uint8Array(0)), '');
  for (const bad of ['0', 'O', 'I', 'l', '+', ' ', 'é']) {
    t.throws(() => fromBase58(`2NE${bad}`), EncodingError, `refuses ${JSON.stringify(bad)}`);
  }
});

t.test('base58btc decoding agrees with a BigInt reference, short texts and long', async (t) => {
  const alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
  /** The number the digits spell, as bytes, after one zero byte per leading '1'. */
  const reference = (text: string): Uint8Array => {
    const zeros = text.length - text.replace(/^1+/, '').length;
    let n = 0n;
    for (const c of text.slice(zeros)) n = n * 58n + BigInt(alphabet.indexOf(c));
    const hex = n === 0n ? '' : n.toString(16);
    return concatBytes(
      new Uint8Array(zeros),
      Buffer.from(hex.padStart(hex.length + (hex.length % 2), '0'), 'hex'),
    );
  };
  // Up to 300 digits: both the summed columns (at most 128 digits) and the long path; the few
  // first digits often '1' or '2', for leading zero bytes and small top limbs.
  const text = fc
    .tuple(
      fc.string({ unit: fc.constantFrom(...'12'), maxLength: 4 }),
      fc.string({ unit: fc.constantFrom(...alphabet), maxLength: 300 }),
    )
    .map(([head, rest]) => head + rest);
  fc.assert(
    fc.property(text, (s) => bytesEqual(fromBase58(s), reference(s))),
    { numRuns: 2000 },
  );
  for (let size = 1; size <= 7; size++) {
    // Top limbs of exactly 1, 256 and 65536, and of all ones: where the first byte is cut.
    for (const first of [1, 0xff]) {
      const bytes = Uint8Array.from({ length: size }, (_, i) => (i === 0 ? first : first === 1 ? 0 : 0xff));
      t.ok(bytesEqual(fromBase58(toBase58(bytes)), bytes), `${size} bytes from ${first}`);
    }
  }
  for (const length of [0, 1, 4, 5, 88, 127, 128, 129, 132, 133, 300]) {
    const max = 'z'.repeat(length);
    t.ok(bytesEqual(fromBase58(max), reference(max)), `${length} times the largest digit`);
  }
});

t.test('utf8 and fromUtf8', async (t) => {
  fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (s) => fromUtf8(utf8(s)) === s));
  t.throws(() => fromUtf8(Uint8Array.of(0xc3)), 'truncated sequence');
  t.throws(() => fromUtf8(Uint8Array.of(0xed, 0xa0, 0x80)), 'encoded surrogate');
  t.throws(() => fromUtf8(Uint8Array.of(0xc0, 0xaf)), 'overlong encoding');
});

t.test('concatBytes and bytesEqual', async (t) => {
  fc.assert(
    fc.property(fc.array(bytes, { maxLength: 5 }), (parts) =>
      bytesEqual(concatBytes(...parts), Uint8Array.from(Buffer.concat(parts))),
    ),
  );
  t.equal(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2)), true);
  t.equal(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3)), false);
  t.equal(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 0)), false, 'length differs');
});

t.test('base64 of long inputs and the lengths around its short path: the same text as Buffer', async (t) => {
  // 768 bytes make 1,024 digits, the longest text made by String.fromCharCode; each length around
  // it and around multiples of 3 ends in each kind of last group.
  const lengths = [0, 1, 2, 3, 4, 5, 765, 766, 767, 768, 769, 770, 771, 6144, 100_000, 1_000_001];
  let seed = 0x2545f491;
  for (const length of lengths) {
    const b = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      b[i] = seed >>> 24;
    }
    const text = toBase64(b);
    t.equal(text, Buffer.from(b).toString('base64'), `encode ${length} bytes`);
    t.ok(bytesEqual(fromBase64(text), b), `decode ${length} bytes`);
  }
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 700, maxLength: 5000 }), (b) => {
      const text = toBase64(b);
      return text === Buffer.from(b).toString('base64') && bytesEqual(fromBase64(text), b);
    }),
    { numRuns: 50 },
  );
  // 133,336 digits, read in three chunks of at most 65,536: a bad digit in each is seen.
  const long = toBase64(new Uint8Array(100_002).fill(7));
  for (const at of [0, 4000, 65535, 65536, 70000, long.length - 5, long.length - 1]) {
    const bad = `${long.slice(0, at)}-${long.slice(at + 1)}`;
    t.throws(() => fromBase64(bad), EncodingError, `a bad digit at ${at} of a long text`);
    const wide = `${long.slice(0, at)}é${long.slice(at + 1)}`;
    t.throws(() => fromBase64(wide), EncodingError, `a non-ASCII character at ${at} of a long text`);
  }
});
