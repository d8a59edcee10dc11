/**
 * The host flows between two nodes over ActivityPub (DESIGN.md §7, SPEC.md §8, docs/api.md):
 *
 * - collective → host `Offer{HostApplication}`; host → collective `Accept{HostMembership}` (or
 *   `Reject{HostMembership}` with `decision: rejected`) once a host admin decides;
 * - host → collective `Create{Receipt}` when a host admin confirms money received;
 * - collective → host `Offer{ExpenseApproved entry}` (the entry exactly as signed); host →
 *   collective `Accept{ExpenseCountersignature}` or `Reject{CountersignRefusal}`, at once within
 *   policy or after the host admins' review;
 * - host → collective `Create{Payout}` when a host admin marks the expense paid;
 * - collective → host `Offer{Document}` carrying its checkpoint note and the consistency proof from
 *   the last cosigned size (after each receipt, countersignature and payout it records, one
 *   request out at a time); host → collective `Accept{Document}` with the cosigned note, or
 *   `Reject{Document}` naming the error.
 *
 * The objects are the signed objects of node/host, sent exactly as signed: activities are plain
 * JSON handed to Fedify's durable queue (as node/federation/publish.ts does), which signs each POST,
 * retries with backoff while the other node is down and survives restarts. This side's answers
 * are idempotent (the services answer a duplicate the same), so a request sent again gets the
 * same answer sent again. Receiving is in transport-inbox.ts.
 */
import type { Message } from '@fedify/fedify';
import { type CryptoBackend, nobleBackend } from '../../protocol/crypto.ts';
import { ENTRY_CONTEXT, type SignedEntry } from '../../protocol/entry/types.ts';
import type { HostMessage } from '../../protocol/host/messages.ts';
import type { HostTerms } from '../../protocol/host/terms.ts';
import { AppError } from '../errors.ts';
import type { LedgerService } from '../ledger/service.ts';
import { checkUrl } from '../net/guard.ts';
import { CollectiveHostSide } from './collective.ts';
import type { HostService } from './service.ts';
import { fetchActor } from './transport-http.ts';
import {
  AS,
  CHECKPOINT_DOCUMENT,
  type CosignedCheckpoint,
  carry,
  type PendingApplication,
  type TransportDeps,
  type TransportRefusal,
} from './transport-types.ts';

export {
  CHECKPOINT_DOCUMENT,
  type CosignedCheckpoint,
  type PendingApplication,
  SIGNED,
  type TransportDeps,
  type TransportRefusal,
} from './transport-types.ts';

import type { CountersignRecord, ReceiptResult } from './types.ts';

type Key = readonly [string, ...string[]];
const k = (...parts: string[]): Key => ['cagnotte', 'host-transport', ...parts];

/** The host flows of one node, both roles. */
export class HostTransport {
  readonly deps: TransportDeps;
  readonly backend: CryptoBackend;
  readonly now: () => Date;
  /** Refusals, most recent last (bounded). */
  readonly refusals: TransportRefusal[] = [];
  /** Host-flow activities received and settled (recorded, ignored as duplicates, or refused). */
  handled = 0;

  constructor(deps: TransportDeps) {
    this.deps = deps;
    this.backend = deps.backend ?? nobleBackend;
    this.now = deps.now ?? (() => new Date());
  }

  get #allowPrivate(): boolean {
    return this.deps.fed.deps.allowPrivateAddress;
  }

  /** Records a refusal of something received. */
  refuse(refusal: TransportRefusal): void {
    this.refusals.push(refusal);
    if (this.refusals.length > 100) this.refusals.shift();
    this.deps.onRefused?.(refusal);
  }

  /** Reads a transport record. */
  get<T>(...parts: string[]): Promise<T | undefined> {
    return this.deps.fed.kv.get<T>(k(...parts));
  }

  /** Writes a transport record. */
  set(value: unknown, ...parts: string[]): Promise<void> {
    return this.deps.fed.kv.set(k(...parts), value);
  }

  /** Deletes a transport record. */
  delete(...parts: string[]): Promise<void> {
    return this.deps.fed.kv.delete(k(...parts));
  }

  /** The local actor id of `name`. */
  actorId(name: string): string {
    return `${this.deps.fed.deps.origin}/actors/${name}`;
  }

  /** The inbox of a remote actor, cached once read (its actor document may be down later). */
  async inboxOf(actorId: string): Promise<string> {
    // An actor of this node: its inbox is known without asking (and the node may not listen yet).
    if (actorId.startsWith(`${this.deps.fed.deps.origin}/actors/`)) return `${actorId}/inbox`;
    const cached = await this.get<string>('inbox', actorId);
    if (cached !== undefined) return cached;
    const actor = await fetchActor(actorId, this.#allowPrivate);
    await this.set(actor.inbox, 'inbox', actorId);
    return actor.inbox;
  }

  /** Remembers the inbox of a remote actor (from an activity it sent). */
  async rememberInbox(actorId: string, inbox: string): Promise<void> {
    await this.set(inbox, 'inbox', actorId);
  }

  /**
   * Queues `object` in an activity of `type` from the local actor `from` to the remote actor
   * `to`; resolves once it is in the durable queue. Answers the activity id.
   */
  async send(
    from: string,
    to: string,
    type: 'Offer' | 'Accept' | 'Reject' | 'Create' | 'Leave',
    object: unknown,
    extra: Record<string, unknown> = {},
  ): Promise<string> {
    const fed = this.deps.fed;
    const inbox = await this.inboxOf(to);
    const ours = new URL(inbox).origin === new URL(fed.deps.origin).origin;
    if (!ours && !(await checkUrl(inbox, { allowPrivateAddress: this.#allowPrivate })).ok)
      throw new AppError('HOST_PEER_UNREACHABLE', `refused inbox address: ${inbox}`);
    const keys = await fed.keys.get(from);
    if (keys === undefined) throw new AppError('ACTOR_NOT_FOUND', undefined, { actor: from });
    const actor = this.actorId(from);
    const id = `${actor}#host/${crypto.randomUUID()}`;
    const activity = { '@context': ENTRY_CONTEXT, id, type, actor, to: [to], ...carry(object), ...extra };
    const message: Message = {
      type: 'outbox',
      id: crypto.randomUUID(),
      baseUrl: fed.deps.origin,
      keys: [
        {
          keyId: `${actor}#main-key`,
          privateKey: await crypto.subtle.exportKey('jwk', keys.http.privateKey),
        },
      ],
      activity,
      activityId: id,
      activityType: `${AS}${type}`,
      inbox,
      sharedInbox: false,
      actorIds: [to],
      started: new Date().toISOString(),
      attempt: 0,
      headers: {},
      traceContext: {},
    };
    await fed.queue.enqueue(message);
    return id;
  }

  async #ledger(name: string): Promise<LedgerService> {
    const ledger = await this.deps.ledger(name);
    if (ledger === undefined) throw new AppError('ACTOR_NOT_FOUND', undefined, { actor: name });
    return ledger;
  }

  /** The collective side over the ledger of `name`. */
  async side(name: string): Promise<CollectiveHostSide> {
    return new CollectiveHostSide(await this.#ledger(name), { backend: this.backend, now: this.now });
  }

  async #host(name: string): Promise<HostService> {
    const host = await this.deps.host(name);
    if (host === undefined) throw new AppError('HOST_NOT_FOUND', undefined, { actor: name });
    return host;
  }

  // ---- the collective's side ----

  /**
   * The collective `name` applies to the host actor `host` under its published `terms`: signs the
   * application, remembers it and queues `Offer{HostApplication}`. Applying again to the same host
   * sends the same application again.
   */
  async apply(
    name: string,
    input: { host: string; terms: HostTerms; message?: string },
  ): Promise<PendingApplication> {
    const ledger = await this.#ledger(name);
    if (ledger.chainHead()?.host !== undefined)
      throw new AppError('HOST_APPLICATION_DECIDED', 'This collective already has a host.');
    const previous = await this.get<PendingApplication>('application', name);
    const application =
      previous?.host === input.host && previous.rejected === undefined
        ? previous.application
        : await (await this.side(name)).application(input);
    const inbox = await this.inboxOf(input.host);
    const offer = await this.send(name, input.host, 'Offer', application, { target: input.host });
    const pending: PendingApplication = { host: input.host, inbox, offer, application };
    await this.set(pending, 'application', name);
    return pending;
  }

  /** The collective's application waiting for (or rejected by) its host, if any. */
  application(name: string): Promise<PendingApplication | undefined> {
    return this.get<PendingApplication>('application', name);
  }

  /**
   * Sends the approved expense `expense` of collective `name` to its host for countersigning:
   * `Offer` of its `ExpenseApproved` entry. Until the host answers it is "awaiting host".
   */
  async requestCountersign(name: string, expense: string): Promise<void> {
    const ledger = await this.#ledger(name);
    const host = ledger.chainHead()?.host;
    if (host === undefined) throw new AppError('HOST_NOT_MEMBER', 'This collective has no host.');
    const status = await ledger.expense(expense);
    if (status === undefined) throw new AppError('EXPENSE_NOT_FOUND');
    if (status.state !== 'approved') throw new AppError('EXPENSE_STATE', undefined, { state: status.state });
    const approval = await this.#approvalOf(ledger, expense);
    const offer = await this.send(name, host.id, 'Offer', approval, { target: host.id });
    await this.set({ offer, at: this.now().toISOString() }, 'awaiting', name, expense);
  }

  async #approvalOf(ledger: LedgerService, expense: string): Promise<SignedEntry> {
    let cursor: string | undefined;
    do {
      const page = await ledger.page({ limit: 200, ...(cursor === undefined ? {} : { cursor }) });
      for (const record of page.items) {
        const entry = record.entry as SignedEntry<'ExpenseApproved'>;
        if (entry.kind === 'ExpenseApproved' && entry.expense === expense) return record.entry;
      }
      cursor = page.next;
    } while (cursor !== undefined);
    throw new AppError('EXPENSE_STATE', 'The expense has no approval on this ledger.');
  }

  /** Whether the expense is still awaiting its host's answer, and the refusal if it refused. */
  async countersignStatus(
    name: string,
    expense: string,
  ): Promise<{ awaiting: boolean; refusal?: HostMessage<'CountersignRefusal'> }> {
    const refusal = await this.get<HostMessage<'CountersignRefusal'>>('refusal', name, expense);
    return {
      awaiting: (await this.get('awaiting', name, expense)) !== undefined,
      ...(refusal === undefined ? {} : { refusal }),
    };
  }

  /**
   * Watches the ledger of collective `name`: every `ExpenseApproved` appended while it has a host
   * is sent for countersigning. Failures are reported to `onError`, never thrown at the writer.
   */
  watchApprovals(name: string, ledger: LedgerService, onError: (error: unknown) => void): () => void {
    return ledger.onAppended((results) => {
      if (ledger.chainHead()?.host === undefined) return;
      for (const record of results) {
        const entry = record.entry as SignedEntry<'ExpenseApproved'>;
        if (entry.kind === 'ExpenseApproved') this.requestCountersign(name, entry.expense).catch(onError);
      }
    });
  }

  /**
   * Sends the collective's latest checkpoint to its host for cosigning, with the consistency
   * proof from the last checkpoint the host cosigned. One request at a time per collective: two in
   * flight would carry proofs from the same old size, and the host, having cosigned the first,
   * would find the second's proof inconsistent and keep it as evidence of a fork. A request made
   * while one is out is sent when the answer comes ({@link cosignSettled}); one out for longer
   * than an hour (its delivery given up) no longer holds the next back.
   */
  requestCosign(name: string): Promise<void> {
    return this.#inTurn(name, () => this.#requestCosign(name));
  }

  /** Runs `step` after the cosigning steps of `name` already started, one at a time. */
  #inTurn(name: string, step: () => Promise<void>): Promise<void> {
    const previous = this.#cosigning.get(name) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(step);
    this.#cosigning.set(name, next);
    return next;
  }

  readonly #cosigning = new Map<string, Promise<void>>();

  async #requestCosign(name: string): Promise<void> {
    const ledger = await this.#ledger(name);
    const host = ledger.chainHead()?.host;
    if (host === undefined) throw new AppError('HOST_NOT_MEMBER', 'This collective has no host.');
    const last = await this.cosigned(name);
    if (last !== undefined && last.size >= ledger.head().size) return;
    const out = await this.get<{ at: number }>('cosign-out', name);
    if (out !== undefined && this.now().getTime() - out.at < 3_600_000) {
      await this.set(true, 'cosign-again', name);
      return;
    }
    const request = await (await this.side(name)).cosignRequest(last?.size ?? 0);
    await this.set({ at: this.now().getTime() }, 'cosign-out', name);
    await this.send(
      name,
      host.id,
      'Offer',
      {
        type: 'Document',
        name: CHECKPOINT_DOCUMENT,
        mediaType: 'text/plain; charset=utf-8',
        content: request.note,
        consistencyProof: request.proof,
      },
      { target: host.id },
    );
  }

  /** The host answered the cosigning request: the next one, if any was asked for, goes now. */
  cosignSettled(name: string): Promise<void> {
    // In turn with the requests: one made between reading `cosign-again` and deleting it would be lost.
    return this.#inTurn(name, async () => {
      const again = (await this.get<boolean>('cosign-again', name)) === true;
      await this.delete('cosign-out', name);
      await this.delete('cosign-again', name);
      if (again) await this.#requestCosign(name);
    });
  }

  /** The last checkpoint of collective `name` its host cosigned (verified), if any. */
  cosigned(name: string): Promise<CosignedCheckpoint | undefined> {
    return this.get<CosignedCheckpoint>('cosigned', name);
  }

  // ---- the host's side: each admin action, then its answer queued ----

  /** A host admin decides an application; the signed membership goes to the collective. */
  async decide(
    hostName: string,
    id: string,
    decision: 'accepted' | 'rejected',
    by: string,
    reason?: string,
  ): Promise<HostMessage<'HostMembership'>> {
    const host = await this.#host(hostName);
    const membership = await host.applications.decide(id, decision, by, reason);
    await this.answerMembership(hostName, membership);
    return membership;
  }

  /** Queues the membership answer to its collective. */
  async answerMembership(hostName: string, membership: HostMessage<'HostMembership'>): Promise<void> {
    await this.send(
      hostName,
      membership.collective,
      membership.decision === 'accepted' ? 'Accept' : 'Reject',
      membership,
    );
  }

  /** A host admin confirms money received; the signed receipt goes to the collective. */
  async confirm(
    hostName: string,
    input: { reference: string; amount: string; by: string },
  ): Promise<ReceiptResult> {
    const result = await (await this.#host(hostName)).funds.confirm(input);
    await this.sendReceipt(hostName, result);
    return result;
  }

  /** Queues a confirmation's receipt to its collective, with the pledge's public name if any. */
  async sendReceipt(hostName: string, result: ReceiptResult): Promise<void> {
    const pledge = await (await this.#host(hostName)).funds.get(result.reference);
    await this.send(
      hostName,
      result.collective,
      'Create',
      result.receipt,
      pledge.name === undefined ? {} : { contributor: pledge.name },
    );
  }

  /** Queues the host's answer to a countersigning request, if it has one yet. */
  async answerCountersign(hostName: string, record: CountersignRecord): Promise<void> {
    if (record.state === 'refused' && record.refusal !== undefined)
      await this.send(hostName, record.collective, 'Reject', record.refusal);
    else if (
      (record.state === 'countersigned' || record.state === 'paid') &&
      record.countersignature !== undefined
    )
      await this.send(hostName, record.collective, 'Accept', record.countersignature);
    if (record.state === 'paid' && record.payout !== undefined)
      await this.send(hostName, record.collective, 'Create', record.payout);
  }

  /** A host admin reviews an expense in the queue; a final decision goes to the collective. */
  async review(
    hostName: string,
    input: { collective: string; expense: string; by: string; approve: boolean; reason?: string },
  ): Promise<CountersignRecord> {
    const record = await (await this.#host(hostName)).countersigning.review(input);
    await this.answerCountersign(hostName, record);
    return record;
  }

  /** A host admin marks an expense paid; the signed payout goes to the collective. */
  async pay(
    hostName: string,
    input: { collective: string; expense: string; payoutReference: string; by: string },
  ): Promise<CountersignRecord> {
    const record = await (await this.#host(hostName)).countersigning.pay(input);
    if (record.payout !== undefined) await this.send(hostName, record.collective, 'Create', record.payout);
    return record;
  }
}
