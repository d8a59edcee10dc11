/**
 * The public surface of ledger entries, chain verification, folds and commitments, for node/,
 * ui/ and scripts/. (protocol/index.ts is shared; this file is the entry domain's own.)
 */
export * from '../chain.ts';
export * from '../commitment.ts';
export * from '../fold.ts';
export * from './build.ts';
export * from './claims.ts';
export * from './content.ts';
export * from './rules.ts';
export * from './schemas.ts';
export * from './types.ts';
