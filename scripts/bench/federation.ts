/**
 * The federation suite (`npm run bench -- federation`, or `npx node scripts/bench/federation.ts`
 * for one pass). Every server is its own process on loopback; the bench process is the client.
 *
 * - Outbox pages/s: `GET /actors/bench/outbox?cursor=…` (20 embedded entries) from 50 keep-alive
 *   clients against `cagnotte start`, next to a bare Fastify route (`support/federation-peer.ts
 *   bare`) in the same run. Target ≥ 0.5×.
 * - Fan-out: one new entry (appended through the API) delivered to 10,000 followers spread over
 *   200 shared inboxes, served by two receiver processes that count signed POSTs. One operation
 *   is one entry, complete when all 200 inboxes have it (one delivery per shared inbox serves its
 *   50 followers). Next to it, raw RSA-2048 signing (node:crypto, key parsed once) of 200 messages
 *   in this process: the ratio is deliveries/s over signatures/s (target ≥ 0.5×). Followers
 *   reached/s and the node's RSS (current and peak) are printed beside the table.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FollowerStore } from '../../node/federation/followers.ts';
import { openLevelStore } from '../../node/storage/level.ts';
import { freePort } from '../../test-support/free-port.ts';
import type { BenchCase, BenchSuite } from './harness.ts';
import { freshNode } from './support/fresh-node.ts';

const CLI = fileURLToPath(new URL('../cli.ts', import.meta.url));
const PEER = fileURLToPath(new URL('./support/federation-peer.ts', import.meta.url));
const CLIENTS = 50;
const REQUESTS = 1000;
const FOLLOWERS = 10_000;
const INBOXES = 200;
const RECEIVERS = 2;
const OUTBOX_ENTRIES = 45;

/** Spawns `args` with Node and resolves with the first JSON line it prints. */
async function spawnPeer(
  args: string[],
  env: Record<string, string> = {},
  ready: (line: string) => boolean = (line) => line.startsWith('{'),
): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const found = out.split('\n').find(ready);
      if (found !== undefined) resolve(found);
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}): ${out}`)));
  });
  child.removeAllListeners('exit');
  return { child, line };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** `cagnotte start` on `dataDir`, allowed to deliver to loopback (the receivers). */
async function startNode(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const { child } = await spawnPeer(
    [CLI, 'start', '--data', dataDir, '--port', String(port), '--host', '127.0.0.1'],
    {
      CAGNOTTE_LOG_LEVEL: 'warn',
      CAGNOTTE_ALLOW_PRIVATE_ADDRESS: '1',
      CAGNOTTE_ORIGIN: `http://127.0.0.1:${port}`,
    },
    (line) => line.includes('Cagnotte node listening'),
  );
  return { child, url: `http://127.0.0.1:${port}` };
}

/** One HTTP request; resolves with the status and body. */
function call(
  agent: Agent,
  url: string,
  options: { method?: string; headers?: Record<string, string | number>; body?: Buffer } = {},
): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { agent, method: options.method ?? 'GET', headers: options.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** `REQUESTS` GETs of `url` from `CLIENTS` concurrent keep-alive clients, each answered 200. */
function getLoad(agent: Agent, url: string, headers: Record<string, string>): () => Promise<void> {
  return async () => {
    let left = REQUESTS;
    const client = async () => {
      while (left > 0) {
        left--;
        const { status } = await call(agent, url, { headers });
        if (status !== 200) throw new Error(`${url} answered ${status}`);
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, client));
  };
}

let i = 0;
async function appendUpdate(agent: Agent, url: string, token: string): Promise<void> {
  const body = Buffer.from(JSON.stringify({ title: `Week ${i}`, body: `We fixed ${i++ % 17} toasters.` }));
  const { status } = await call(agent, `${url}/api/actors/bench/updates`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'content-length': body.length,
      authorization: `Bearer ${token}`,
    },
    body,
  });
  if (status !== 201) throw new Error(`append answered ${status}`);
}

/** Resident and peak resident memory of a process, in MB (Linux /proc). */
function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

/** What the fan-out measured beyond rates (printed beside the table). */
interface FanOutFacts {
  entries: number;
  deliveries: number;
  signed: number;
  /** Every entry's time from the append to the last of its deliveries, ms. */
  timesMs: number[];
  rssBeforeMb: number;
  rssAfterMb: number;
  peakMb: number;
}

let cleanup: (() => Promise<void>) | undefined;
let facts: FanOutFacts | undefined;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** The lines printed after the table. */
export function formatFacts(f: FanOutFacts): string {
  const ms = median(f.timesMs);
  const perInbox = FOLLOWERS / INBOXES;
  return [
    `fan-out: ${f.entries} entries to ${FOLLOWERS.toLocaleString('en-US')} followers over ${INBOXES} shared inboxes (${RECEIVERS} receiver processes):`,
    `  time to deliver one entry to all: median ${ms.toFixed(0)} ms (min ${Math.min(...f.timesMs).toFixed(0)}, max ${Math.max(...f.timesMs).toFixed(0)})`,
    `  ${(INBOXES / (ms / 1000)).toFixed(0)} deliveries/s, ${((INBOXES * perInbox) / (ms / 1000)).toLocaleString('en-US', { maximumFractionDigits: 0 })} followers reached/s (one delivery per shared inbox serves ${perInbox})`,
    `  ${f.deliveries.toLocaleString('en-US')} POSTs received, ${f.signed.toLocaleString('en-US')} HTTP-signed; none lost or doubled: ${f.deliveries === f.entries * INBOXES ? 'yes' : 'NO'}`,
    `  node RSS: ${f.rssBeforeMb.toFixed(0)} MB before the first entry, ${f.rssAfterMb.toFixed(0)} MB after the last, peak ${f.peakMb.toFixed(0)} MB`,
  ].join('\n');
}

/** The harness suite. */
export const suite: BenchSuite = {
  description:
    'outbox pages/s against a bare Fastify route (target ≥ 0.5×); one entry to 10,000 followers over 200 shared inboxes against raw RSA-2048 signing (target ≥ 0.5×)',
  async setup(): Promise<BenchCase[]> {
    const progress = (message: string) => {
      if (process.stderr.isTTY) process.stderr.write(`\r\x1b[Kfederation: ${message}`);
    };
    const children: ChildProcess[] = [];
    const dirs: string[] = [];
    const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
    cleanup = async () => {
      agent.destroy();
      for (const child of children) await stop(child);
      for (const dir of dirs) await rm(dir, { recursive: true, force: true });
    };

    progress('starting the receivers and the bare route');
    const receivers: string[] = [];
    for (let r = 0; r < RECEIVERS; r++) {
      const peer = await spawnPeer([PEER, 'inboxes', String(INBOXES / RECEIVERS)]);
      children.push(peer.child);
      receivers.push(`http://127.0.0.1:${(JSON.parse(peer.line) as { port: number }).port}`);
    }
    const bare = await spawnPeer([PEER, 'bare']);
    children.push(bare.child);
    const bareUrl = `http://127.0.0.1:${(JSON.parse(bare.line) as { port: number }).port}/bare`;

    // The outbox node: no followers, a few pages of entries.
    progress('preparing the outbox node');
    const outboxNode = await freshNode('cagnotte-bench-fed-');
    dirs.push(outboxNode.dir);
    const outbox = await startNode(outboxNode.dir);
    children.push(outbox.child);
    for (let k = 0; k < OUTBOX_ENTRIES; k++) await appendUpdate(agent, outbox.url, outboxNode.token);
    const pageUrl = `${outbox.url}/actors/bench/outbox?cursor=${OUTBOX_ENTRIES}`;
    const page = JSON.parse(
      (await call(agent, pageUrl, { headers: { accept: 'application/activity+json' } })).body.toString(),
    ) as {
      orderedItems: unknown[];
    };
    if (page.orderedItems.length !== 20)
      throw new Error(`the outbox page holds ${page.orderedItems.length} items`);

    // The fan-out node: followers written offline, 50 per shared inbox, before it starts.
    progress(`writing ${FOLLOWERS} followers`);
    const fanNode = await freshNode('cagnotte-bench-fed-');
    dirs.push(fanNode.dir);
    const store = await openLevelStore(join(fanNode.dir, 'db'));
    try {
      const followers = new FollowerStore(store);
      for (let start = 0; start < FOLLOWERS; start += 500) {
        await Promise.all(
          Array.from({ length: 500 }, (_, k) => {
            const n = start + k;
            const inbox = n % INBOXES;
            const receiver = receivers[inbox % RECEIVERS] as string;
            return followers.add('bench', {
              id: `${receiver}/users/u${n}`,
              inbox: `${receiver}/users/u${n}/inbox`,
              sharedInbox: `${receiver}/inbox/${Math.floor(inbox / RECEIVERS)}`,
              follow: `${receiver}/users/u${n}#follow`,
              since: new Date(0).toISOString(),
            });
          }),
        );
      }
    } finally {
      await store.close();
    }
    const fan = await startNode(fanNode.dir);
    children.push(fan.child);
    const pid = fan.child.pid as number;
    const received = async () => {
      let posts = 0;
      let signed = 0;
      for (const receiver of receivers) {
        const count = JSON.parse((await call(agent, `${receiver}/count`)).body.toString()) as {
          posts: number;
          signed: number;
        };
        posts += count.posts;
        signed += count.signed;
      }
      return { posts, signed };
    };
    const current: FanOutFacts = {
      entries: 0,
      deliveries: 0,
      signed: 0,
      timesMs: [],
      rssBeforeMb: memoryOf(pid).rssMb,
      rssAfterMb: Number.NaN,
      peakMb: Number.NaN,
    };
    facts = current;
    const fanOut = async () => {
      const started = performance.now();
      const expected = (current.entries + 1) * INBOXES;
      await appendUpdate(agent, fan.url, fanNode.token);
      let got = await received();
      while (got.posts < expected) {
        await new Promise((resolve) => setTimeout(resolve, 2));
        got = await received();
      }
      current.timesMs.push(performance.now() - started);
      current.entries++;
      current.deliveries = got.posts;
      current.signed = got.signed;
      const memory = memoryOf(pid);
      current.rssAfterMb = memory.rssMb;
      current.peakMb = memory.peakMb;
    };

    // Raw RSA-2048 PKCS#1 v1.5 SHA-256 signatures of a Cavage signing string, the key parsed once.
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const key = createPrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const signingString = Buffer.from(
      `(request-target): post /inbox/0\nhost: 127.0.0.1\ndate: ${new Date().toUTCString()}\ndigest: SHA-256=${'A'.repeat(44)}`,
    );
    const rawSign = () => {
      for (let k = 0; k < INBOXES; k++) sign('sha256', signingString, key);
    };
    progress('measuring');
    return [
      {
        id: 'bare',
        label: 'bare Fastify route, 50 clients',
        op: getLoad(agent, bareUrl, {}),
        unit: 'request',
        perOp: REQUESTS,
      },
      {
        id: 'outbox',
        label: 'outbox page (20 entries), 50 clients',
        op: getLoad(agent, pageUrl, { accept: 'application/activity+json' }),
        baseline: 'bare',
        target: 0.5,
        unit: 'request',
        perOp: REQUESTS,
      },
      {
        id: 'rsa',
        label: 'raw RSA-2048 signing (node:crypto)',
        op: rawSign,
        unit: 'signature',
        perOp: INBOXES,
      },
      {
        id: 'fan-out',
        label: `one entry to ${FOLLOWERS} followers, ${INBOXES} inboxes`,
        op: fanOut,
        baseline: 'rsa',
        target: 0.5,
        unit: 'delivery',
        perOp: INBOXES,
      },
    ];
  },
  async teardown() {
    await cleanup?.();
    if (facts !== undefined && facts.entries > 0) console.log(`${formatFacts(facts)}\n`);
  },
};

/** One pass of each measurement, printed (without the harness). */
export async function run(): Promise<void> {
  const { runCases, formatTable } = await import('./harness.ts');
  const cases = await suite.setup();
  try {
    console.log(formatTable(await runCases(cases, { duration: 3, warmup: 1, rounds: 1 })));
  } finally {
    await suite.teardown?.();
  }
}

if (import.meta.main) await run();
