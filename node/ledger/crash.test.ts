import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { verifyChain } from '../../protocol/chain.ts';
import { openActor } from '../actors/actors.ts';
import { nativeBackend } from '../crypto/native.ts';
import { openLevelStore } from '../storage/level.ts';

const CHILD = fileURLToPath(new URL('./crash-child.test-helper.ts', import.meta.url));
const ROUNDS = 20;

/** A child started ahead of its round: it loads its modules, then waits for `go` (see the helper). */
interface Child {
  process: ChildProcessWithoutNullStreams;
  /** Resolves with the acknowledged entries once the child died of SIGKILL; rejects otherwise. */
  killed: Promise<Map<number, string>>;
  /** Calls back once at least that many entries are acknowledged. */
  onAcks(minAcks: number, callback: () => void): void;
}

function startChild(dataDir: string): Child {
  // stdin, stdout and stderr piped (the default).
  const child = spawn(process.execPath, [CHILD, dataDir]);
  const acks = new Map<number, string>();
  let buffer = '';
  let stderr = '';
  let waiting: { minAcks: number; callback: () => void } | undefined;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffer += chunk;
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      const [word, seq, hash] = line.split(' ');
      if (word === 'ack') acks.set(Number(seq), hash as string);
    }
    if (waiting !== undefined && acks.size >= waiting.minAcks) {
      const { callback } = waiting;
      waiting = undefined;
      callback();
    }
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  // Writing `go` to a child that died already must not throw: its exit is reported below.
  child.stdin.on('error', () => {});
  const killed = new Promise<Map<number, string>>((resolve, reject) => {
    child.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited by itself: ${stderr}`));
      else resolve(acks);
    });
  });
  // Until its round, a failure is only reported when the round awaits it.
  killed.catch(() => {});
  return {
    process: child,
    killed,
    onAcks(minAcks, callback) {
      waiting = { minAcks, callback };
    },
  };
}

/** Lets the child open the database, then kills it `delayMs` after it acknowledged `minAcks` entries. */
function runAndKill(child: Child, minAcks: number, delayMs: number): Promise<Map<number, string>> {
  child.onAcks(minAcks, () => setTimeout(() => child.process.kill('SIGKILL'), delayMs));
  child.process.stdin.end('go\n');
  return child.killed;
}

t.test(`SIGKILL while 50 clients append, ${ROUNDS} rounds: every acknowledged entry survives`, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cagnotte-crash-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const acknowledged = new Map<number, string>();
  let totalAcks = 0;
  let missingTotal = 0;
  let next = startChild(dir);
  t.teardown(() => {
    next.process.kill('SIGKILL');
  });
  for (let round = 0; round < ROUNDS; round++) {
    // The kill lands anywhere from right after the first acks to well into later batches.
    const acks = await runAndKill(next, 1 + Math.floor(Math.random() * 50), Math.floor(Math.random() * 40));
    // The next round's child loads while this round's database is checked; it opens it only after.
    if (round < ROUNDS - 1) next = startChild(dir);
    totalAcks += acks.size;
    for (const [seq, hash] of acks) acknowledged.set(seq, hash);
    const store = await openLevelStore(join(dir, 'db'));
    try {
      const { ledger } = await openActor({ store, dataDir: dir, backend: nativeBackend }, 'repair-cafe');
      const head = ledger.head();
      let missing = 0;
      for (const [seq, hash] of acknowledged) {
        if (seq >= head.size || (await ledger.get(seq))?.leafHash !== hash) missing++;
      }
      if (missing > 0) t.fail(`round ${round}: ${missing} acknowledged entries missing`);
      missingTotal += missing;
      if (round === ROUNDS - 1 || round % 5 === 0) {
        const entries = [];
        for await (const [, leaf] of store.sublevel('ledger', 'repair-cafe', 'entries').entries()) {
          entries.push(JSON.parse(Buffer.from(leaf).toString('utf8')));
        }
        const verified = verifyChain(entries, { actor: ledger.actor.id, backend: nativeBackend });
        t.ok(verified.ok, `round ${round}: chain of ${entries.length} entries verifies`);
        t.equal(entries.length, head.size, 'no entry beyond the head');
      }
      await ledger.close();
    } finally {
      await store.close();
    }
  }
  t.ok(
    totalAcks >= ROUNDS,
    `${totalAcks} acknowledgements over ${ROUNDS} kills, ${acknowledged.size} distinct`,
  );
  t.equal(missingTotal, 0, 'every acknowledged entry was present after every restart');
});
