import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { verifyChain } from '../../protocol/chain.ts';
import { fromUtf8 } from '../../protocol/encoding.ts';
import { getActorRecord, openActor } from '../actors/actors.ts';
import { nativeBackend } from '../crypto/native.ts';
import {
  approve,
  contribution,
  expense,
  pay,
  type TempNode,
  tempNode,
  update,
} from '../ledger/fixtures.test-helper.ts';
import { openLevelStore } from '../storage/level.ts';
import { exportLedger, importLedger, splitLines, verifyExport } from './bulk.ts';

async function collect(lines: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const line of lines) parts.push(Buffer.from(line));
  return Buffer.concat(parts);
}

async function seeded(): Promise<TempNode> {
  const node = await tempNode();
  const { ledger } = node.actor;
  await ledger.append(contribution('250.00'));
  const filed = await ledger.append(expense('40.00', 'account:bob'));
  await ledger.append(approve(filed.leafHash, 'account:alice'));
  await ledger.append(pay(filed.leafHash, '40.00'));
  await Promise.all(Array.from({ length: 1200 }, (_, i) => ledger.append(update(i))));
  return node;
}

/**
 * The bytes as a stream of `size`-byte chunks. A plain iterator rather than an async generator:
 * split into 3-byte chunks, an export is ~400,000 of them, and each generator step costs several
 * promises, which tap's per-test async hooks make slow.
 */
function chunked(bytes: Uint8Array, size: number): AsyncIterable<Uint8Array> {
  let at = 0;
  const iterator: AsyncIterator<Uint8Array> = {
    next: () => {
      if (at >= bytes.length) return Promise.resolve({ done: true, value: undefined });
      const value = bytes.subarray(at, at + size);
      at += size;
      return Promise.resolve({ done: false, value });
    },
  };
  return { [Symbol.asyncIterator]: () => iterator };
}

// Seeded once for the file (1,205 signed appends are most of its time): the first two tests only
// read it, and the last one, which closes its database and restores onto a new one, runs last.
const node = await seeded();
t.teardown(node.cleanup);

t.test('export → import → export round-trips byte for byte', async (t) => {
  const exported = await collect(exportLedger(node.actor.ledger));
  const lines = exported.toString('utf8').split('\n');
  t.equal(lines.length, 1 + 1205 + 1 + 1, 'document, 1,205 entries, checkpoint, final newline');
  const document = JSON.parse(lines[0] as string);
  t.equal(document.id, node.actor.ledger.actor.id);
  t.equal(document.assertionMethod[0].id, `${document.id}#ledger-key-0`);
  t.equal(document.assertionMethod[0].type, 'Multikey');
  const stored = await node.actor.ledger.get(17);
  t.equal(lines[18], fromUtf8(stored?.leaf as Uint8Array), 'an entry line is exactly its stored leaf');
  t.ok(
    verifyChain(
      lines.slice(1, -2).map((l) => JSON.parse(l)),
      { backend: nativeBackend },
    ).ok,
    'entries verify',
  );

  const file = join(node.dir, 'export.jsonl');
  await writeFile(file, exported);
  const target = await mkdtemp(join(tmpdir(), 'cagnotte-import-'));
  t.teardown(() => rm(target, { recursive: true, force: true }));
  const store = await openLevelStore(join(target, 'db'));
  t.teardown(() => store.close());
  const imported = await importLedger({
    store,
    dataDir: target,
    backend: nativeBackend,
    open: () => createReadStream(file, { highWaterMark: 4096 }),
  });
  t.equal(imported.size, 1205);
  const restored = await openActor({ store, dataDir: target, backend: nativeBackend }, 'repair-cafe');
  t.equal(restored.keys, undefined, 'no key file came with it');
  t.same(restored.ledger.head(), node.actor.ledger.head(), 'same head');
  t.same(restored.ledger.checkpoint(), node.actor.ledger.checkpoint(), 'the imported checkpoint is served');
  t.equal(restored.ledger.balance().amount, '210.00', 'indexes rebuilt: balance');
  t.equal((await restored.ledger.expenses('paid')).items.length, 1, 'indexes rebuilt: expenses');
  await t.rejects(restored.ledger.append(update(0)), { code: 'LEDGER_CLOSED' }, 'read-only without keys');
  const again = await collect(exportLedger(restored.ledger));
  t.ok(again.equals(exported), 'the second export is byte-identical');
  await restored.ledger.close();
  await t.rejects(
    importLedger({ store, dataDir: target, backend: nativeBackend, open: () => chunked(exported, 1000) }),
    { code: 'ACTOR_EXISTS' },
  );
});

t.test('a tampered or truncated export is refused and nothing is written', async (t) => {
  const exported = await collect(exportLedger(node.actor.ledger));
  const text = exported.toString('utf8');
  const lines = text.split('\n');
  const target = await mkdtemp(join(tmpdir(), 'cagnotte-import-'));
  t.teardown(() => rm(target, { recursive: true, force: true }));
  const store = await openLevelStore(join(target, 'db'));
  t.teardown(() => store.close());

  const variants: [string, string][] = [
    ['an amount changed', text.replace('"amount":"250.00"', '"amount":"260.00"')],
    ['an entry dropped', [...lines.slice(0, 500), ...lines.slice(501)].join('\n')],
    ['entries swapped', [...lines.slice(0, 500), lines[501], lines[500], ...lines.slice(502)].join('\n')],
    ['truncated before the checkpoint', `${lines.slice(0, -2).join('\n')}\n`],
    ['cut mid-line', text.slice(0, text.length - 40)],
    [
      're-serialised with other key order',
      [
        lines[0],
        JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(lines[1] as string)).reverse())),
        ...lines.slice(2),
      ].join('\n'),
    ],
    [
      'another checkpoint key in the document',
      text.replace(
        JSON.parse(lines[0] as string).checkpointKey.publicKeyMultibase,
        JSON.parse(lines[0] as string).assertionMethod[0].publicKeyMultibase,
      ),
    ],
    ['a line after the checkpoint', `${text}{"x":1}\n`],
    ['empty', ''],
  ];
  for (const [what, variant] of variants) {
    const bytes = Buffer.from(variant, 'utf8');
    await t.rejects(
      importLedger({ store, dataDir: target, backend: nativeBackend, open: () => chunked(bytes, 777) }),
      { code: 'IMPORT_INVALID' },
      what,
    );
  }
  t.equal(await getActorRecord(store, 'repair-cafe'), undefined, 'no actor registered');
  let keys = 0;
  for await (const _ of store.sublevel('ledger', 'repair-cafe', 'entries').keys()) keys++;
  t.equal(keys, 0, 'no entry written');
  const verified = await verifyExport(splitLines(chunked(exported, 3)), nativeBackend);
  t.equal(verified.size, 1205, 'the untouched export verifies even split into 3-byte chunks');
});

t.test('an import finds the actor’s key file and is writable again', async (t) => {
  const exported = await collect(exportLedger(node.actor.ledger));
  await node.actor.ledger.close();
  await node.store.close();
  // Restore onto a fresh database beside the same keys directory.
  await rm(join(node.dir, 'db'), { recursive: true, force: true });
  const store = await openLevelStore(join(node.dir, 'db'));
  node.store = store;
  await importLedger({
    store,
    dataDir: node.dir,
    backend: nativeBackend,
    open: () => chunked(exported, 65536),
  });
  const restored = await openActor({ store, dataDir: node.dir, backend: nativeBackend }, 'repair-cafe');
  const next = await restored.ledger.append(update(9999));
  t.equal(next.seq, 1205, 'appends continue where the export ended');
  t.equal(restored.ledger.checkpoint()?.size, 1206);
  await restored.ledger.close();
});
