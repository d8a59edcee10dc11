/**
 * Receiving the host flows (transport.ts says what is sent when). Fedify has checked the HTTP
 * signature and that its key is the activity's `actor`, and processes one activity id once; the
 * handlers read the activity as it was sent (Fedify keeps the received JSON, so the signed objects
 * are intact), then check that this actor is the one expected: the collective that signed the
 * application or owns the ledger, or the host the collective declared in `HostJoined`. Signed
 * objects are verified by node/host before anything is recorded.
 *
 * A refusal (the request does not verify, the signer is not the expected actor) is recorded and
 * not retried; a failure to read the other node is thrown, so that Fedify's inbox queue retries it.
 */
import type { InboxContext } from '@fedify/fedify';
import { Accept, type Activity, Create, Leave, Offer, Reject } from '@fedify/vocab';
import { fromBase64 } from '../../protocol/encoding.ts';
import type { SignedEntry } from '../../protocol/entry/types.ts';
import { type HostMessage, jsonDigest, verifyHostMessage } from '../../protocol/host/messages.ts';
import { decodeMultikey } from '../../protocol/multikey.ts';
import { type NoteVerifierKey, noteKeyId, SIG_TYPE_COSIGNATURE } from '../../protocol/note.ts';
import { AppError } from '../errors.ts';
import {
  CHECKPOINT_DOCUMENT,
  type CosignedCheckpoint,
  type HostTransport,
  type PendingApplication,
  SIGNED,
} from './transport.ts';
import { fetchActor, outboxEntries } from './transport-http.ts';
import { checkByActor, JOINED_AT, onLeave } from './transport-membership.ts';
import { Refused } from './transport-types.ts';

type Raw = Record<string, unknown>;

/** Registers the host flows' inbox listeners on the node's federation. */
export function listenForHostFlows(transport: HostTransport): void {
  const on = <T extends Activity>(type: new (...args: never[]) => T) =>
    transport.deps.fed.inboxListeners.on(type as never, (ctx: InboxContext<void>, activity: T) =>
      handle(transport, ctx, activity),
    );
  on(Offer);
  on(Accept);
  on(Reject);
  on(Create);
  on(Leave);
}

async function handle(transport: HostTransport, ctx: InboxContext<void>, activity: Activity): Promise<void> {
  const raw = (await activity.toJsonLd()) as Raw;
  const object = (raw[SIGNED] ?? raw.object) as Raw | null | undefined;
  const signer = activity.actorId?.href;
  const type = typeof object?.type === 'string' ? object.type : undefined;
  const recipient = ctx.recipient ?? recipientOf(ctx, raw);
  // Not ours (a Create{Note} from a ledger we follow, an Accept of a Follow): other handlers' business.
  if (signer === undefined || raw.actor !== signer || object == null || type === undefined) return;
  if (recipient === undefined) return;
  const key = `${raw.type as string} ${type}`;
  const handlers: Record<string, () => Promise<void>> = {
    'Offer HostApplication': () => onApplication(transport, recipient, signer, object),
    'Offer Note': () => onCountersignRequest(transport, recipient, signer, object),
    'Offer Document': () => onCosignRequest(transport, recipient, signer, object),
    'Accept HostMembership': () => onMembership(transport, recipient, signer, object),
    'Reject HostMembership': () => onMembership(transport, recipient, signer, object),
    'Accept ExpenseCountersignature': () => onCountersignature(transport, recipient, signer, object),
    'Reject CountersignRefusal': () => onRefusal(transport, recipient, signer, object),
    'Accept Document': () => onCosigned(transport, recipient, signer, object),
    'Reject Document': () => onCosignRefused(transport, recipient, signer, object),
    'Create Receipt': () => onReceipt(transport, recipient, signer, object, raw),
    'Create Payout': () => onPayout(transport, recipient, signer, object),
    'Leave Note': () => onLeave(transport, recipient, signer, object),
  };
  const handler = handlers[key];
  if (handler === undefined) return;
  try {
    await handler();
  } catch (error) {
    // The other node could not be read, or something unexpected: Fedify's queue tries again later.
    if (!(error instanceof Refused || error instanceof AppError)) throw error;
    if (error instanceof AppError && error.code === 'HOST_PEER_UNREACHABLE') throw error;
    transport.refuse({
      activity: String(raw.id),
      actor: signer,
      ...(error instanceof Refused
        ? { problem: error.message, details: error.details }
        : { problem: error.code, details: { message: error.message, ...error.details } }),
    });
  }
  transport.handled += 1;
}

function recipientOf(ctx: InboxContext<void>, raw: Raw): string | undefined {
  const to = Array.isArray(raw.to) ? raw.to[0] : raw.to;
  if (typeof to !== 'string') return undefined;
  const parsed = ctx.parseUri(new URL(to));
  return parsed?.type === 'actor' ? parsed.identifier : undefined;
}

// ---- at the host ----

async function hostOrNothing(transport: HostTransport, name: string) {
  return transport.deps.host(name);
}

async function onApplication(
  t: HostTransport,
  name: string,
  signer: string,
  application: Raw,
): Promise<void> {
  const host = await hostOrNothing(t, name);
  if (host === undefined) return;
  if (application.collective !== signer) throw new Refused('signerNotCollective');
  const actor = await fetchActor(signer, t.deps.fed.deps.allowPrivateAddress);
  await t.rememberInbox(signer, actor.inbox);
  const record = await host.applications.receive(application);
  // A duplicate of a decided application gets the decision again.
  if (record.membership !== undefined) await t.answerMembership(name, record.membership);
}

async function onCountersignRequest(
  t: HostTransport,
  name: string,
  signer: string,
  entry: Raw,
): Promise<void> {
  const host = await hostOrNothing(t, name);
  if (host === undefined) return;
  const approval = entry as unknown as SignedEntry<'ExpenseApproved'>;
  if (approval.kind !== 'ExpenseApproved' || typeof approval.expense !== 'string')
    throw new Refused('notAnApproval');
  if (approval.attributedTo !== signer) throw new Refused('signerNotCollective');
  // Checked before anything is decided or signed: an offer whose proof is not the collective's
  // is refused as such, whatever its ledger says later.
  const checked = await checkByActor(t, signer, entry, 'ExpenseApproved');
  if (!checked.ok) throw new Refused('approvalSignatureInvalid', checked.problem);
  // A collective that left is answered nothing: it has no host to record an answer from.
  if ((await host.core.member(signer))?.status === 'left') throw new Refused('memberLeft');
  const record = await host.countersigning.request({ collective: signer, expense: approval.expense });
  await t.answerCountersign(name, record);
}

async function onCosignRequest(t: HostTransport, name: string, signer: string, doc: Raw): Promise<void> {
  const host = await hostOrNothing(t, name);
  if (host === undefined || doc.name !== CHECKPOINT_DOCUMENT) return;
  const proof = Array.isArray(doc.consistencyProof) ? doc.consistencyProof : [];
  if (typeof doc.content !== 'string' || !proof.every((h) => typeof h === 'string'))
    throw new Refused('malformedCheckpoint');
  let answer: Raw;
  try {
    const cosigned = await host.witness.cosign({ collective: signer, note: doc.content, proof });
    answer = {
      type: 'Document',
      name: CHECKPOINT_DOCUMENT,
      mediaType: doc.mediaType,
      content: cosigned.cosigned,
    };
  } catch (error) {
    if (!(error instanceof AppError) || error.code === 'HOST_PEER_UNREACHABLE') throw error;
    answer = { type: 'Document', name: CHECKPOINT_DOCUMENT, summary: error.code, content: doc.content };
  }
  await t.send(name, signer, answer.summary === undefined ? 'Accept' : 'Reject', answer);
}

// ---- at the collective ----

/** The host declared in the collective's `HostJoined`; the signer must be it. */
async function declaredHost(t: HostTransport, name: string, signer: string) {
  const ledger = await t.deps.ledger(name);
  const host = ledger?.chainHead()?.host;
  if (ledger === undefined || host === undefined) throw new Refused('noHost');
  if (host.id !== signer) throw new Refused('signerNotHost', { host: host.id });
  return ledger;
}

async function onMembership(t: HostTransport, name: string, signer: string, membership: Raw): Promise<void> {
  const pending = await t.get<PendingApplication>('application', name);
  if (pending === undefined || pending.host !== signer) throw new Refused('noApplicationToThisHost');
  const ledger = await t.deps.ledger(name);
  // A duplicate answer after HostJoined was recorded.
  if (ledger?.chainHead()?.host?.id === signer) return;
  if (membership.application !== jsonDigest(pending.application, t.backend))
    throw new Refused('wrongApplication');
  const host = await fetchActor(signer, t.deps.fed.deps.allowPrivateAddress);
  const side = await t.side(name);
  try {
    const joined = await side.recordMembership(membership, {
      host: signer,
      hostPublicKey: host.ledgerKey,
      application: pending.application,
    });
    // The host's time on the membership: a `MemberLeft` older than it ended an earlier one.
    if (joined !== undefined)
      await t.set((membership.proof as { created?: string }).created, JOINED_AT, name);
    if (joined === undefined)
      await t.set(
        { ...pending, rejected: membership as unknown as HostMessage<'HostMembership'> },
        'application',
        name,
      );
    else await t.delete('application', name);
  } catch (error) {
    if (error instanceof AppError && error.code === 'HOST_SIGNATURE_INVALID')
      throw new Refused('membershipInvalid', error.details);
    throw error;
  }
}

/**
 * Runs a recording; a forged or mismatched object is refused, a duplicate one ignored: the same
 * answer delivered twice (a redelivery, or two requests answered alike) may be handled at the same
 * time, so when the append fails, `settled` says whether the other one already recorded it.
 */
async function recording(run: () => Promise<unknown>, settled: () => Promise<boolean>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    if (error.code === 'HOST_SIGNATURE_INVALID') throw new Refused('hostSignatureInvalid', error.details);
    if (error.code === 'LEDGER_ALREADY_RECORDED' || (await settled())) return;
    throw error;
  }
}

async function onCountersignature(
  t: HostTransport,
  name: string,
  signer: string,
  object: Raw,
): Promise<void> {
  const ledger = await declaredHost(t, name, signer);
  const expense = typeof object.expense === 'string' ? object.expense : '';
  const status = await ledger.expense(expense);
  if (status !== undefined && status.state !== 'approved') return t.delete('awaiting', name, expense);
  await recording(
    async () => (await t.side(name)).recordCountersignature(object),
    async () => (await ledger.expense(expense))?.state !== 'approved',
  );
  await t.delete('refusal', name, expense);
  await t.delete('awaiting', name, expense);
  // New entries that move money: the host witnesses them.
  await t.requestCosign(name);
}

async function onRefusal(t: HostTransport, name: string, signer: string, object: Raw): Promise<void> {
  const ledger = await declaredHost(t, name, signer);
  const key = decodeMultikey(ledger.chainHead()?.host?.key ?? '');
  if (!key.ok) throw new Refused('hostKey');
  const verified = verifyHostMessage(object, 'CountersignRefusal', {
    publicKey: key.publicKey,
    backend: t.backend,
  });
  if (!verified.ok) throw new Refused('refusalInvalid', verified.reason);
  const refusal = verified.message;
  if (refusal.host !== signer || refusal.collective !== ledger.actor.id)
    throw new Refused('refusalMisaddressed');
  // In this order, so that whoever reads the status and finds the refusal also finds the expense
  // no longer awaiting (the two are separate writes; a reader in between saw both at once).
  await t.delete('awaiting', name, refusal.expense);
  await t.set(refusal, 'refusal', name, refusal.expense);
}

async function onReceipt(
  t: HostTransport,
  name: string,
  signer: string,
  object: Raw,
  raw: Raw,
): Promise<void> {
  await declaredHost(t, name, signer);
  const contributor =
    typeof raw.contributor === 'string' && raw.contributor.length <= 200 ? raw.contributor : undefined;
  await recording(
    async () => (await t.side(name)).recordReceipt(object, contributor === undefined ? {} : { contributor }),
    async () => false,
  );
  await t.requestCosign(name);
}

async function onPayout(t: HostTransport, name: string, signer: string, object: Raw): Promise<void> {
  const ledger = await declaredHost(t, name, signer);
  const expense = typeof object.expense === 'string' ? object.expense : '';
  const paid = async () => (await ledger.expense(expense))?.state === 'paid';
  if (await paid()) return;
  await recording(async () => (await t.side(name)).recordPayout(object), paid);
  await t.requestCosign(name);
}

/** The host's witness key: its genesis checkpoint key, under its origin line, as a cosigner. */
async function witnessKey(t: HostTransport, host: string): Promise<NoteVerifierKey> {
  const cached = await t.get<{ name: string; publicKey: string }>('witness', host);
  let found = cached;
  if (found === undefined) {
    for await (const entry of outboxEntries(host, 0, t.deps.fed.deps.allowPrivateAddress)) {
      const genesis = entry as SignedEntry<'Genesis'>;
      const key = decodeMultikey(genesis.checkpointKey ?? '');
      if (genesis.seq !== 0 || genesis.attributedTo !== host || !key.ok) throw new Refused('hostGenesis');
      found = { name: genesis.origin, publicKey: Buffer.from(key.publicKey).toString('base64') };
      break;
    }
    if (found === undefined) throw new Refused('hostGenesis');
    await t.set(found, 'witness', host);
  }
  const publicKey = fromBase64(found.publicKey);
  return {
    name: found.name,
    keyId: noteKeyId(found.name, SIG_TYPE_COSIGNATURE, publicKey, t.backend),
    type: SIG_TYPE_COSIGNATURE,
    publicKey,
  };
}

async function onCosigned(t: HostTransport, name: string, signer: string, doc: Raw): Promise<void> {
  await declaredHost(t, name, signer);
  if (doc.name !== CHECKPOINT_DOCUMENT || typeof doc.content !== 'string')
    throw new Refused('malformedCheckpoint');
  const side = await t.side(name);
  let checked: { size: number };
  try {
    checked = await side.checkCosigned(doc.content, await witnessKey(t, signer));
  } catch (error) {
    if (error instanceof AppError && error.code === 'HOST_SIGNATURE_INVALID')
      throw new Refused('cosignatureInvalid', error.details);
    throw error;
  }
  const last = await t.cosigned(name);
  if (last === undefined || last.size < checked.size) {
    const record: CosignedCheckpoint = { size: checked.size, cosigned: doc.content };
    await t.set(record, 'cosigned', name);
  }
  await t.cosignSettled(name);
}

async function onCosignRefused(t: HostTransport, name: string, signer: string, doc: Raw): Promise<void> {
  await declaredHost(t, name, signer);
  await t.delete('cosign-out', name);
  throw new Refused('cosignRefused', { code: doc.summary });
}
