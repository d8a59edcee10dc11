/**
 * Ending a membership over ActivityPub (SPEC.md §8, docs/api.md). Either side ends it with its own
 * signed ledger entry, sent exactly as signed as the `object` of a `Leave` whose `target` is the
 * other side; no new signed format is needed, and the notice is itself on the sender's ledger:
 *
 * - the collective leaves: it records `HostLeft` and sends that entry to the host, which verifies
 *   it with the collective's ledger key (its actor document), checks that the collective's ledger
 *   no longer names this host, and records `MemberLeft`;
 * - a host admin lets a member go: the host records `MemberLeft` and sends that entry to the
 *   collective, which verifies it with the host key of its `HostJoined` and records `HostLeft`.
 *
 * Either way the collective keeps its ledger and may apply to another host. Sending again sends
 * the same entry again; each side records a departure once and ignores the duplicate.
 */
import { fromBase64, toBase64 } from '../../protocol/encoding.ts';
import type { EntryKind, SignedEntry } from '../../protocol/entry/types.ts';
import { AppError } from '../errors.ts';
import type { EntryRecord } from '../ledger/types.ts';
import { checkEntry, type EntryCheck } from './entry-check.ts';
import type { HostTransport } from './transport.ts';
import { fetchActor } from './transport-http.ts';
import { Refused } from './transport-types.ts';
import type { MemberRecord } from './types.ts';

/** The transport record of the host's time on the membership the collective recorded. */
export const JOINED_AT = 'joined-at';

/**
 * Checks an entry of `kind` signed by the actor `author` with the ledger key its actor document
 * asserts. The key is kept once read (the actor's node is read once, not per request) and read
 * again when the entry does not verify with it, so a rotated key is picked up.
 */
export async function checkByActor<K extends EntryKind>(
  t: HostTransport,
  author: string,
  value: unknown,
  kind: K,
): Promise<EntryCheck<K>> {
  const cached = await t.get<string>('ledger-key', author);
  if (cached !== undefined) {
    const checked = checkEntry(value, kind, { id: author, publicKey: fromBase64(cached) }, t.backend);
    if (checked.ok) return checked;
  }
  const actor = await fetchActor(author, t.deps.fed.deps.allowPrivateAddress);
  await t.set(toBase64(actor.ledgerKey), 'ledger-key', author);
  return checkEntry(value, kind, { id: author, publicKey: actor.ledgerKey }, t.backend);
}

/** What the collective does once it has no host: nothing stays out with the old one. */
async function forgetHost(t: HostTransport, name: string): Promise<void> {
  await t.delete('cosign-out', name);
  await t.delete('cosign-again', name);
  await t.delete(JOINED_AT, name);
}

/**
 * The collective `name` leaves its host: records `HostLeft` and queues `Leave{HostLeft}` to the
 * host. With no host (left already, the notice maybe lost to a crash), its last `HostLeft` is
 * sent again; a collective that never left has nothing to send (`HOST_NOT_MEMBER`).
 */
export async function leaveHost(
  t: HostTransport,
  name: string,
): Promise<{ host: string; entry: EntryRecord }> {
  const ledger = await t.deps.ledger(name);
  if (ledger === undefined) throw new AppError('ACTOR_NOT_FOUND', undefined, { actor: name });
  const side = await t.side(name);
  const record = ledger.chainHead()?.host === undefined ? await side.lastLeft() : await side.recordLeft();
  if (record === undefined) throw new AppError('HOST_NOT_MEMBER', 'This collective has no host.');
  await forgetHost(t, name);
  const host = (record.entry as SignedEntry<'HostLeft'>).host;
  await t.send(name, host, 'Leave', record.entry, { target: host });
  return { host, entry: record };
}

/**
 * A host admin of `hostName` lets the member `collective` go: `MemberLeft` on the host's ledger,
 * then `Leave{MemberLeft}` queued to the collective. A member that already left gets the same
 * notice again; one that never joined is `HOST_NOT_MEMBER`.
 */
export async function letGo(
  t: HostTransport,
  hostName: string,
  input: { collective: string; by: string; reason?: string },
): Promise<{ member: MemberRecord; entry: EntryRecord }> {
  const host = await t.deps.host(hostName);
  if (host === undefined) throw new AppError('HOST_NOT_FOUND', undefined, { actor: hostName });
  const current = await host.core.member(input.collective);
  if (current === undefined)
    throw new AppError('HOST_NOT_MEMBER', undefined, { collective: input.collective });
  const member =
    current.status === 'active'
      ? await host.applications.leave(input.collective, input.by, input.reason)
      : current;
  const entry = await host.applications.leftEntry(input.collective);
  if (entry === undefined)
    throw new AppError('LEDGER_CORRUPT', 'The member left but no MemberLeft is found.');
  await t.send(hostName, input.collective, 'Leave', entry.entry, { target: input.collective });
  return { member, entry };
}

/** Receives `Leave{Note}`: a collective's `HostLeft` at its host, a host's `MemberLeft` at its member. */
export async function onLeave(
  t: HostTransport,
  name: string,
  signer: string,
  entry: Record<string, unknown>,
) {
  if (entry.kind === 'HostLeft') return atHost(t, name, signer, entry);
  if (entry.kind === 'MemberLeft') return atCollective(t, name, signer, entry);
  throw new Refused('notADeparture', { kind: entry.kind });
}

async function atHost(t: HostTransport, name: string, signer: string, value: unknown): Promise<void> {
  const host = await t.deps.host(name);
  if (host === undefined) throw new Refused('notAHost');
  const entry = value as SignedEntry<'HostLeft'>;
  if (entry.attributedTo !== signer) throw new Refused('signerNotCollective');
  if (entry.host !== host.core.id) throw new Refused('notThisHost', { host: entry.host });
  const checked = await checkByActor(t, signer, value, 'HostLeft');
  if (!checked.ok) throw new Refused('departureInvalid', checked.problem);
  const member = await host.core.member(signer);
  if (member === undefined) throw new Refused('notAMember');
  if (member.status === 'left') return;
  // An old `HostLeft` sent again after the collective joined this host anew would end the new
  // membership: its own ledger, as served now, must no longer name this host.
  const view = await host.core.readChain(signer);
  if (view.host?.id === host.core.id) throw new Refused('stillDeclared', { seq: entry.seq });
  try {
    await host.applications.leave(signer, signer);
  } catch (error) {
    // The same departure delivered twice and handled at once: the other one recorded it.
    if (!(error instanceof AppError && error.code === 'HOST_NOT_MEMBER')) throw error;
    if ((await host.core.member(signer))?.status !== 'left') throw error;
  }
}

async function atCollective(t: HostTransport, name: string, signer: string, value: unknown): Promise<void> {
  const ledger = await t.deps.ledger(name);
  if (ledger === undefined) return;
  const side = await t.side(name);
  const current = ledger.chainHead()?.host;
  if (current?.id !== signer) {
    // Left that host already (by itself, or this notice delivered twice): nothing more to record.
    if ((await side.lastLeft(signer)) !== undefined) return;
    throw new Refused(current === undefined ? 'noHost' : 'signerNotHost', { host: current?.id });
  }
  try {
    await side.recordLetGo(value, await t.get<string>(JOINED_AT, name));
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    // The same notice delivered twice and handled at once: the other one recorded it.
    if (ledger.chainHead()?.host?.id !== signer) return;
    if (error.code === 'HOST_SIGNATURE_INVALID') throw new Refused('departureInvalid', error.details);
    throw error;
  }
  await forgetHost(t, name);
}
