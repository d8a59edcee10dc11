/**
 * What the host flows read from the other node over plain HTTP: an actor document (its inbox and
 * the ledger key it asserts), and a ledger from its ActivityPub outbox, oldest first. Every URL
 * passes the outbound guard first (node/net/guard.ts), and every document is size-capped: the
 * other node is not trusted, what it serves is verified by the caller (the chain, the proofs).
 */
import { parseActorDocument } from '../../protocol/audit/actor.ts';
import { type HostTerms, parseTerms } from '../../protocol/host/terms.ts';
import { decodeMultikey } from '../../protocol/multikey.ts';
import { AppError } from '../errors.ts';
import { checkUrl } from '../net/guard.ts';
import type { CollectiveSource } from './core.ts';

const ACTIVITY_JSON =
  'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"';
const MAX_BYTES = 8 * 1024 * 1024;

/** A remote actor as the host flows need it. */
export interface RemoteActor {
  id: string;
  inbox: string;
  outbox: string;
  /** The ledger key the actor asserts first (`#ledger-key-0`), raw Ed25519. */
  ledgerKey: Uint8Array;
}

/** Fetches JSON from another node, guarded and capped; `HOST_PEER_UNREACHABLE` on any failure to read. */
export async function fetchJson(url: string, allowPrivateAddress: boolean): Promise<unknown> {
  const checked = await checkUrl(url, { allowPrivateAddress });
  if (!checked.ok)
    throw new AppError('HOST_PEER_UNREACHABLE', `refused address: ${url}`, { reason: checked.reason });
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: ACTIVITY_JSON }, redirect: 'error' });
  } catch (error) {
    throw new AppError('HOST_PEER_UNREACHABLE', `cannot reach ${url}`, { cause: String(error) });
  }
  if (!response.ok) throw new AppError('HOST_PEER_UNREACHABLE', `${url} answered ${response.status}`);
  const text = await response.text();
  if (text.length > MAX_BYTES) throw new AppError('HOST_PEER_UNREACHABLE', `${url} is too large`);
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError('HOST_PEER_UNREACHABLE', `${url} is not JSON`);
  }
}

/** Reads and checks an actor document: its id must be the one asked for. */
export async function fetchActor(id: string, allowPrivateAddress: boolean): Promise<RemoteActor> {
  const doc = (await fetchJson(id, allowPrivateAddress)) as Record<string, unknown> | null;
  const parsed = parseActorDocument(doc);
  if (!parsed.ok || parsed.actor.id !== id)
    throw new AppError('HOST_PEER_UNREACHABLE', `not the actor ${id}`, {
      problem: parsed.ok ? 'id' : parsed.problem,
    });
  const inbox = doc?.inbox;
  if (typeof inbox !== 'string' || new URL(inbox).origin !== new URL(id).origin)
    throw new AppError('HOST_PEER_UNREACHABLE', `the actor ${id} has no inbox on its origin`);
  const first = parsed.actor.keys[0];
  const key = first === undefined ? undefined : decodeMultikey(first.publicKeyMultibase);
  if (key === undefined || !key.ok)
    throw new AppError('HOST_PEER_UNREACHABLE', `the actor ${id} has no ledger key`);
  return { id, inbox, outbox: parsed.actor.outbox ?? `${id}/outbox`, ledgerKey: key.publicKey };
}

/**
 * The entries of the actor `id` from seq `from`, oldest first, read from its outbox. Outbox pages
 * hold the entries up to their cursor seq, newest first (node/federation/outbox.ts), so the walk
 * asks for the page ending 19 entries above where it stands and turns it round.
 */
export async function* outboxEntries(
  id: string,
  from: number,
  allowPrivateAddress: boolean,
): AsyncIterable<unknown> {
  const outbox = `${id}/outbox`;
  const collection = (await fetchJson(outbox, allowPrivateAddress)) as { totalItems?: unknown } | null;
  const size = typeof collection?.totalItems === 'number' ? collection.totalItems : 0;
  let next = from;
  while (next < size) {
    const cursor = Math.min(size - 1, next + 19);
    const page = (await fetchJson(`${outbox}?cursor=${cursor}`, allowPrivateAddress)) as {
      orderedItems?: unknown;
    } | null;
    const items = Array.isArray(page?.orderedItems) ? [...page.orderedItems].reverse() : [];
    const before = next;
    for (const item of items) {
      const entry = (item as { object?: { seq?: unknown } } | null)?.object;
      if (typeof entry?.seq !== 'number' || entry.seq < next || entry.seq > cursor) continue;
      // Out of order or missing: hand it on anyway; the chain verifier reports the gap.
      yield entry;
      next = entry.seq + 1;
    }
    if (next === before)
      throw new AppError('HOST_PEER_UNREACHABLE', `the outbox of ${id} has a hole at ${next}`);
  }
}

/** A {@link CollectiveSource} over the network: each collective's outbox. */
export function outboxSource(allowPrivateAddress: boolean): CollectiveSource {
  return { entries: (collective, from = 0) => outboxEntries(collective, from, allowPrivateAddress) };
}

/** The terms the host actor `hostId` publishes (`GET /api/hosts/{name}/terms` on its node). */
export async function fetchTerms(hostId: string, allowPrivateAddress: boolean): Promise<HostTerms> {
  const url = new URL(hostId);
  const name = /^\/actors\/([^/]+)$/.exec(url.pathname)?.[1];
  if (name === undefined) throw new AppError('HOST_PEER_UNREACHABLE', `not a Cagnotte actor id: ${hostId}`);
  const published = (await fetchJson(`${url.origin}/api/hosts/${name}/terms`, allowPrivateAddress)) as
    | (HostTerms & { hostKey?: unknown })
    | null;
  const { hostKey: _key, ...terms } = published ?? ({} as HostTerms & { hostKey?: unknown });
  const parsed = parseTerms(terms);
  if (!parsed.ok)
    throw new AppError('HOST_PEER_UNREACHABLE', `the terms of ${hostId} do not parse`, {
      reason: parsed.reason,
    });
  return terms as HostTerms;
}
