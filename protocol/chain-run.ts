/**
 * Whole-ledger verification on top of the streaming {@link ChainVerifier}: an array or an async
 * stream of entries in, one verdict out. protocol/chain.ts re-exports these, so that callers keep
 * importing everything chain-related from there.
 */
import { ChainVerifier } from './chain.ts';
import type { ChainResult, ChainVerifierOptions } from './chain-result.ts';

function finish(verifier: ChainVerifier): ChainResult {
  const failure = verifier.failure;
  if (failure !== undefined) return { ok: false, seq: failure.seq, reason: failure };
  const head = verifier.head;
  if (head === undefined) {
    return { ok: false, seq: 0, reason: { type: 'genesisInvalid', seq: 0, problem: 'empty ledger' } };
  }
  return { ok: true, head, summary: verifier.summary() };
}

/** Verifies a whole ledger, stopping at the first failure. */
export function verifyChain(entries: Iterable<unknown>, options: ChainVerifierOptions = {}): ChainResult {
  const verifier = new ChainVerifier(options);
  for (const entry of entries) if (!verifier.push(entry).ok) break;
  return finish(verifier);
}

/** {@link verifyChain} over an async stream (pages of an outbox, lines of an export). */
export async function verifyChainAsync(
  entries: AsyncIterable<unknown>,
  options: ChainVerifierOptions = {},
): Promise<ChainResult> {
  const verifier = new ChainVerifier(options);
  for await (const entry of entries) if (!verifier.push(entry).ok) break;
  return finish(verifier);
}

/** Boolean form of {@link verifyChain}. */
export function isChainValid(entries: Iterable<unknown>, options: ChainVerifierOptions = {}): boolean {
  return verifyChain(entries, options).ok;
}
