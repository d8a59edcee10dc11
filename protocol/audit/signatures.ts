/**
 * Deferred Ed25519 checks, so that an auditor can spread signature verification over several
 * threads while one thread walks the chain in order.
 *
 * Why deferring is sound: the chain verifier (chain.ts) and the rules it calls use a signature's
 * answer only to fail. A pass whose `verify` answers true at once and records the question takes
 * exactly the path the real pass takes up to the first signature that is in fact invalid; so the
 * first failure of the real pass is the earlier of the optimistic pass's first failure and the
 * first recorded signature that does not verify. The caller then knows where to look, and only
 * a failing ledger needs a second, exact pass (to name the reason at that seq).
 *
 * Questions are packed in flat byte batches that can be transferred between threads without
 * copying: per record, the seq (8 bytes, big-endian float64), the message length (4 bytes,
 * big-endian), the 64-byte signature, the 32-byte public key, then the message.
 */
import type { CryptoBackend } from '../crypto.ts';

const SIGNATURE_SIZE = 64;
const PUBLIC_KEY_SIZE = 32;
const HEADER_SIZE = 8 + 4;
const MALFORMED = 0xffffffff;

/** A signature question to answer later: does `signature` sign `message` under `publicKey`? */
export type SignatureCheck = (
  seq: number,
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
) => boolean;

/**
 * A backend for the chain verifier whose `verify` hands the question to `check`, with the seq
 * that `seqOf` names (the entry being pushed), and returns its answer. Hashing stays `base`'s.
 */
export function checkingBackend(
  base: CryptoBackend,
  seqOf: () => number,
  check: SignatureCheck,
): CryptoBackend {
  return {
    name: `${base.name} (checked by the auditor)`,
    sign: (message, secretKey) => base.sign(message, secretKey),
    publicKey: (secretKey) => base.publicKey(secretKey),
    sha256: (data) => base.sha256(data),
    verify: (signature, message, publicKey) => check(seqOf(), signature, message, publicKey),
  };
}

/** Collects signature questions into transferable batches, in the order they are asked. */
export class SignatureBatchWriter {
  #buffer: Uint8Array;
  #view: DataView;
  #length = 0;
  #count = 0;
  #firstSeq = -1;
  #lastSeq = -1;

  /** `capacity` is a first guess in bytes; the buffer grows as needed. */
  constructor(capacity = 64 * 1024) {
    this.#buffer = new Uint8Array(capacity);
    this.#view = new DataView(this.#buffer.buffer);
  }

  /** Records in the batch so far. */
  get count(): number {
    return this.#count;
  }

  /** Bytes in the batch so far. */
  get byteLength(): number {
    return this.#length;
  }

  /**
   * Adds one question. A signature or key of the wrong length is recorded as malformed (a length
   * of 2^32 − 1 and no message), which never verifies, as `verify` answers for it.
   */
  add(seq: number, signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): void {
    const wellFormed = signature.length === SIGNATURE_SIZE && publicKey.length === PUBLIC_KEY_SIZE;
    const body = wellFormed ? message : new Uint8Array(0);
    const size = HEADER_SIZE + SIGNATURE_SIZE + PUBLIC_KEY_SIZE + body.length;
    this.#reserve(size);
    const at = this.#length;
    this.#view.setFloat64(at, seq);
    this.#view.setUint32(at + 8, wellFormed ? body.length : MALFORMED);
    if (wellFormed) {
      this.#buffer.set(signature, at + HEADER_SIZE);
      this.#buffer.set(publicKey, at + HEADER_SIZE + SIGNATURE_SIZE);
    } else {
      this.#buffer.fill(0, at + HEADER_SIZE, at + HEADER_SIZE + SIGNATURE_SIZE + PUBLIC_KEY_SIZE);
    }
    this.#buffer.set(body, at + HEADER_SIZE + SIGNATURE_SIZE + PUBLIC_KEY_SIZE);
    this.#length += size;
    this.#count += 1;
    if (this.#firstSeq < 0) this.#firstSeq = seq;
    this.#lastSeq = seq;
  }

  /** Hands the batch over (its bytes, record count and seq range) and starts an empty one. */
  take(): SignatureBatch {
    const batch: SignatureBatch = {
      bytes: this.#buffer.slice(0, this.#length),
      count: this.#count,
      firstSeq: this.#firstSeq,
      lastSeq: this.#lastSeq,
    };
    this.#length = 0;
    this.#count = 0;
    this.#firstSeq = -1;
    this.#lastSeq = -1;
    return batch;
  }

  #reserve(size: number): void {
    if (this.#length + size <= this.#buffer.length) return;
    const grown = new Uint8Array(Math.max(this.#buffer.length * 2, this.#length + size));
    grown.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = grown;
    this.#view = new DataView(grown.buffer);
  }
}

/** A batch of signature questions, records in the order asked. */
export interface SignatureBatch {
  bytes: Uint8Array;
  count: number;
  /** Seq of the first and last record (-1 when empty). */
  firstSeq: number;
  lastSeq: number;
}

/**
 * Answers a batch: the seq of the first record whose signature does not verify, or undefined
 * when all do. Throws a RangeError on bytes that are not a batch.
 */
export function firstInvalidSignature(bytes: Uint8Array, backend: CryptoBackend): number | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at < bytes.length) {
    if (at + HEADER_SIZE + SIGNATURE_SIZE + PUBLIC_KEY_SIZE > bytes.length)
      throw new RangeError('truncated signature batch');
    const seq = view.getFloat64(at);
    const declared = view.getUint32(at + 8);
    const length = declared === MALFORMED ? 0 : declared;
    const signatureAt = at + HEADER_SIZE;
    const keyAt = signatureAt + SIGNATURE_SIZE;
    const messageAt = keyAt + PUBLIC_KEY_SIZE;
    if (messageAt + length > bytes.length) throw new RangeError('truncated signature batch');
    const ok =
      declared !== MALFORMED &&
      backend.verify(
        bytes.subarray(signatureAt, keyAt),
        bytes.subarray(messageAt, messageAt + length),
        bytes.subarray(keyAt, messageAt),
      );
    if (!ok) return seq;
    at = messageAt + length;
  }
  return undefined;
}
