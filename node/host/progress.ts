/**
 * What the host remembers of each member's ledger between requests, so that a request verifies
 * only the entries the host has not verified before instead of the whole ledger from its genesis
 * (which grows without bound): the chain verifier's state (protocol/chain-snapshot.ts) at the size
 * last read, with what the readers fold beside it. Two per member, in the host's `progress`
 * records: `read <collective>` at the size the last countersign or application read reached, with
 * the genesis, the balance and the expense states; `witness <collective>` at the size the witness
 * last cosigned, with the Merkle tree's frontier there.
 *
 * Resuming keeps every check of a whole read: the next entry's signed `prev` must be the leaf
 * hash the state ends on (the verifier checks it), so a history rewritten below the saved size
 * fails there; the reader also reads the entry before the saved size again and checks that it is
 * still the one verified (a ledger rewritten or cut back is refused even when it did not grow);
 * the witness checks the root of the saved frontier against the root it cosigned, and the
 * checkpoint's root against the frontier with the new leaves. A state that does not decode, or
 * does not match, is dropped and the ledger is read from its genesis again.
 */
import { type ChainFailure, ChainVerifier } from '../../protocol/chain.ts';
import type { CryptoBackend } from '../../protocol/crypto.ts';
import { fromHex, toHex } from '../../protocol/encoding.ts';
import type { ChainHead } from '../../protocol/entry/build.ts';
import type { SignedEntry } from '../../protocol/entry/types.ts';
import { ExpenseFold, type ExpenseRecord, type ExpenseState } from '../../protocol/fold.ts';
import { canonicalBytes, type JsonObject, type JsonValue } from '../../protocol/jcs.ts';
import {
  decodeTreeState,
  encodeTreeState,
  hashLeaf,
  type TreeState,
  treeRoot,
} from '../../protocol/merkle/tree.ts';

/** Where the host's last read of a member's ledger stopped. */
export interface ReadProgress {
  collective: string;
  size: number;
  /** `ChainVerifier.snapshot()` after `size` entries. */
  verifier: JsonObject;
  /** The balance after them, minor units. */
  balance: string;
  genesis: SignedEntry<'Genesis'>;
  /** The expense fold by leaf hash: state, amount in minor units, title, payee, seq. */
  expenses: Record<string, [ExpenseState, string, string, string, number]>;
}

/** Where the witness's last cosigned read of a member's ledger stopped. */
export interface WitnessProgress {
  collective: string;
  size: number;
  verifier: JsonObject;
  /** The Merkle tree after `size` leaves: `encodeTreeState`'s bytes (size, then frontier), hex. */
  tree: string;
}

/** A reader's state taken up again. */
export interface ResumedRead {
  size: number;
  verifier: ChainVerifier;
  balance: bigint;
  genesis: SignedEntry<'Genesis'>;
  expenses: ExpenseFold;
}

function resumeVerifier(
  snapshot: unknown,
  collective: string,
  size: number,
  backend: CryptoBackend,
): ChainVerifier | undefined {
  const resumed = ChainVerifier.resume(snapshot, { actor: collective, backend });
  if (!resumed.ok || resumed.verifier.head === undefined) return undefined;
  return resumed.verifier.summary().entries === size ? resumed.verifier : undefined;
}

/** The reader's saved state, or undefined when it is not usable (then read from the genesis). */
export function resumeRead(
  saved: ReadProgress,
  collective: string,
  backend: CryptoBackend,
): ResumedRead | undefined {
  try {
    if (saved.collective !== collective || !Number.isSafeInteger(saved.size) || saved.size < 1)
      return undefined;
    const verifier = resumeVerifier(saved.verifier, collective, saved.size, backend);
    if (verifier === undefined || saved.genesis?.kind !== 'Genesis') return undefined;
    const records = Object.entries(saved.expenses).map(
      ([hash, [state, amount, title, payee, seq]]): [string, ExpenseRecord] => [
        hash,
        { state, amount: BigInt(amount), title, payee, seq },
      ],
    );
    return {
      size: saved.size,
      verifier,
      balance: BigInt(saved.balance),
      genesis: saved.genesis,
      expenses: ExpenseFold.resume(records, verifier.head?.host !== undefined),
    };
  } catch {
    // A record of another shape (an older version, a damaged write): read it all again.
    return undefined;
  }
}

/** The reader's state to save after `size` verified entries. */
export function readProgress(collective: string, read: ResumedRead): ReadProgress {
  const expenses: ReadProgress['expenses'] = {};
  for (const [hash, e] of read.expenses.states())
    expenses[hash] = [e.state, e.amount.toString(), e.title, e.payee, e.seq];
  return {
    collective,
    size: read.size,
    verifier: read.verifier.snapshot(),
    balance: read.balance.toString(),
    genesis: read.genesis,
    expenses,
  };
}

/**
 * Checks that `served`, read again at seq `size - 1`, is still the entry the saved state ends on
 * (its leaf hash is the head's `prevHash`). A `prevMismatch` at `size` otherwise: the next entry
 * could not chain to what the host verified. `served` undefined: the ledger no longer has it.
 */
export function checkJunction(
  served: unknown,
  head: ChainHead,
  size: number,
  backend: CryptoBackend,
): ChainFailure | undefined {
  let actual: string | undefined;
  if (served !== undefined) {
    try {
      actual = toHex(hashLeaf(canonicalBytes(served as JsonValue), backend));
    } catch {
      actual = undefined;
    }
  }
  if (actual === head.prevHash) return undefined;
  return {
    type: 'prevMismatch',
    seq: size,
    expected: head.prevHash,
    ...(actual === undefined ? {} : { actual }),
  };
}

/**
 * The witness's saved state, when it is at the size last cosigned and its frontier makes the root
 * cosigned there; undefined otherwise (then the witness reads from the genesis).
 */
export function resumeWitness(
  saved: WitnessProgress,
  last: { collective: string; size: number; rootHash: string },
  backend: CryptoBackend,
): { verifier: ChainVerifier; tree: TreeState } | undefined {
  try {
    if (saved.collective !== last.collective || saved.size !== last.size) return undefined;
    const tree = decodeTreeState(fromHex(saved.tree));
    if (tree.size !== last.size || toHex(treeRoot(tree, backend)) !== last.rootHash) return undefined;
    const verifier = resumeVerifier(saved.verifier, last.collective, saved.size, backend);
    return verifier === undefined ? undefined : { verifier, tree };
  } catch {
    // decodeTreeState throws on bytes that are not a tree state.
    return undefined;
  }
}

/** The witness's state to save with the checkpoint it cosigned. */
export function witnessProgress(
  collective: string,
  verifier: ChainVerifier,
  tree: TreeState,
): WitnessProgress {
  return { collective, size: tree.size, verifier: verifier.snapshot(), tree: toHex(encodeTreeState(tree)) };
}
