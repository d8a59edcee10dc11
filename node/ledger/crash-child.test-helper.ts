// Child process of crash.test.ts: once told `go` on stdin, opens (or creates) the ledger in the data
// dir given as argv[2], then 50 concurrent clients append in a loop, each printing
// `ack <seq> <leafHash>` once its append is acknowledged (durable). The parent SIGKILLs this process
// at a random moment. Waiting for `go` lets the parent start the next child (loading its modules)
// while it still checks the database the last one left; the database is opened only after that.
import { join } from 'node:path';
import { createActor, getActorRecord, openActor } from '../actors/actors.ts';
import { nativeBackend } from '../crypto/native.ts';
import { openLevelStore } from '../storage/level.ts';
import { contribution, ORIGIN, update } from './fixtures.test-helper.ts';

await new Promise((resolve) => process.stdin.once('data', resolve));
const dataDir = process.argv[2] as string;
const store = await openLevelStore(join(dataDir, 'db'));
const context = { store, dataDir, backend: nativeBackend };
const actor =
  (await getActorRecord(store, 'repair-cafe')) === undefined
    ? await createActor({ ...context, origin: ORIGIN, name: 'repair-cafe', type: 'Group' })
    : await openActor(context, 'repair-cafe');
process.stdout.write(`ready ${actor.ledger.head().size}\n`);

let i = 0;
async function client(): Promise<void> {
  for (;;) {
    const n = i++;
    const result = await actor.ledger.append(n % 5 === 0 ? contribution('1.00') : update(n));
    // One write per line: a line is either whole or absent when the process dies.
    process.stdout.write(`ack ${result.seq} ${result.leafHash}\n`);
  }
}
await Promise.all(Array.from({ length: 50 }, client));
