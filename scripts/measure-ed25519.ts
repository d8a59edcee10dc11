/**
 * Measures raw Ed25519 sign and verify with node:crypto, libsodium (sodium-native) and
 * @noble/ed25519, the evidence behind docs/adr/0004-ed25519-backends.md and
 * docs/adr/0011-libsodium-ed25519.md. Run: `npx node scripts/measure-ed25519.ts [seconds]`.
 *
 * The message is 64 bytes, the size eddsa-jcs-2022 signs (two SHA-256 digests). node:crypto keys
 * are KeyObjects created once, as a server keeps them; noble verifies strictly (zip215: false),
 * as protocol/crypto.ts does.
 */
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { sodiumBackend, sodiumLoadError } from '../node/crypto/native.ts';

ed.hashes.sha512 = sha512;

const seconds = Number(process.argv[2] ?? 2);
const seed = new Uint8Array(32).map((_, i) => i + 1);
const message = new Uint8Array(64).map((_, i) => (i * 7) & 0xff);

// PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410): fixed 16-byte prefix, then the seed.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const privateKey = createPrivateKey({
  key: Buffer.concat([PKCS8_PREFIX, seed]),
  format: 'der',
  type: 'pkcs8',
});
const publicKey = createPublicKey(privateKey);
const noblePublic = ed.getPublicKey(seed);

const nodeSignature = sign(null, message, privateKey);
const nobleSignature = ed.sign(message, seed);
if (!Buffer.from(nobleSignature).equals(nodeSignature)) throw new Error('the two libraries disagree');

function rate(label: string, op: () => unknown): number {
  for (let i = 0; i < 200; i++) op(); // warm up the JIT
  let count = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  let now = start;
  while (now < end) {
    for (let i = 0; i < 50; i++) op();
    count += 50;
    now = performance.now();
  }
  const perSecond = count / ((now - start) / 1000);
  console.log(
    `${label.padEnd(28)} ${Math.round(perSecond).toString().padStart(8)} /s  (${count} in ${((now - start) / 1000).toFixed(2)} s)`,
  );
  return perSecond;
}

console.log(`Node ${process.version}, ${seconds} s per measurement, 64-byte message, one thread`);
const nodeSign = rate('node:crypto sign', () => sign(null, message, privateKey));
const nobleSign = rate('@noble/ed25519 sign', () => ed.sign(message, seed));
const nodeVerify = rate('node:crypto verify', () => verify(null, message, publicKey, nodeSignature));
const nobleVerify = rate('@noble/ed25519 verify', () =>
  ed.verify(nobleSignature, message, noblePublic, { zip215: false }),
);
console.log(`sign:   node:crypto is ${(nodeSign / nobleSign).toFixed(1)}x @noble/ed25519`);
console.log(`verify: node:crypto is ${(nodeVerify / nobleVerify).toFixed(1)}x @noble/ed25519`);

if (sodiumBackend === undefined) {
  console.log(`libsodium: not loaded (${sodiumLoadError})`);
} else {
  const sodium = sodiumBackend;
  const sodiumPublic = sodium.publicKey(seed);
  if (!Buffer.from(sodium.sign(message, seed)).equals(nodeSignature))
    throw new Error('libsodium and node:crypto disagree');
  const sodiumSign = rate('libsodium sign', () => sodium.sign(message, seed));
  // Through the backend, as the node and the auditor call it (the encoding checks included).
  const sodiumVerify = rate('libsodium verify', () => sodium.verify(nodeSignature, message, sodiumPublic));
  console.log(`sign:   libsodium is ${(sodiumSign / nodeSign).toFixed(2)}x node:crypto`);
  console.log(`verify: libsodium is ${(sodiumVerify / nodeVerify).toFixed(2)}x node:crypto`);
}
