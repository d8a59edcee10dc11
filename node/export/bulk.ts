/**
 * The signed bulk export, JSON Lines, that anyone can verify offline:
 *
 *   line 1       the actor document (id, name, type, every ledger key as an FEP-521a Multikey in
 *                `assertionMethod`, the checkpoint key and origin line), as JCS;
 *   lines 2..n+1 every entry in order, exactly the stored leaf bytes;
 *   last line    `{"note":…,"type":"Checkpoint"}`, the latest signed C2SP checkpoint, as JCS.
 *
 * Everything is canonical, so export → import → export gives the same bytes. Both directions
 * stream: memory stays constant whatever the ledger's length. Import verifies the whole file
 * (chain, keys, checkpoint against the Merkle root) before it writes anything.
 */
import { ChainVerifier } from '../../protocol/chain.ts';
import { verifyCheckpoint } from '../../protocol/checkpoint.ts';
import type { CryptoBackend } from '../../protocol/crypto.ts';
import { bytesEqual, fromUtf8, toHex, utf8 } from '../../protocol/encoding.ts';
import type { SignedEntry } from '../../protocol/entry/types.ts';
import { ACTIVITYSTREAMS_CONTEXT } from '../../protocol/entry/types.ts';
import { canonicalBytes, type JsonObject } from '../../protocol/jcs.ts';
import { appendLeaf, EMPTY_TREE, type TreeState, treeRoot } from '../../protocol/merkle/tree.ts';
import { decodeMultikey, encodeMultikey } from '../../protocol/multikey.ts';
import { noteKeyId, SIG_TYPE_ED25519 } from '../../protocol/note.ts';
import { type ActorRecord, actorId, getActorRecord, openActor } from '../actors/actors.ts';
import { ACTOR_NAME, readActorKeys } from '../actors/keys.ts';
import { AppError } from '../errors.ts';
import { ledgerSublevels } from '../ledger/layout.ts';
import { checkpointOrigin, type LedgerService } from '../ledger/service.ts';
import { jsonValue, seqKey } from '../storage/codec.ts';
import type { BatchOp, Store } from '../storage/types.ts';
import { lineBatches } from './lines.ts';

export const MULTIKEY_CONTEXT = 'https://w3id.org/security/multikey/v1';
/** Longest line an import accepts: a 64 KiB leaf, or an actor document with many keys. */
const NEWLINE = utf8('\n');

interface Multikey {
  id: string;
  type: 'Multikey';
  controller: string;
  publicKeyMultibase: string;
}

/** Line 1 of an export. */
export interface ActorDocument {
  '@context': string[];
  id: string;
  type: 'Group' | 'Organization';
  preferredUsername: string;
  name: string;
  /** Every ledger key the actor used, `#ledger-key-<k>` in order (SPEC.md §2). */
  assertionMethod: Multikey[];
  checkpointKey: Multikey;
  /** The checkpoint origin line (C2SP). */
  checkpointOrigin: string;
}

/** The actor document of `ledger`, from its genesis and `KeyRotated` entries. */
export async function actorDocument(ledger: LedgerService): Promise<ActorDocument> {
  const genesis = (await ledger.get(0))?.entry as SignedEntry<'Genesis'> | undefined;
  if (genesis === undefined) throw new AppError('ENTRY_NOT_FOUND', 'the ledger has no genesis entry');
  const id = genesis.attributedTo;
  const keys = [genesis.ledgerKey];
  if ((ledger.chainHead()?.keyIndex ?? 0) > 0) {
    // Only ledgers that rotated keys pay for this pass.
    for await (const record of entriesOf(ledger, ledger.head().size)) {
      if (record.entry.kind === 'KeyRotated')
        keys.push((record.entry as SignedEntry<'KeyRotated'>).ledgerKey);
    }
  }
  const multikey = (fragment: string, publicKeyMultibase: string): Multikey => ({
    id: `${id}#${fragment}`,
    type: 'Multikey',
    controller: id,
    publicKeyMultibase,
  });
  return {
    '@context': [ACTIVITYSTREAMS_CONTEXT, MULTIKEY_CONTEXT],
    id,
    type: genesis.actorType,
    preferredUsername: id.slice(id.lastIndexOf('/') + 1),
    name: genesis.name,
    assertionMethod: keys.map((key, k) => multikey(`ledger-key-${k}`, key)),
    checkpointKey: multikey('checkpoint-key', genesis.checkpointKey),
    checkpointOrigin: genesis.origin,
  };
}

async function* entriesOf(ledger: LedgerService, size: number) {
  let cursor = '0';
  while (Number(cursor) < size) {
    const page = await ledger.page({ order: 'oldest', cursor, limit: 500 });
    for (const record of page.items) {
      if (record.seq >= size) return;
      yield record;
    }
    if (page.next === undefined) return;
    cursor = page.next;
  }
}

/**
 * The export of `ledger`, line by line (each with its newline). The checkpoint is taken first and
 * the entries are read up to its size, so appends during the export do not tear it.
 */
export async function* exportLedger(ledger: LedgerService): AsyncIterable<Uint8Array> {
  const checkpoint = ledger.checkpoint();
  if (checkpoint === undefined) throw new AppError('CHECKPOINT_NOT_FOUND');
  const document = await actorDocument(ledger);
  yield line(canonicalBytes(document as unknown as JsonObject));
  for await (const record of entriesOf(ledger, checkpoint.size)) yield line(record.leaf);
  yield line(canonicalBytes({ type: 'Checkpoint', note: checkpoint.note }));
}

function line(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  out.set(NEWLINE, bytes.length);
  return out;
}

/** Splits a byte stream into lines (without their newline), refusing overlong ones. */
export async function* splitLines(chunks: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  for await (const lines of lineBatches(chunks, (problem) => invalid(problem))) yield* lines;
}

function invalid(problem: string, details: Record<string, unknown> = {}): AppError {
  return new AppError('IMPORT_INVALID', `The export does not verify: ${problem}; nothing was imported.`, {
    problem,
    ...details,
  });
}

function parseLine(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(fromUtf8(bytes));
  } catch {
    throw invalid(`${what} is not JSON`);
  }
}

/** What an import verified. */
export interface VerifiedExport {
  document: ActorDocument;
  name: string;
  size: number;
  rootHash: string;
  note: string;
  genesis: SignedEntry<'Genesis'>;
}

/**
 * Verifies an export completely, in one streaming pass: the actor document's shape and keys
 * against the genesis entry, every entry with the protocol chain verifier (each line must be
 * exactly its entry's canonical bytes), and the checkpoint's signature, origin, size and root.
 * Throws `IMPORT_INVALID` naming the first problem.
 */
export async function verifyExport(
  lines: AsyncIterable<Uint8Array>,
  backend: CryptoBackend,
): Promise<VerifiedExport> {
  let document: ActorDocument | undefined;
  let verifier: ChainVerifier | undefined;
  let genesis: SignedEntry<'Genesis'> | undefined;
  let tree: TreeState = EMPTY_TREE;
  let checkpoint: { note: string } | undefined;
  for await (const bytes of lines) {
    if (checkpoint !== undefined) throw invalid('there are lines after the checkpoint');
    if (document === undefined) {
      document = parseDocument(parseLine(bytes, 'the actor document'));
      verifier = new ChainVerifier({ actor: document.id, backend });
      continue;
    }
    const value = parseLine(bytes, `line ${tree.size + 2}`) as Record<string, unknown> | null;
    if (value !== null && typeof value === 'object' && value.type === 'Checkpoint' && 'note' in value) {
      if (!bytesEqual(bytes, canonicalBytes(value as JsonObject)) || typeof value.note !== 'string') {
        throw invalid('the checkpoint line is not canonical');
      }
      checkpoint = { note: value.note };
      continue;
    }
    const step = (verifier as ChainVerifier).push(value);
    if (!step.ok)
      throw invalid(`entry ${step.reason.seq} fails (${step.reason.type})`, { reason: step.reason });
    if (!bytesEqual(step.leaf, bytes))
      throw invalid(`line ${tree.size + 2} is not its entry's canonical bytes`);
    if (step.seq === 0) genesis = value as unknown as SignedEntry<'Genesis'>;
    tree = appendLeaf(tree, step.leafHash, backend).state;
  }
  if (document === undefined) throw invalid('the file is empty');
  if (genesis === undefined) throw invalid('there is no genesis entry');
  if (checkpoint === undefined) throw invalid('there is no checkpoint line');
  checkKeys(document, genesis);
  const checkpointKey = decodeMultikey(document.checkpointKey.publicKeyMultibase);
  if (!checkpointKey.ok) throw invalid('the checkpoint key does not decode');
  const origin = document.checkpointOrigin;
  const verified = verifyCheckpoint(checkpoint.note, {
    logKeys: [
      {
        name: origin,
        keyId: noteKeyId(origin, SIG_TYPE_ED25519, checkpointKey.publicKey, backend),
        type: SIG_TYPE_ED25519,
        publicKey: checkpointKey.publicKey,
      },
    ],
    origin,
    backend,
  });
  if (!verified.ok) throw invalid(`the checkpoint does not verify (${verified.reason.type})`);
  const root = treeRoot(tree, backend);
  if (verified.checkpoint.size !== tree.size) {
    throw invalid(`the checkpoint is for ${verified.checkpoint.size} entries, the file has ${tree.size}`);
  }
  if (!bytesEqual(verified.checkpoint.rootHash, root))
    throw invalid('the checkpoint root is not the entries’ Merkle root');
  const name = document.preferredUsername;
  return { document, name, size: tree.size, rootHash: toHex(root), note: checkpoint.note, genesis };
}

function parseDocument(value: unknown): ActorDocument {
  const d = value as ActorDocument;
  const isKey = (k: unknown): k is Multikey =>
    typeof k === 'object' &&
    k !== null &&
    (k as Multikey).type === 'Multikey' &&
    typeof (k as Multikey).publicKeyMultibase === 'string';
  if (
    typeof d !== 'object' ||
    d === null ||
    typeof d.id !== 'string' ||
    (d.type !== 'Group' && d.type !== 'Organization') ||
    typeof d.preferredUsername !== 'string' ||
    !ACTOR_NAME.test(d.preferredUsername) ||
    typeof d.checkpointOrigin !== 'string' ||
    !Array.isArray(d.assertionMethod) ||
    d.assertionMethod.length === 0 ||
    !d.assertionMethod.every(isKey) ||
    !isKey(d.checkpointKey)
  ) {
    throw invalid('line 1 is not an actor document');
  }
  let origin: string;
  try {
    origin = new URL(d.id).origin;
  } catch {
    throw invalid('the actor id is not a URL');
  }
  if (actorId(origin, d.preferredUsername) !== d.id)
    throw invalid('the actor id is not <origin>/actors/<name>');
  return d;
}

function checkKeys(document: ActorDocument, genesis: SignedEntry<'Genesis'>): void {
  if (document.assertionMethod[0]?.publicKeyMultibase !== genesis.ledgerKey) {
    throw invalid('the document’s first ledger key is not the genesis key');
  }
  if (document.checkpointKey.publicKeyMultibase !== genesis.checkpointKey) {
    throw invalid('the document’s checkpoint key is not the genesis checkpoint key');
  }
  if (document.checkpointOrigin !== genesis.origin || genesis.origin !== checkpointOrigin(document.id)) {
    throw invalid('the checkpoint origin does not match the genesis');
  }
  if (document.type !== genesis.actorType || document.name !== genesis.name) {
    throw invalid('the document’s type or name is not the genesis one');
  }
}

/** Options for {@link importLedger}. */
export interface ImportOptions {
  store: Store;
  dataDir: string;
  backend: CryptoBackend;
  /** Opens the export as a byte stream; called twice (verify, then write). */
  open: () => AsyncIterable<Uint8Array>;
}

/**
 * Restores a ledger from an export: verifies it all first, then writes the entries and rebuilds
 * every index (the ledger service verifies the chain again while doing so), and registers the
 * actor last, so a failure or a crash leaves no actor behind. Without a key file for the actor
 * the ledger is served read-only. Rejects with `IMPORT_INVALID` or `ACTOR_EXISTS`.
 */
export async function importLedger(options: ImportOptions): Promise<{ record: ActorRecord; size: number }> {
  const { store, dataDir, backend } = options;
  const verified = await verifyExport(splitLines(options.open()), backend);
  const { name, document, genesis } = verified;
  if ((await getActorRecord(store, name)) !== undefined) throw new AppError('ACTOR_EXISTS');
  const keys = await readActorKeys(dataDir, name, backend);
  const currentKey = document.assertionMethod[document.assertionMethod.length - 1]?.publicKeyMultibase;
  if (
    keys !== undefined &&
    (encodeMultikey(keys.checkpoint.publicKey) !== genesis.checkpointKey ||
      encodeMultikey(keys.ledger.publicKey) !== currentKey ||
      keys.id !== document.id)
  ) {
    throw invalid('the key file on this node is not this actor’s');
  }
  const subs = ledgerSublevels(store, name);
  const all = Object.values(subs);
  const clear = async () => {
    for (const sub of all) await sub.clear();
  };
  await clear();
  try {
    let ops: BatchOp[] = [];
    let seq = -1;
    for await (const bytes of splitLines(options.open())) {
      if (seq >= 0 && seq < verified.size)
        ops.push({ type: 'put', sublevel: subs.entries, key: seqKey(seq), value: bytes });
      seq++;
      if (ops.length >= 1000) {
        await store.batch(ops);
        ops = [];
      }
    }
    ops.push({
      type: 'put',
      sublevel: subs.meta,
      key: 'checkpoint',
      value: jsonValue({ size: verified.size, rootHash: verified.rootHash, note: verified.note }),
    });
    await store.batch(ops, { sync: true });
    const origin = new URL(document.id).origin;
    const record: ActorRecord = {
      id: document.id,
      name,
      type: document.type,
      origin,
      currency: genesis.currency,
      createdAt: genesis.published,
    };
    await store.sublevel('actors').put(name, jsonValue(record), { sync: true });
    // Opening rebuilds the derived data from the entries just written (their meta is absent).
    const { ledger } = await openActor({ store, dataDir, backend }, name);
    if (ledger.head().size !== verified.size || ledger.head().rootHash !== verified.rootHash) {
      throw invalid('the written ledger does not match the export');
    }
    await ledger.close();
    return { record, size: verified.size };
  } catch (error) {
    await store.sublevel('actors').del(name, { sync: true });
    await clear();
    throw error;
  }
}
