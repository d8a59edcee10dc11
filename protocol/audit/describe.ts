/** Failures in words, one line each: the CLI's report and the audit page say the same. */
import { failureSeq, type VerifyFailure } from './failure.ts';

/** One line naming a failure: what is wrong, where. */
export function describeFailure(failure: VerifyFailure): string {
  const seq = failureSeq(failure);
  const where = seq === undefined ? '' : `entry ${seq}: `;
  switch (failure.type) {
    case 'badProof':
      return `${where}bad proof (${failure.proof.type})`;
    case 'fork':
      return `fork: two signed checkpoints of ${failure.evidence.origin} are not consistent (sizes ${failure.evidence.seen.size} and ${failure.evidence.current.size})`;
    case 'checkpointInvalid':
      return `the checkpoint does not verify with the genesis checkpoint key (${failure.problem.type})`;
    case 'checkpointSize':
      return `${where}the checkpoint covers ${failure.checkpointSize} entries, the ledger has ${failure.entries}`;
    case 'rootMismatch':
      return `the entries' Merkle root ${failure.entriesRoot} is not the checkpoint's ${failure.checkpointRoot}`;
    case 'notConsistent':
      return `the ledger does not extend the checkpoint of size ${failure.size} trusted before`;
    case 'sourceMalformed':
      return `${where}${failure.problem}`;
    case 'notCanonical':
      return `${where}the line is not the entry's canonical bytes (re-serialised)`;
    case 'keyNotAsserted':
      return `${where}the ledger key ${failure.key} is not in the actor's assertionMethod`;
    case 'hostLinkInvalid':
      return `${where}its ${failure.path.slice(1)} names host entry ${failure.hostEntry}, which ${
        failure.problem.type === 'hostEntryNotFound'
          ? "is not on the host's ledger"
          : `does not record the same movement (${JSON.stringify(failure.problem)})`
      }`;
    case 'twinMissing':
      return `host entry ${failure.seq} (${failure.kind} ${failure.amount} ${failure.currency}, ${failure.published}) has no twin on this ledger`;
    case 'hostLedgerInvalid':
      return `the host's ledger ${failure.host} does not verify: ${describeFailure(failure.failure)}`;
    case 'hostMismatch':
      return `the host ledger read is ${failure.actual}'s, not the declared host ${failure.declared}'s`;
    default: {
      const { type, seq: _seq, ...details } = failure as { type: string; seq?: number };
      const extra = Object.keys(details).length > 0 ? ` ${JSON.stringify(details)}` : '';
      return `${where}${type}${extra}`;
    }
  }
}
