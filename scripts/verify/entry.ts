/**
 * `cagnotte verify --entry N`: one entry's proof and its inclusion in the signed checkpoint. Over
 * HTTP the node serves the entry and the proof; a file is hashed line by line into the tree,
 * keeping only the nodes the proof needs.
 */
import { InclusionCollector, verifyEntryInLog } from '../../protocol/audit/inclusion.ts';
import { parseCheckpoint } from '../../protocol/checkpoint.ts';
import type { SignedEntry } from '../../protocol/entry/types.ts';
import { appendLeaf, EMPTY_TREE, hashLeaf, type TreeState } from '../../protocol/merkle/tree.ts';
import { parseNote } from '../../protocol/note.ts';
import type { VerifyOptions, VerifyReport } from './run.ts';
import { ContentError, entriesOf } from './sources.ts';

/** The checkpoint body, unverified: only to know how many entries to ask for. */
export function peekCheckpoint(note: string): { origin: string; size: number; rootHash: Uint8Array } {
  const parsed = parseNote(note);
  if (!parsed.ok) throw new ContentError(`the checkpoint is not a signed note (${parsed.reason.type})`);
  const body = parseCheckpoint(parsed.note.text);
  if (!body.ok) throw new ContentError(`the checkpoint does not parse (${body.reason.detail})`);
  return body.checkpoint;
}

/** Runs `--entry N` into `report`. */
export async function entryMode(options: VerifyOptions, seq: number, report: VerifyReport): Promise<void> {
  const { source, backend } = options;
  const actor = await source.actor();
  report.actor = actor.id;
  const checkpoint = await source.checkpoint();
  const peek = peekCheckpoint(checkpoint);
  if (seq >= peek.size) {
    report.failure = { type: 'entryOutOfRange', seq, size: peek.size };
    return;
  }
  let genesis: unknown;
  let entry: { value: unknown; line?: Uint8Array } | undefined;
  let proof: Uint8Array[] | undefined;
  if (source.entry !== undefined && source.inclusionProof !== undefined) {
    genesis = (await source.entry(0)).value;
    entry = await source.entry(seq);
    proof = await source.inclusionProof(seq, peek.size);
  } else {
    // A file: hash every line into the tree, keeping only the nodes the proof needs.
    const collector = new InclusionCollector(seq, peek.size);
    let tree: TreeState = EMPTY_TREE;
    for await (const item of entriesOf(source, peek.size)) {
      if (tree.size === peek.size) break;
      if (item.line === undefined) throw new ContentError('a file entry without its bytes');
      if (tree.size === 0) genesis = item.value;
      if (tree.size === seq) entry = item;
      const appended = appendLeaf(tree, hashLeaf(item.line, backend), backend);
      collector.offer(appended.nodes);
      tree = appended.state;
      if (tree.size % 4096 === 0) options.progress?.(tree.size, peek.size);
    }
    proof = collector.proof(backend);
    if (proof === undefined || entry === undefined) {
      report.failure = {
        type: 'checkpointSize',
        seq: tree.size,
        entries: tree.size,
        checkpointSize: peek.size,
      };
      return;
    }
  }
  const result = verifyEntryInLog({
    genesis,
    checkpoint,
    actorKeys: actor.keys,
    seq,
    entry: entry.value,
    ...(entry.line === undefined ? {} : { line: entry.line }),
    proof,
    backend,
  });
  if (!result.ok) {
    report.failure = result.failure;
    return;
  }
  const e = result.entry as SignedEntry & { amount?: string; currency?: string };
  report.entry = {
    seq,
    kind: e.kind,
    leafHash: result.leafHash,
    published: e.published,
    ...(typeof e.amount === 'string' ? { amount: e.amount } : {}),
    ...(typeof e.currency === 'string' ? { currency: e.currency } : {}),
  };
  report.checkpoint = { origin: peek.origin, size: result.size, rootHash: result.rootHash, note: checkpoint };
}
