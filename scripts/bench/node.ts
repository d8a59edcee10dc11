/**
 * The node suite (`npm run bench -- node`, or `npx node scripts/bench/node.ts` for one pass):
 *
 * - appends/s in process (`LedgerService`, 1,000 concurrent appends per operation, each batch
 *   fsynced) and over HTTP (1,000 appends per operation from 50 concurrent keep-alive clients with
 *   an API token, against `cagnotte start` in its own process), each next to the raw signing
 *   pipeline (protocol `buildEntry`, node:crypto) on the same entries in the same run. Targets:
 *   in process ≥ 0.7×, over HTTP ≥ 0.4×. The node signs with libsodium where it loads (about
 *   twice OpenSSL's speed, node/crypto/sodium.ts), so the ratio to the same pipeline on
 *   libsodium is shown too.
 * - a node holding 1,000,000 entries: time from `cagnotte start` to listening, and its RSS once it
 *   has served a few reads (targets: start ≤ 2 s, RSS ≤ 200 MB). The database is built once,
 *   offline through the ledger service, into `.bench/` at the repository root, and reused until
 *   the ledger's index version changes (about six minutes on two cores).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createActor } from '../../node/actors/actors.ts';
import { readActorKeys } from '../../node/actors/keys.ts';
import { nativeBackend, opensslBackend, sodiumBackend } from '../../node/crypto/native.ts';
import { INDEX_VERSION } from '../../node/ledger/layout.ts';
import { LedgerService } from '../../node/ledger/service.ts';
import { openLevelStore } from '../../node/storage/level.ts';
import { type CryptoBackend, keyPairFromSeed } from '../../protocol/crypto.ts';
import { buildEntry, buildGenesis, type ChainHead } from '../../protocol/entry/build.ts';
import type { EntryBody } from '../../protocol/entry/types.ts';
import { encodeMultikey } from '../../protocol/multikey.ts';
import { freePort } from '../../test-support/free-port.ts';
import type { BenchSuite } from './harness.ts';
import { freshNode } from './support/fresh-node.ts';

const CLI = fileURLToPath(new URL('../cli.ts', import.meta.url));
const CACHE = fileURLToPath(new URL('../../.bench/', import.meta.url));
const BATCH = 1000;
const CLIENTS = 50;
const BIG = 1_000_000;
const ORIGIN = 'http://127.0.0.1:8080';
const BY = 'account:bench-admin';

/** What the node appends most: contributions and updates, alternating (no state needed). */
function bodyFor(i: number): EntryBody {
  return i % 2 === 0
    ? ({
        kind: 'Contribution',
        amount: '25.00',
        currency: 'EUR',
        contributor: `Supporter ${i}`,
        message: 'For the repair café',
      } as EntryBody)
    : ({ kind: 'Update', title: `Week ${i}`, body: `We fixed ${i % 17} toasters this week.` } as EntryBody);
}

/**
 * The raw pipeline: build, check, canonicalize, hash and sign `BATCH` chained entries, with
 * `backend` (node:crypto for the baseline the targets were set against; the node itself signs
 * with nativeBackend, libsodium where it loads).
 */
function pipeline(backend: CryptoBackend): () => void {
  const secretKey = new Uint8Array(32).fill(1);
  const checkpoint = keyPairFromSeed(new Uint8Array(32).fill(2), backend);
  let time = Date.UTC(2026, 0, 1);
  const sign = () => {
    time += 1000;
    return { time: new Date(time), secretKey, backend };
  };
  let head: ChainHead = buildGenesis(
    {
      actor: `${ORIGIN}/actors/pipeline`,
      actorType: 'Group',
      name: 'pipeline',
      currency: 'EUR',
      checkpointKey: encodeMultikey(checkpoint.publicKey),
      origin: '127.0.0.1:8080/actors/pipeline',
    },
    sign(),
  ).head;
  let i = 0;
  return () => {
    for (let k = 0; k < BATCH; k++) head = buildEntry(head, { ...bodyFor(i++), by: BY }, sign()).head;
  };
}

/** `cagnotte start` as a user runs it; resolves once it listens, with the time that took. */
async function startNode(dataDir: string): Promise<{ child: ChildProcess; url: string; startMs: number }> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [CLI, 'start', '--data', dataDir, '--port', String(port), '--host', '127.0.0.1'],
    { env: { PATH: process.env.PATH, CAGNOTTE_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Cagnotte node listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the node exited (${code}): ${out}`)));
  });
  return { child, url: `http://127.0.0.1:${port}`, startMs: performance.now() - started };
}

async function stopNode(child: ChildProcess): Promise<void> {
  child.removeAllListeners('exit');
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** Resident and peak resident memory of a process, in MB (Linux /proc). */
function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

/** `BATCH` appends over HTTP from `CLIENTS` concurrent keep-alive clients. */
function httpAppender(url: string, token: string): { op: () => Promise<void>; close(): void } {
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const target = new URL(url);
  let i = 0;
  const post = (body: EntryBody) =>
    new Promise<void>((resolve, reject) => {
      const { kind, currency: _currency, ...fields } = body as EntryBody & { currency?: string };
      const payload = Buffer.from(JSON.stringify(fields));
      const req = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          method: 'POST',
          path: `/api/actors/bench/${kind === 'Contribution' ? 'contributions' : 'updates'}`,
          headers: {
            'content-type': 'application/json',
            'content-length': payload.length,
            authorization: `Bearer ${token}`,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 201 ? resolve() : reject(new Error(`append answered ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  return {
    async op() {
      let left = BATCH;
      const client = async () => {
        while (left > 0) {
          left--;
          await post(bodyFor(i++));
        }
      };
      await Promise.all(Array.from({ length: CLIENTS }, client));
    },
    close: () => agent.destroy(),
  };
}

/**
 * The 1,000,000-entry node, built once: the actor through the node's own code, then the entries
 * through `LedgerService` in batches of 10,000 without fsync (a database that can be rebuilt), the
 * same contributions and updates as the rate cases.
 */
async function bigNode(progress: (message: string) => void): Promise<string> {
  // Named by index version: a database of another version would be rebuilt on open, and the
  // start measured would be that rebuild.
  const name = `node-${BIG}-index-v${INDEX_VERSION}`;
  const dir = join(CACHE, name);
  if (existsSync(join(dir, 'complete'))) return dir;
  await mkdir(CACHE, { recursive: true });
  for (const old of await readdir(CACHE)) {
    if (old.startsWith(`node-${BIG}`)) await rm(join(CACHE, old), { recursive: true, force: true });
  }
  const store = await openLevelStore(join(dir, 'db'));
  try {
    const created = await createActor({
      store,
      dataDir: dir,
      backend: nativeBackend,
      origin: 'http://localhost:8080',
      name: 'bench',
      type: 'Group',
    });
    await created.ledger.close();
    const keys = await readActorKeys(dir, 'bench', nativeBackend);
    if (keys === undefined) throw new Error('the bench actor has no keys');
    const ledger = await LedgerService.open({
      store,
      backend: nativeBackend,
      maxBatch: 10_000,
      sync: false,
      actor: {
        id: keys.id,
        name: keys.name,
        ledgerSecretKey: keys.ledger.secretKey,
        checkpointSecretKey: keys.checkpoint.secretKey,
      },
    });
    for (let size = ledger.head().size; size < BIG; size = ledger.head().size) {
      const n = Math.min(10_000, BIG - size);
      await Promise.all(Array.from({ length: n }, (_, k) => ledger.append(bodyFor(size + k), BY)));
      progress(`building the ${BIG.toLocaleString('en-US')}-entry node: ${ledger.head().size}`);
    }
    await ledger.close();
  } finally {
    await store.close();
  }
  await writeFile(join(dir, 'complete'), `${new Date().toISOString()}\n`);
  return dir;
}

/** What the big node measured (not rates: printed beside the table). */
export interface BigNodeFacts {
  entries: number;
  /** Each start, spawn to listening, ms. */
  startsMs: number[];
  rssMb: number;
  peakMb: number;
}

/** Starts the big node `runs` times; memory is read after the last start has served some reads. */
async function measureBigNode(dir: string, runs: number): Promise<BigNodeFacts> {
  const startsMs: number[] = [];
  let memory = { rssMb: Number.NaN, peakMb: Number.NaN };
  for (let run = 0; run < runs; run++) {
    const { child, url, startMs } = await startNode(dir);
    try {
      startsMs.push(startMs);
      if (run === runs - 1) {
        // Reads across the ledger: its head, the newest and the oldest pages, a proof, the outbox.
        const head = (await (await fetch(`${url}/api/actors/bench`)).json()) as { size: number };
        if (head.size !== BIG) throw new Error(`the big node holds ${head.size} entries`);
        for (const path of [
          '/api/actors/bench/entries?limit=500',
          '/api/actors/bench/entries?order=oldest&limit=500',
          `/api/actors/bench/proofs/inclusion?seq=${BIG / 2}`,
          '/api/actors/bench/balance',
          '/api/actors/bench/checkpoint',
        ]) {
          const response = await fetch(`${url}${path}`);
          if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
          await response.arrayBuffer();
        }
        const outbox = await fetch(`${url}/actors/bench/outbox?cursor=${BIG - 1}`, {
          headers: { accept: 'application/activity+json' },
        });
        await outbox.arrayBuffer();
        memory = memoryOf(child.pid as number);
      }
    } finally {
      await stopNode(child);
    }
  }
  return { entries: BIG, startsMs, ...memory };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** The big node's lines, with their targets. */
export function formatFacts(facts: BigNodeFacts): string {
  const start = median(facts.startsMs) / 1000;
  const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
  return [
    `node holding ${facts.entries.toLocaleString('en-US')} entries (cagnotte start, log level warn):`,
    `  start to listening: ${start.toFixed(2)} s (median of ${facts.startsMs.length}: ${facts.startsMs
      .map((ms) => (ms / 1000).toFixed(2))
      .join(', ')} s)  target ≤ 2 s ${verdict(start <= 2)}`,
    `  RSS after start and reads: ${facts.rssMb.toFixed(0)} MB (peak ${facts.peakMb.toFixed(0)} MB)  target ≤ 200 MB ${verdict(
      facts.rssMb <= 200,
    )}`,
  ].join('\n');
}

let cleanup: (() => Promise<void>) | undefined;
let facts: BigNodeFacts | undefined;

/** The harness suite. */
export const suite: BenchSuite = {
  description:
    'appends/s in process and over HTTP (50 clients) against the raw signing pipeline (targets ≥ 0.7× and ≥ 0.4×); start time and RSS with 1,000,000 entries',
  async setup() {
    const progress = (message: string) => {
      if (process.stderr.isTTY) process.stderr.write(`\r\x1b[Knode: ${message}`);
    };
    const big = await bigNode(progress);
    progress('starting the big node');
    facts = await measureBigNode(big, 3);

    const inProcess = await mkdtemp(join(tmpdir(), 'cagnotte-bench-ledger-'));
    const store = await openLevelStore(join(inProcess, 'db'));
    const { ledger } = await createActor({
      store,
      dataDir: inProcess,
      backend: nativeBackend,
      origin: 'http://localhost:8080',
      name: 'bench',
      type: 'Group',
    });
    let i = 0;
    const { dir, token } = await freshNode('cagnotte-bench-node-');
    const { child, url } = await startNode(dir);
    const http = httpAppender(url, token);
    cleanup = async () => {
      http.close();
      await stopNode(child);
      await ledger.close();
      await store.close();
      await rm(inProcess, { recursive: true, force: true });
      await rm(dir, { recursive: true, force: true });
    };
    const unit = 'entry';
    const perOp = BATCH;
    const alsoLibsodium = sodiumBackend === undefined ? {} : { alsoAgainst: ['pipeline-libsodium'] };
    return [
      {
        id: 'pipeline',
        label: 'raw signing pipeline (buildEntry, node:crypto)',
        op: pipeline(opensslBackend),
        unit,
        perOp,
      },
      ...(sodiumBackend === undefined
        ? []
        : [
            {
              id: 'pipeline-libsodium',
              label: 'raw signing pipeline (libsodium)',
              op: pipeline(sodiumBackend),
              unit,
              perOp,
            },
          ]),
      {
        id: 'in-process',
        label: `LedgerService, ${BATCH} concurrent appends`,
        op: () => Promise.all(Array.from({ length: BATCH }, () => ledger.append(bodyFor(i++), BY))),
        baseline: 'pipeline',
        target: 0.7,
        ...alsoLibsodium,
        unit,
        perOp,
      },
      {
        id: 'http',
        label: `HTTP, ${CLIENTS} clients with a token`,
        op: http.op,
        baseline: 'pipeline',
        target: 0.4,
        ...alsoLibsodium,
        unit,
        perOp,
      },
    ];
  },
  async teardown() {
    await cleanup?.();
    if (facts !== undefined) console.log(`${formatFacts(facts)}\n`);
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
