/** Failures in words, for the audit page (the CLI's scripts/verify/report.ts says the same). */
import { failureSeq, type PageFailure } from './audit.ts';

/** One line naming a failure: what is wrong, where. */
export function describeFailure(failure: PageFailure): string {
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
    case 'sourceMalformed':
      return `${where}${failure.problem}`;
    case 'keyNotAsserted':
      return `${where}the ledger key ${failure.key} is not in the actor's assertionMethod`;
    default: {
      const { type, seq: _seq, ...details } = failure as { type: string; seq?: number };
      const extra = Object.keys(details).length > 0 ? ` ${JSON.stringify(details)}` : '';
      return `${where}${type}${extra}`;
    }
  }
}
