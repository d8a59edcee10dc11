/**
 * Turning what can go wrong in the writer into the node's registered errors, so that routes
 * render them like any other `AppError` (code, status, message, details).
 */
import { AppError } from '../errors.ts';

/** The body could not become an entry (schema, size, canonicalisation); `details.reason` says why. */
export function invalidEntry(reason: unknown, message?: string): AppError {
  return new AppError('LEDGER_INVALID_ENTRY', message, { reason: plain(reason) });
}

/**
 * The entry is well formed but a ledger rule refuses it (expense state, balance, references);
 * `LEDGER_ALREADY_RECORDED` when the ledger already records that fact (`details.reason.first`
 * names the entry that did, so a writer retrying after a crash can find its own entry).
 */
export function ruleViolation(reason: unknown, message?: string): AppError {
  const code =
    (reason as { type?: unknown } | null)?.type === 'alreadyRecorded'
      ? 'LEDGER_ALREADY_RECORDED'
      : 'LEDGER_RULE';
  return new AppError(code, message, { reason: plain(reason) });
}

/** Makes a reason safe to put in JSON details (bigints become strings, errors their message). */
function plain(value: unknown): unknown {
  if (value instanceof Error) return { type: value.name, message: value.message };
  return JSON.parse(JSON.stringify(value ?? null, (_key, v) => (typeof v === 'bigint' ? v.toString() : v)));
}
