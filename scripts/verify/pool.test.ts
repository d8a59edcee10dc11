// The signature pool: batches answered by helper threads (a started worker, or a thread already
// there that listens on a port, as the CLI's main thread does), by the walking thread when every
// helper is busy, and the earliest invalid signature kept whoever answered.
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import t from 'tap';
import { nativeBackend } from '../../node/crypto/native.ts';
import { type SignatureBatch, SignatureBatchWriter } from '../../protocol/audit/signatures.ts';
import { keyPairFromSeed } from '../../protocol/crypto.ts';
import { answerSignatures, SignaturePool, type SignatureRequest } from './pool.ts';

const keys = keyPairFromSeed(new Uint8Array(32).fill(9), nativeBackend);

/** A batch of signatures over one-byte messages for `seqs`; those in `bad` sign another message. */
function batch(seqs: number[], bad: number[] = []): SignatureBatch {
  const writer = new SignatureBatchWriter();
  for (const seq of seqs) {
    const message = new Uint8Array([seq & 0xff]);
    const signed = bad.includes(seq) ? new Uint8Array([0xee]) : message;
    writer.add(seq, nativeBackend.sign(signed, keys.secretKey), message, keys.publicKey);
  }
  return writer.take();
}

/** A helper on this very thread, behind a port: it answers, or holds requests until `release`. */
function portHelper(hold = false) {
  const { port1, port2 } = new MessageChannel();
  const held: SignatureRequest[] = [];
  let requests = 0;
  port2.on('message', (request: SignatureRequest) => {
    requests += 1;
    if (hold) held.push(request);
    else port2.postMessage(answerSignatures(request, nativeBackend));
  });
  return {
    port: port1,
    get requests() {
      return requests;
    },
    release() {
      hold = false;
      for (const request of held.splice(0)) port2.postMessage(answerSignatures(request, nativeBackend));
    },
    close() {
      port1.close();
      port2.close();
    },
  };
}

const listeners = (port: MessagePort) => port.listenerCount('message');

t.test('a port is a helper like a worker: no thread started, the earliest invalid seq kept', async (t) => {
  const helper = portHelper();
  const pool = new SignaturePool({ backend: nativeBackend, ports: [helper.port], workers: 1 });
  t.equal(pool.workers, 1);
  pool.submit(batch([0, 1, 2]));
  pool.submit(batch([3, 4, 5, 6], [5, 6]));
  t.equal(await pool.drain(), 5, 'the first invalid signature of the batches');
  t.equal(helper.requests, 2, 'both batches went to the port');
  t.equal(pool.offloaded, 2);
  t.equal(pool.inline, 0);
  await pool.close();
  t.equal(listeners(helper.port), 0, 'the pool stops listening, and leaves the port open');
  helper.close();
});

t.test('with every helper busy, the walking thread answers itself', async (t) => {
  const helper = portHelper(true);
  const pool = new SignaturePool({ backend: nativeBackend, ports: [helper.port], workers: 1, maxQueued: 1 });
  pool.submit(batch([0, 1]));
  pool.submit(batch([2, 3], [3]));
  t.equal(pool.inline, 1, 'the second batch did not wait');
  t.equal(pool.firstInvalid, 3, 'and its answer is known at once');
  const drained = pool.drain();
  // Let the held request reach the helper before it answers.
  await new Promise((resolve) => setImmediate(resolve));
  helper.release();
  t.equal(await drained, 3);
  t.equal(pool.offloaded, 1);
  await pool.close();
  helper.close();
});

t.test(
  'workers 0 answers everything on this thread; a started worker answers as the port does',
  async (t) => {
    const alone = new SignaturePool({ backend: nativeBackend, workers: 0 });
    alone.submit(batch([0, 1, 2], [1]));
    t.equal(await alone.drain(), 1);
    t.equal(alone.inline, 1);
    await alone.close();

    const helper = portHelper();
    const mixed = new SignaturePool({ backend: nativeBackend, ports: [helper.port], workers: 2 });
    t.equal(mixed.workers, 2, 'the port and one started worker');
    for (let i = 0; i < 4; i++) mixed.submit(batch([i * 10, i * 10 + 1], i === 2 ? [21] : []));
    t.equal(await mixed.drain(), 21);
    t.equal(mixed.offloaded, 4);
    t.ok(helper.requests >= 1 && helper.requests <= 3, 'the batches were shared');
    await mixed.close();
    helper.close();
  },
);
