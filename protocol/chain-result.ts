/**
 * What chain verification answers (SPEC.md §7): the tagged failure naming the first bad entry,
 * the result of one step, and the summary of a verified ledger. protocol/chain.ts re-exports
 * these; they live apart so that the verifier stays one readable file.
 */
import type { CryptoBackend } from './crypto.ts';
import type { ChainHead } from './entry/build.ts';
import type { HostSignatureProblem } from './entry/rules.ts';
import type { Hash } from './entry/types.ts';
import type { BudgetSummary, ExpenseState } from './fold.ts';
import type { AmountFailure } from './money.ts';
import type { ProofFailure } from './proof.ts';

/** Why a ledger fails at `seq` (the position in the stream, from 0). */
export type ChainFailure =
  | { type: 'leafTooLarge'; seq: number; size: number }
  | { type: 'schemaViolation'; seq: number; path: string; message: string }
  | { type: 'unknownKind'; seq: number; kind: string }
  | { type: 'seqGap'; seq: number; found: number }
  | { type: 'seqDuplicate'; seq: number; found: number }
  | { type: 'prevMismatch'; seq: number; expected?: string; actual?: string }
  | { type: 'genesisInvalid'; seq: number; problem: string }
  | { type: 'wrongActor'; seq: number; field: 'attributedTo' | 'id'; expected: string; actual: string }
  | { type: 'keyNotLedgers'; seq: number; expected: string; actual: string }
  | { type: 'badProof'; seq: number; proof: ProofFailure }
  | { type: 'keyRotationInvalid'; seq: number; problem: string; proof?: ProofFailure }
  | { type: 'currencyMismatch'; seq: number; path: string; expected: string; actual: string }
  | { type: 'badAmount'; seq: number; path: string; amount: AmountFailure }
  | { type: 'amountMismatch'; seq: number; path: string; expected: string; actual: string }
  | {
      type: 'hostSignatureInvalid';
      seq: number;
      path: string;
      problem: HostSignatureProblem | { type: 'missing' };
    }
  | {
      type: 'forbiddenTransition';
      seq: number;
      rule: string;
      reference?: string;
      from?: ExpenseState;
      to?: string;
    }
  | { type: 'selfApproval'; seq: number; expense: string; by: string }
  | {
      /** The ledger already records this fact: `first` is the leaf hash of the entry that did. */
      type: 'alreadyRecorded';
      seq: number;
      path: string;
      key: string;
      first: Hash;
    }
  | { type: 'balanceBelowZero'; seq: number; balance: string; amount: string };

/** Result of pushing one entry. */
export type StepResult =
  | { ok: true; seq: number; leaf: Uint8Array; leafHash: Uint8Array; balance: bigint }
  | { ok: false; reason: ChainFailure };

/** What a verified ledger amounts to. */
export interface ChainSummary {
  entries: number;
  /** Balance in wire form. */
  balance: string;
  budget: BudgetSummary;
  /** Expenses filed and not yet paid. */
  openExpenses: number;
}

/** Result of verifying a whole ledger. */
export type ChainResult =
  | { ok: true; head: ChainHead; summary: ChainSummary }
  | { ok: false; seq: number; reason: ChainFailure };

/** Options for {@link ChainVerifier}. */
export interface ChainVerifierOptions {
  /** When given, the ledger must be this actor's. */
  actor?: string;
  backend?: CryptoBackend;
}
