/**
 * The fiscal host role on the host's node: one `HostService` per host actor (an
 * `Organization`), holding the parts that share its ledger, keys, terms and records. Routes
 * (routes.ts) and, later, ActivityPub handlers call these; the collective's side is collective.ts.
 */
import { Applications } from './applications.ts';
import { HostCore, type HostOptions } from './core.ts';
import { Countersigning } from './countersign.ts';
import { Funds } from './funds.ts';
import { Witness } from './witness.ts';

export type { CollectiveSource, HostOptions } from './core.ts';

/** A fiscal host: applications, money in, money out, witness. */
export class HostService {
  readonly core: HostCore;
  readonly applications: Applications;
  readonly funds: Funds;
  readonly countersigning: Countersigning;
  readonly witness: Witness;

  constructor(options: HostOptions) {
    this.core = new HostCore(options);
    this.applications = new Applications(this.core);
    this.funds = new Funds(this.core);
    this.countersigning = new Countersigning(this.core);
    this.witness = new Witness(this.core);
  }

  /** The host's actor id. */
  get id(): string {
    return this.core.id;
  }
}
