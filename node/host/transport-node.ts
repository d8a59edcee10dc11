/**
 * The host flows in a running node: one {@link HostService} per host actor (an `Organization`)
 * whose terms have been set, reading its members' ledgers from their outboxes; the node's
 * {@link HostTransport} with its inbox listeners; and every collective ledger watched so that an
 * approved expense goes to its host. The terms are the host admin's (`PUT /api/hosts/{actor}/terms`)
 * and live in the node's database beside Fedify's records.
 */
import type { CryptoBackend } from '../../protocol/crypto.ts';
import { type HostTerms, parseTerms } from '../../protocol/host/terms.ts';
import { AppError } from '../errors.ts';
import type { NodeFederation } from '../federation/federation.ts';
import type { NodeLog } from '../publishing.ts';
import type { NodeActors } from '../routes/context.ts';
import type { Store } from '../storage/types.ts';
import type { CollectiveSource } from './core.ts';
import type { HostDirectory } from './routes.ts';
import { HostService } from './service.ts';
import { HostTransport } from './transport.ts';
import { outboxSource } from './transport-http.ts';
import { listenForHostFlows } from './transport-inbox.ts';

/** The host flows of one node. */
export interface HostFlows {
  hosts: HostDirectory & {
    /** Sets (or replaces) the terms of host actor `name`. */
    setTerms(name: string, terms: HostTerms): Promise<void>;
  };
  transport: HostTransport;
}

/** Builds the node's host flows over its actors, store and federation. */
export function hostFlows(input: {
  actors: NodeActors;
  store: Store;
  fed: NodeFederation;
  backend: CryptoBackend;
  log: () => NodeLog;
}): HostFlows {
  const { actors, fed } = input;
  const services = new Map<string, HostService>();
  const termsKey = (name: string) => ['cagnotte', 'host-terms', name] as const;
  const remote = outboxSource(fed.deps.allowPrivateAddress);
  const local = `${fed.deps.origin}/actors/`;
  // A host and its collectives may share a node: their ledgers are read in process.
  const source: CollectiveSource = {
    async *entries(collective, from = 0) {
      const name = collective.startsWith(local) ? collective.slice(local.length) : undefined;
      const ledger = name === undefined ? undefined : (await actors.get(name))?.ledger;
      if (ledger === undefined) {
        yield* remote.entries(collective, from);
        return;
      }
      let cursor: string | undefined = String(from);
      while (cursor !== undefined) {
        const page = await ledger.page({ order: 'oldest', cursor, limit: 200 });
        for (const record of page.items) yield record.entry;
        cursor = page.next;
      }
    },
  };
  const hosts: HostFlows['hosts'] = {
    async get(name) {
      const known = services.get(name);
      if (known !== undefined) return known;
      const handle = await actors.get(name);
      if (handle === undefined || handle.info.type !== 'Organization') return undefined;
      const terms = await fed.kv.get<HostTerms>(termsKey(name));
      if (terms === undefined) return undefined;
      const service = new HostService({
        ledger: handle.ledger,
        store: input.store,
        terms,
        source,
        backend: input.backend,
      });
      services.set(name, service);
      return service;
    },
    async setTerms(name, terms) {
      const handle = await actors.get(name);
      if (handle === undefined || handle.info.type !== 'Organization')
        throw new AppError('HOST_NOT_FOUND', undefined, { actor: name });
      const parsed = parseTerms(terms);
      if (!parsed.ok)
        throw new AppError('VALIDATION_FAILED', `host terms: ${parsed.reason.type}`, {
          reason: parsed.reason,
        });
      if (parsed.terms.currency !== handle.info.currency)
        throw new AppError('VALIDATION_FAILED', 'host terms: the currency is not the ledger currency');
      await fed.kv.set(termsKey(name), terms);
      services.delete(name);
    },
  };
  const transport = new HostTransport({
    fed,
    host: (name) => hosts.get(name),
    ledger: async (name) => (await actors.get(name))?.ledger,
    backend: input.backend,
    onRefused: (refusal) => input.log().warn(refusal, 'a host-flow activity was refused'),
  });
  listenForHostFlows(transport);
  return { hosts, transport };
}
