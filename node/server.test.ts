/**
 * The node as it runs: `cagnotte start` in its own process, followed by an independent Fedify
 * follower living in this test. New entries reach the follower as Create{Note} whose HTTP
 * signature and eddsa-jcs-2022 proof both verify, and a delivery to an inbox that is down survives
 * a SIGKILL of the sending node and arrives once the inbox is back.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Follow, isActor } from '@fedify/vocab';
import t from 'tap';
import type { JsonObject } from '../protocol/jcs.ts';
import { decodeMultikey } from '../protocol/multikey.ts';
import { verifyProof } from '../protocol/proof.ts';
import { freePort } from '../test-support/free-port.ts';
import { type Delivery, startTestFollower, type TestFollower } from './federation/test-follower.ts';

const CLI = fileURLToPath(new URL('../scripts/cli.ts', import.meta.url));
const AP = 'application/activity+json';

interface RunningNode {
  child: ChildProcess;
  /** Every line the node printed (its log is JSON lines). */
  lines: string[];
  /** Resolves with the first line (printed or to come) that matches. */
  line(test: (line: string) => boolean): Promise<string>;
}

function startNode(cwd: string, port: number): Promise<RunningNode> {
  const child = spawn(
    process.execPath,
    [CLI, 'start', '--data', 'node', '--port', String(port), '--host', '127.0.0.1'],
    {
      cwd,
      env: {
        PATH: process.env.PATH,
        // The test run's compile cache (test-support/compile-cache.ts), if any.
        NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE,
        CAGNOTTE_ORIGIN: `http://127.0.0.1:${port}`,
        CAGNOTTE_ALLOW_PRIVATE_ADDRESS: '1',
        CAGNOTTE_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: string[] = [];
  const waiters: { test: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  let rest = '';
  const take = (chunk: Buffer) => {
    rest += chunk.toString('utf8');
    const parts = rest.split('\n');
    rest = parts.pop() as string;
    for (const line of parts) {
      lines.push(line);
      for (const w of waiters.filter((w) => w.test(line))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  const node: RunningNode = {
    child,
    lines,
    line(test) {
      const found = lines.find(test);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ test, resolve }));
    },
  };
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the node exited (${code}):\n${lines.join('\n')}`)));
    node.line((l) => l.includes('Cagnotte node listening')).then(() => resolve(node));
  });
}

async function kill(node: RunningNode, signal: NodeJS.Signals): Promise<void> {
  if (node.child.exitCode !== null || node.child.signalCode !== null) return;
  // Its exit is expected now: drop the listener that reports an early exit as a failure.
  node.child.removeAllListeners('exit');
  const exited = new Promise((resolve) => node.child.once('exit', resolve));
  node.child.kill(signal);
  await exited;
}

async function follow(follower: TestFollower, actorId: string): Promise<void> {
  const ctx = follower.federation.createContext(new URL(follower.origin), undefined);
  const group = await ctx.lookupObject(actorId);
  if (!isActor(group)) throw new Error(`not an actor: ${actorId}`);
  const activity = new Follow({
    id: new URL(`${follower.actorUrl('alice')}#follows/1`),
    actor: new URL(follower.actorUrl('alice')),
    object: group.id,
  });
  await ctx.sendActivity({ identifier: 'alice' }, group, activity);
}

/** The ledger key the actor document publishes (what a follower checks proofs against). */
async function ledgerKey(actorId: string): Promise<Uint8Array> {
  const doc = (await (await fetch(actorId, { headers: { accept: AP } })).json()) as {
    assertionMethod:
      | { id: string; publicKeyMultibase: string }[]
      | { id: string; publicKeyMultibase: string };
  };
  const method = [doc.assertionMethod].flat().find((m) => m.id === `${actorId}#ledger-key-0`);
  const decoded = decodeMultikey(method?.publicKeyMultibase ?? '');
  if (!decoded.ok) throw new Error('the ledger key does not decode');
  return decoded.publicKey;
}

async function appendUpdate(origin: string, token: string, title: string): Promise<JsonObject> {
  const response = await fetch(`${origin}/api/actors/garden/updates`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ title, body: `${title}: news for the followers.` }),
  });
  if (response.status !== 201)
    throw new Error(`append answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { entry: JsonObject }).entry;
}

const isCreateOf = (entry: JsonObject) => (d: Delivery) =>
  d.body.type === 'Create' && d.body.id === `${entry.id}/create`;

t.test(
  'a node in its own process delivers new entries to a Fedify follower, also across its own SIGKILL while the follower is down',
  async (t) => {
    const cwd = mkdtempSync(join(tmpdir(), 'cagnotte-node-'));
    t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const init = spawnSync(
      process.execPath,
      [CLI, 'init', '--data', 'node', '--name', 'garden', '--origin', origin],
      {
        cwd,
        encoding: 'utf8',
        env: { PATH: process.env.PATH, NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE },
      },
    );
    t.equal(init.status, 0, init.stderr);
    const token = /API token: (\S+)/.exec(init.stdout)?.[1] as string;
    const actorId = `${origin}/actors/garden`;

    let node = await startNode(cwd, port);
    t.teardown(() => kill(node, 'SIGKILL'));
    let follower = await startTestFollower();
    t.teardown(() => follower.close());
    const followerPort = Number(new URL(follower.origin).port);

    await follow(follower, actorId);
    const accept = await follower.next((d) => d.body.type === 'Accept');
    t.equal(accept.keyId, `${actorId}#main-key`, 'the Accept is HTTP-signed by the collective');

    const first = await appendUpdate(origin, token, 'Seeds');
    const create = await follower.next(isCreateOf(first));
    t.equal(
      create.keyId,
      `${actorId}#main-key`,
      'the Create carries a valid HTTP signature of the collective',
    );
    t.equal(create.body.actor, actorId);
    const note = create.body.object as JsonObject;
    t.same(note, first, 'the Note is the entry as signed');
    const publicKey = await ledgerKey(actorId);
    t.ok(
      verifyProof(note, { publicKey, verificationMethod: `${actorId}#ledger-key-0` }).ok,
      'its eddsa-jcs-2022 proof verifies with the key of the actor document',
    );

    // The follower's inbox goes down; the next entry fails to be delivered, and is retried.
    await follower.close();
    const failures = () => node.lines.filter((l) => l.includes('delivery failed')).length;
    const before = failures();
    const second = await appendUpdate(origin, token, 'Tools');
    await node.line(() => failures() >= before + 2);
    t.ok(failures() >= before + 2, 'a failed delivery is logged, and retried after a backoff');

    const errors = (lines: string[]) => lines.filter((l) => /"level":(50|60)/.test(l));
    t.same(errors(node.lines), [], 'nothing went wrong on the node (a failed delivery is a warning)');

    // The sending node dies without warning, its delivery still pending; the follower comes back,
    // then the node starts again. In this order, not the other: every attempt made while the
    // follower is down counts for Fedify's circuit breaker (kept in the node's LevelDB, so across
    // the restart), which holds a host's deliveries for 30 minutes after 5 failures in 10. A node
    // restarted first kept failing for as long as the follower took to start (seconds under load:
    // it makes RSA keys first), and a 5th failure left this `next` waiting past the timeout.
    await kill(node, 'SIGKILL');
    follower = await startTestFollower({ port: followerPort });
    node = await startNode(cwd, port);
    const late = await follower.next(isCreateOf(second));
    t.equal(late.keyId, `${actorId}#main-key`, 'the late delivery is HTTP-signed by the collective');
    t.same(late.body.object, second, 'the entry appended while the inbox was down arrives as signed');
    t.ok(
      verifyProof(late.body.object as JsonObject, {
        publicKey,
        verificationMethod: `${actorId}#ledger-key-0`,
      }).ok,
      'and its proof verifies',
    );
    t.equal(
      follower.deliveries.filter((d) => d.body.type === 'Create' && d.body.id === `${first.id}/create`)
        .length,
      0,
      'the entry delivered before the restart is not sent again',
    );

    await kill(node, 'SIGTERM');
    t.same(errors(node.lines), [], 'nothing went wrong on the restarted node');
    t.equal(node.child.exitCode, 0, 'SIGTERM stops the node cleanly (queue stopped, ledgers closed)');
  },
);
