/**
 * Signed messages between a collective and its host that are not ledger entries: the
 * collective's application, the host's membership decision, and the host's refusal to
 * countersign an expense. Each is a closed JSON object with the entry `@context` and one
 * `eddsa-jcs-2022` proof (FEP-8b32), like the host-signed objects a ledger embeds; its `type` is
 * the domain tag that keeps a signature for one purpose from being replayed as another.
 * Verification takes the signer's key from the caller (a ledger, an actor document), never from
 * the message.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { type CryptoBackend, nobleBackend } from '../crypto.ts';
import { toHex } from '../encoding.ts';
import { ENTRY_CONTEXT } from '../entry/types.ts';
import { canonicalBytes, type JsonObject } from '../jcs.ts';
import { createProof, type DataIntegrityProof, type ProofFailure, verifyProof } from '../proof.ts';

/** The types of {@link HostMessage}. */
export type HostMessageType = 'HostApplication' | 'HostMembership' | 'CountersignRefusal';

/** Fields of each message type, beside `@context`, `type` and `proof`. */
export interface HostMessageFields {
  /** A collective asks a host to hold its money; signed with the collective's ledger key. */
  HostApplication: {
    collective: string;
    host: string;
    /** The collective's ledger currency (must be the host's). */
    currency: string;
    /** The collective's current ledger and checkpoint keys (Multikey) and checkpoint origin. */
    ledgerKey: string;
    checkpointKey: string;
    origin: string;
    /** The fee rate of the terms the collective accepts, and SHA-256 of their JCS, hex. */
    feeBasisPoints: number;
    terms: string;
    message?: string;
  };
  /** The host's answer to an application; signed with the host's ledger key. */
  HostMembership: {
    host: string;
    collective: string;
    /** SHA-256 of the JCS of the signed application, hex. */
    application: string;
    decision: 'accepted' | 'rejected';
    /** The host's ledger key (Multikey) the collective records in `HostJoined`. */
    hostKey: string;
    feeBasisPoints: number;
    reason?: string;
  };
  /** The host will not countersign an expense; signed with the host's ledger key. */
  CountersignRefusal: {
    host: string;
    collective: string;
    /** The expense's leaf hash. */
    expense: string;
    /** A machine code (the policy failure) and a sentence for people. */
    code: string;
    reason: string;
  };
}

/** A signed message of type `T`. */
export type HostMessage<T extends HostMessageType = HostMessageType> = {
  '@context': string[];
  type: T;
  proof: DataIntegrityProof;
} & HostMessageFields[T];

/** Why a message does not verify. */
export type MessageFailure =
  | { type: 'schemaViolation'; path: string; message: string }
  | { type: 'wrongSigner'; expected: string; actual: string }
  | { type: 'proof'; proof: ProofFailure };

/** Result of {@link verifyHostMessage}. */
export type MessageResult<T extends HostMessageType> =
  | { ok: true; message: HostMessage<T> }
  | { ok: false; reason: MessageFailure };

const URL = { type: 'string', maxLength: 2000, pattern: '^https?://[^\\s]+$' };
const HASH = { type: 'string', pattern: '^[0-9a-f]{64}$' };
const MULTIKEY = { type: 'string', pattern: '^z[1-9A-HJ-NP-Za-km-z]{40,60}$' };
const TEXT = { type: 'string', minLength: 1, maxLength: 2000 };
const BPS = { type: 'integer', minimum: 0, maximum: 10_000 };
const PROOF = { type: 'object' }; // its shape is parseProof's to check, during verification

const FIELDS: Record<HostMessageType, { properties: Record<string, unknown>; required: string[] }> = {
  HostApplication: {
    properties: {
      collective: URL,
      host: URL,
      currency: { type: 'string', pattern: '^[A-Z]{3}$' },
      ledgerKey: MULTIKEY,
      checkpointKey: MULTIKEY,
      origin: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7e]+$' },
      feeBasisPoints: BPS,
      terms: HASH,
      message: TEXT,
    },
    required: [
      'collective',
      'host',
      'currency',
      'ledgerKey',
      'checkpointKey',
      'origin',
      'feeBasisPoints',
      'terms',
    ],
  },
  HostMembership: {
    properties: {
      host: URL,
      collective: URL,
      application: HASH,
      decision: { enum: ['accepted', 'rejected'] },
      hostKey: MULTIKEY,
      feeBasisPoints: BPS,
      reason: TEXT,
    },
    required: ['host', 'collective', 'application', 'decision', 'hostKey', 'feeBasisPoints'],
  },
  CountersignRefusal: {
    properties: {
      host: URL,
      collective: URL,
      expense: HASH,
      code: { type: 'string', pattern: '^[A-Za-z]{1,64}$' },
      reason: TEXT,
    },
    required: ['host', 'collective', 'expense', 'code', 'reason'],
  },
};

/** Who signs each type: the actor id field its proof's verification method must start with. */
const SIGNER: Record<HostMessageType, 'collective' | 'host'> = {
  HostApplication: 'collective',
  HostMembership: 'host',
  CountersignRefusal: 'host',
};

/** The closed JSON Schema of a message of `type`, signed or not. */
export function hostMessageSchema(type: HostMessageType, signed: boolean): Record<string, unknown> {
  const { properties, required } = FIELDS[type];
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    additionalProperties: false,
    required: ['@context', 'type', ...required, ...(signed ? ['proof'] : [])],
    properties: {
      '@context': { const: [...ENTRY_CONTEXT] },
      type: { const: type },
      ...properties,
      ...(signed ? { proof: PROOF } : {}),
    },
  };
}

let ajv: Ajv | undefined;
const compiled = new Map<string, ValidateFunction>();

function check(value: unknown, type: HostMessageType, signed: boolean): MessageFailure | undefined {
  const key = `${type}:${signed}`;
  let validate = compiled.get(key);
  if (validate === undefined) {
    ajv ??= new Ajv({ strict: true, validateSchema: false });
    validate = ajv.compile(hostMessageSchema(type, signed));
    compiled.set(key, validate);
  }
  if (validate(value)) return undefined;
  const error = validate.errors?.[0];
  const extra = error?.params as { additionalProperty?: string; missingProperty?: string } | undefined;
  const member = extra?.additionalProperty ?? extra?.missingProperty;
  return {
    type: 'schemaViolation',
    path: `${error?.instancePath ?? ''}${member === undefined ? '' : `/${member}`}`,
    message: extra?.additionalProperty === undefined ? (error?.message ?? 'invalid') : 'unknown member',
  };
}

/** Signing inputs: the signer's verification method and key, and the time (no clock here). */
export interface MessageSignOptions {
  verificationMethod: string;
  secretKey: Uint8Array;
  time: Date;
  backend?: CryptoBackend;
}

/** Thrown when a message cannot be signed: nothing was signed. */
export class HostMessageError extends Error {
  override name = 'HostMessageError';
  readonly reason: MessageFailure;
  constructor(reason: MessageFailure) {
    super(reason.type === 'schemaViolation' ? `${reason.path}: ${reason.message}` : reason.type);
    this.reason = reason;
  }
}

/** Builds and signs a message of `type`; throws a {@link HostMessageError} on a bad shape or signer. */
export function signHostMessage<T extends HostMessageType>(
  type: T,
  fields: HostMessageFields[T],
  options: MessageSignOptions,
): HostMessage<T> {
  const unsigned = { '@context': [...ENTRY_CONTEXT], type, ...fields };
  const problem = check(unsigned, type, false);
  if (problem !== undefined) throw new HostMessageError(problem);
  const signer = (fields as Record<string, unknown>)[SIGNER[type]] as string;
  if (!options.verificationMethod.startsWith(`${signer}#`)) {
    throw new HostMessageError({
      type: 'wrongSigner',
      expected: `${signer}#…`,
      actual: options.verificationMethod,
    });
  }
  return createProof(unsigned as unknown as JsonObject, {
    verificationMethod: options.verificationMethod,
    secretKey: options.secretKey,
    created: options.time,
    backend: options.backend ?? nobleBackend,
  }) as unknown as HostMessage<T>;
}

/**
 * Verifies a message of `type`: its closed shape, that its proof names a key of the actor who
 * signs this type (the collective for an application, the host otherwise), and the proof against
 * `publicKey`, which the caller resolved from that actor.
 */
export function verifyHostMessage<T extends HostMessageType>(
  value: unknown,
  type: T,
  options: { publicKey: Uint8Array; backend?: CryptoBackend },
): MessageResult<T> {
  const problem = check(value, type, true);
  if (problem !== undefined) return { ok: false, reason: problem };
  const message = value as HostMessage<T>;
  const signer = (message as Record<string, unknown>)[SIGNER[type]] as string;
  const method = (message.proof as { verificationMethod?: unknown }).verificationMethod;
  if (typeof method !== 'string' || !method.startsWith(`${signer}#`)) {
    return { ok: false, reason: { type: 'wrongSigner', expected: `${signer}#…`, actual: String(method) } };
  }
  const result = verifyProof(message as unknown as JsonObject, {
    publicKey: options.publicKey,
    backend: options.backend ?? nobleBackend,
  });
  return result.ok ? { ok: true, message } : { ok: false, reason: { type: 'proof', proof: result.reason } };
}

/** Boolean form of {@link verifyHostMessage}. */
export function isHostMessageValid(
  value: unknown,
  type: HostMessageType,
  options: { publicKey: Uint8Array; backend?: CryptoBackend },
): boolean {
  return verifyHostMessage(value, type, options).ok;
}

/**
 * SHA-256 of the JCS of a JSON value, hex: how a membership names the application it answers and
 * an application names the terms it accepts. Throws a CanonicalizationError on non-JSON.
 */
export function jsonDigest(value: unknown, backend: CryptoBackend = nobleBackend): string {
  return toHex(backend.sha256(canonicalBytes(value)));
}
