/**
 * The rules an entry must satisfy on its own, given only the ledger's currency and actor: what a
 * schema pattern cannot say. The builder runs them before signing and the chain verifier after
 * the schema, so a ledger that one accepts the other accepts too.
 */
import type { CryptoBackend } from '../crypto.ts';
import type { JsonObject } from '../jcs.ts';
import { type AmountFailure, addAmounts, currencyDigits, formatAmount, parseWireAmount } from '../money.ts';
import { decodeMultikey } from '../multikey.ts';
import { type ProofFailure, verifyProof } from '../proof.ts';
import { validateHostSigned } from './schemas.ts';
import type { HostSigned, HostSignedType, UnsignedEntry } from './types.ts';

/** Why an entry breaks a rule that needs no ledger history. */
export type StaticRuleFailure =
  | { type: 'currencyMismatch'; path: string; expected: string; actual: string }
  | { type: 'badAmount'; path: string; amount: AmountFailure }
  | { type: 'amountMismatch'; path: string; expected: string; actual: string }
  | { type: 'schemaViolation'; path: string; message: string }
  | { type: 'hostSignatureInvalid'; path: string; problem: HostSignatureProblem };

/** What is wrong with an embedded host-signed object. */
export type HostSignatureProblem =
  | { type: 'noHost' }
  | { type: 'wrongHost'; expected: string; actual: string }
  | { type: 'wrongCollective'; expected: string; actual: string }
  | { type: 'wrongReference'; field: 'expense' | 'amount' | 'currency' }
  | { type: 'schemaViolation'; path: string; message: string }
  | { type: 'proof'; proof: ProofFailure };

/** The host a ledger declared in its latest `HostJoined`: id and raw Ed25519 public key. */
export interface DeclaredHost {
  id: string;
  publicKey: Uint8Array;
}

/** The amount of a money entry in minor units, once its rules hold; 0n for other kinds. */
export type StaticRuleResult = { ok: true; minor: bigint } | { ok: false; reason: StaticRuleFailure };

// Consecutive entries mostly share their second, and Date.parse was a microsecond an entry of
// an audit: the last answer is kept (a pure function of its text, so nothing can go stale).
let lastTimestamp = '';
let lastTimestampMs = Number.NaN;
const TIMESTAMP_MS = (text: string): number => {
  if (text !== lastTimestamp) {
    lastTimestamp = text;
    lastTimestampMs = Date.parse(text);
  }
  return lastTimestampMs;
};

function amountAt(
  entry: Record<string, unknown>,
  path: string,
  currency: string,
): { ok: true; minor: bigint } | { ok: false; reason: StaticRuleFailure } {
  const parsed = parseWireAmount(entry.amount, currency);
  return parsed.ok ? parsed : { ok: false, reason: { type: 'badAmount', path, amount: parsed.reason } };
}

/**
 * Checks currency, wire amounts and their sums, event times, and the references inside embedded
 * host-signed objects (not their proofs: see {@link checkHostSigned}).
 */
export function checkStaticRules(entry: UnsignedEntry, currency: string, actor: string): StaticRuleResult {
  const e = entry as unknown as Record<string, unknown>;
  if (entry.kind === 'Event') {
    const ev = entry as UnsignedEntry<'Event'>;
    const start = TIMESTAMP_MS(ev.startTime);
    const end = TIMESTAMP_MS(ev.endTime);
    if (Number.isNaN(start)) return schema('/startTime', 'not a date');
    if (Number.isNaN(end)) return schema('/endTime', 'not a date');
    if (end < start) return schema('/endTime', 'must not be before startTime');
    return { ok: true, minor: 0n };
  }
  if (Number.isNaN(TIMESTAMP_MS(entry.published))) return schema('/published', 'not a date');
  if (
    entry.kind === 'MemberJoined' &&
    !decodeMultikey((entry as UnsignedEntry<'MemberJoined'>).collectiveKey).ok
  ) {
    return schema('/collectiveKey', 'not an Ed25519 Multikey');
  }
  if (e.currency === undefined) return { ok: true, minor: 0n };
  if (e.currency !== currency) {
    return {
      ok: false,
      reason: { type: 'currencyMismatch', path: '/currency', expected: currency, actual: String(e.currency) },
    };
  }
  if (currencyDigits(currency) === undefined) {
    return {
      ok: false,
      reason: { type: 'badAmount', path: '/currency', amount: { type: 'unknownCurrency', currency } },
    };
  }
  if (e.amount === undefined) return { ok: true, minor: 0n };
  const amount = amountAt(e, '/amount', currency);
  if (!amount.ok) return amount;
  switch (entry.kind) {
    case 'Expense': {
      const items = (entry as UnsignedEntry<'Expense'>).items;
      const minors: bigint[] = [];
      for (let i = 0; i < items.length; i++) {
        const item = amountAt(items[i] as unknown as Record<string, unknown>, `/items/${i}/amount`, currency);
        if (!item.ok) return item;
        minors.push(item.minor);
      }
      const sum = addAmounts(...minors);
      if (!sum.ok) return { ok: false, reason: { type: 'badAmount', path: '/amount', amount: sum.reason } };
      if (sum.minor !== amount.minor) {
        const expected = formatAmount(sum.minor, currency);
        return {
          ok: false,
          reason: { type: 'amountMismatch', path: '/amount', expected, actual: String(e.amount) },
        };
      }
      return amount;
    }
    case 'Contribution':
      return embedded(e.receipt, '/receipt', { actor, currency, amount: e.amount as string }, amount.minor);
    case 'ExpensePaid':
      return embedded(
        e.payout,
        '/payout',
        { actor, currency, amount: e.amount as string, expense: e.expense as string },
        amount.minor,
      );
    default:
      return amount;
  }
}

function schema(path: string, message: string): StaticRuleResult {
  return { ok: false, reason: { type: 'schemaViolation', path, message } };
}

function embedded(
  value: unknown,
  path: string,
  expected: { actor: string; currency: string; amount?: string; expense?: string },
  minor: bigint,
): StaticRuleResult {
  if (value === undefined) return { ok: true, minor };
  const problem = hostObjectReferences(value as HostSigned, expected);
  return problem === undefined
    ? { ok: true, minor }
    : { ok: false, reason: { type: 'hostSignatureInvalid', path, problem } };
}

/** The first reference in a host-signed object that does not name what the entry names. */
export function hostObjectReferences(
  object: HostSigned,
  expected: { actor: string; currency: string; amount?: string; expense?: string },
): HostSignatureProblem | undefined {
  if (object.collective !== expected.actor) {
    return { type: 'wrongCollective', expected: expected.actor, actual: object.collective };
  }
  if (expected.expense !== undefined && object.expense !== expected.expense) {
    return { type: 'wrongReference', field: 'expense' };
  }
  if (object.currency !== expected.currency) return { type: 'wrongReference', field: 'currency' };
  if (expected.amount !== undefined && object.amount !== expected.amount) {
    return { type: 'wrongReference', field: 'amount' };
  }
  return undefined;
}

/**
 * Verifies a host-signed object's schema, its `host` and its proof against the host the ledger
 * declared. The key comes from the ledger, never from the object.
 */
export function checkHostSigned(
  object: unknown,
  type: HostSignedType,
  host: DeclaredHost | undefined,
  backend: CryptoBackend,
): HostSignatureProblem | undefined {
  if (host === undefined) return { type: 'noHost' };
  const shape = validateHostSigned(object, type);
  if (!shape.ok) {
    const r = shape.reason;
    return r.type === 'schemaViolation'
      ? { type: 'schemaViolation', path: r.path, message: r.message }
      : { type: 'schemaViolation', path: '/type', message: 'unknown type' };
  }
  const signed = object as HostSigned;
  if (signed.host !== host.id) return { type: 'wrongHost', expected: host.id, actual: signed.host };
  if (!signed.proof.verificationMethod.startsWith(`${host.id}#`)) {
    return {
      type: 'proof',
      proof: {
        type: 'verificationMethodMismatch',
        expected: `${host.id}#…`,
        actual: signed.proof.verificationMethod,
      },
    };
  }
  const result = verifyProof(signed as unknown as JsonObject, { publicKey: host.publicKey, backend });
  return result.ok ? undefined : { type: 'proof', proof: result.reason };
}
