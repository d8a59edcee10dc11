// A real node on loopback (LevelDB in a temp dir, the full app with federation) behind a tiny
// reverse proxy that can tamper with what it forwards: the node's public origin is the proxy's,
// as behind any reverse proxy, so a man in the middle is the only thing that changes between a
// good and a tampered audit. The CLI's verdict is taken through the proxy too.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../node/config.ts';
import { approve, contribution, expense, pay, update } from '../../node/ledger/fixtures.test-helper.ts';
import { TEST_SCRYPT } from '../../node/routes/test-helpers.ts';
import { appFor, type NodeServices, openNode } from '../../node/server.ts';
import type { VerifyReport } from '../../scripts/verify/run.ts';
import { runVerify } from '../../scripts/verify.ts';

/** What the proxy does to outbox pages: nothing, or a text replacement. */
export interface Tamper {
  from: string;
  to: string;
}

export interface LoopbackNode {
  /** The node's public origin (the proxy). */
  origin: string;
  /** The node itself, not through the proxy: another origin for the same node. */
  directOrigin: string;
  services: NodeServices;
  app: FastifyInstance;
  /** Set to tamper with outbox pages as they pass the proxy; undefined to pass them through. */
  tamper: Tamper | undefined;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** Starts a node whose actor `garden` has money in and out and 41 updates (46 entries), or `updates`. */
export async function startLoopbackNode(updates = 41): Promise<LoopbackNode> {
  const dir = await mkdtemp(join(tmpdir(), 'cagnotte-audit-page-'));
  let nodePort = 0;
  const state: { tamper: Tamper | undefined } = { tamper: undefined };
  const proxy = createServer((incoming, outgoing) => {
    const forward = request(
      {
        host: '127.0.0.1',
        port: nodePort,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (answer) => {
        const tamper = state.tamper;
        const isPage = /\/outbox\?cursor=/.test(incoming.url ?? '') && answer.statusCode === 200;
        if (tamper === undefined || !isPage) {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          const body = Buffer.from(Buffer.concat(chunks).toString('utf8').replaceAll(tamper.from, tamper.to));
          const headers = { ...answer.headers, 'content-length': String(body.length) };
          outgoing.writeHead(answer.statusCode ?? 502, headers);
          outgoing.end(body);
        });
      },
    );
    forward.on('error', () => outgoing.writeHead(502).end());
    incoming.pipe(forward);
  });
  const proxyPort = await listen(proxy);
  const origin = `http://127.0.0.1:${proxyPort}`;
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir: join(dir, 'data'),
      port: 0,
      host: '127.0.0.1',
      origin,
      logLevel: 'silent',
      allowPrivateAddress: true,
    },
  });
  const services = await openNode(config, { auth: { scrypt: TEST_SCRYPT } });
  const app = await appFor(services, false);
  await app.listen({ port: 0, host: '127.0.0.1' });
  nodePort = (app.server.address() as AddressInfo).port;

  const { ledger } = await services.actors.create({ name: 'garden', host: false, currency: 'EUR' });
  await ledger.append(contribution('80.00'));
  const filed = await ledger.append(expense('30.00', 'account:bob', 'Seeds'));
  await ledger.append(approve(filed.leafHash, 'account:alice'));
  await ledger.append(pay(filed.leafHash, '30.00'));
  for (let i = 0; i < updates; i += 64) {
    // Appended together, committed together: a few thousand entries in seconds.
    const count = Math.min(64, updates - i);
    await Promise.all(Array.from({ length: count }, (_, j) => ledger.append(update(i + j))));
  }

  return {
    origin,
    directOrigin: `http://127.0.0.1:${nodePort}`,
    services,
    app,
    get tamper() {
      return state.tamper;
    },
    set tamper(value: Tamper | undefined) {
      state.tamper = value;
    },
    async close() {
      const closed = new Promise<void>((resolve) => proxy.close(() => resolve()));
      proxy.closeAllConnections();
      await closed;
      await app.close();
      await services.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** `cagnotte verify URL --json --no-state`, in process (one signature worker). */
export function cliVerdict(actorUrl: string): Promise<VerifyReport> {
  return runVerify({ source: actorUrl, json: true, allowPrivateAddress: true, workers: 1 });
}

/**
 * The parts of a report that make the verdict (timings, the source label and what checked the
 * signatures aside), the summary included: on a failure both count the entries accepted before it.
 */
export function verdictOf(report: {
  verified: boolean;
  exitCode: number;
  actor?: string;
  summary?: unknown;
  checkpoint?: unknown;
  failure?: unknown;
  warnings: string[];
}) {
  return {
    verified: report.verified,
    exitCode: report.exitCode,
    actor: report.actor,
    summary: report.summary,
    checkpoint: report.checkpoint,
    failure: report.failure,
    warnings: report.warnings,
  };
}
