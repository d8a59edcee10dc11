/**
 * A signature worker: answers batches of deferred Ed25519 questions (protocol/audit/signatures.ts)
 * with node:crypto, which answers exactly as the browser's noble backend does.
 */
import { parentPort } from 'node:worker_threads';
import { nativeBackend } from '../../node/crypto/native.ts';
import { answerSignatures, type SignatureRequest } from './pool.ts';

parentPort?.on('message', (request: SignatureRequest) => {
  parentPort?.postMessage(answerSignatures(request, nativeBackend));
});
