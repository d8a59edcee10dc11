/**
 * A signature worker: answers batches of deferred Ed25519 questions (protocol/audit/signatures.ts)
 * with node:crypto, which answers exactly as the browser's noble backend does.
 */
import { parentPort } from 'node:worker_threads';
import { nativeBackend } from '../../node/crypto/native.ts';
import { firstInvalidSignature } from '../../protocol/audit/signatures.ts';

parentPort?.on('message', (message: { bytes: Uint8Array }) => {
  const invalid = firstInvalidSignature(message.bytes, nativeBackend);
  parentPort?.postMessage({ invalid: invalid ?? null });
});
