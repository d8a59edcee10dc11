// The host flows between three nodes each in its own process (`cagnotte start`), driven through
// their HTTP APIs only: a host and two collectives. The host publishes its terms; it rejects the
// tenants' union, which applies again and is accepted, and accepts the repair café. An expense
// filed and approved goes to the host by itself and comes back refused (no money yet) with the
// host's signed refusal; supporters pledge, the host confirms the money, the expense sent again is
// countersigned and paid. The host process is stopped while the other collective approves an
// expense ("awaiting host"), started again on the same data and port, and countersigns it; an
// Accept in the host's name without its HTTP signature is refused. Each
// log's checkpoint is cosigned. Then an auditor (`cagnotte verify --json`, its own process) reads
// each collective over HTTP, with the host's ledger its `HostJoined` declares, and both verify and
// reconcile; the host's ledger is audited on its own too.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { verifyChain } from '../../protocol/chain.ts';
import type { HostSigned, SignedEntry } from '../../protocol/entry/types.ts';
import { checkHostLink } from '../../protocol/host/links.ts';
import { freePort } from '../../test-support/free-port.ts';
import { TERMS } from './fixtures.test-helper.ts';
import { until } from './transport.test-helper.ts';

const CLI = fileURLToPath(new URL('../../scripts/cli.ts', import.meta.url));
const HOST = 'brussels-together';
const REPAIR = 'repair-cafe';
const TENANTS = 'tenants-union';

const ENV = {
  PATH: process.env.PATH,
  // The test run's compile cache (test-support/compile-cache.ts): each process loads the whole node.
  NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE,
  CAGNOTTE_ALLOW_PRIVATE_ADDRESS: '1',
  CAGNOTTE_LOG_LEVEL: 'warn',
};

interface Running {
  name: string;
  origin: string;
  id: string;
  token: string;
  cwd: string;
  port: number;
  child: ChildProcess;
  /** Everything the process wrote, every run. */
  output: string[];
}

/** Starts (or starts again) the node in `n.cwd` on `n.port`; resolves once it listens. */
function start(n: Running): Promise<void> {
  const child = spawn(
    process.execPath,
    [CLI, 'start', '--data', 'node', '--port', String(n.port), '--host', '127.0.0.1'],
    { cwd: n.cwd, env: { ...ENV, CAGNOTTE_ORIGIN: n.origin }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  n.child = child;
  const mark = n.output.length;
  return new Promise<void>((resolve, reject) => {
    const take = (chunk: Buffer) => {
      n.output.push(chunk.toString('utf8'));
      if (n.output.slice(mark).join('').includes('Cagnotte node listening')) resolve();
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    child.once('exit', (code) => reject(new Error(`${n.name} exited (${code}): ${n.output.join('')}`)));
  });
}

/** SIGTERM, and the process gone. */
async function stop(n: Running): Promise<void> {
  n.child.removeAllListeners('exit');
  if (n.child === undefined || n.child.exitCode !== null || n.child.signalCode !== null) return;
  const exited = new Promise((resolve) => n.child.once('exit', resolve));
  n.child.kill('SIGTERM');
  await exited;
}

async function node(t: { teardown(fn: () => unknown): void }, name: string, host: boolean): Promise<Running> {
  const cwd = mkdtempSync(join(tmpdir(), 'cagnotte-proc-'));
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const init = spawnSync(
    process.execPath,
    [CLI, 'init', '--data', 'node', '--name', name, '--origin', origin, ...(host ? ['--host'] : [])],
    { cwd, encoding: 'utf8' },
  );
  if (init.status !== 0) throw new Error(init.stderr);
  const token = /API token: (\S+)/.exec(init.stdout)?.[1] ?? '';
  const running: Running = {
    name,
    origin,
    id: `${origin}/actors/${name}`,
    token,
    cwd,
    port,
    child: undefined as unknown as ChildProcess,
    output: [],
  };
  t.teardown(async () => {
    // The child that runs last: a restart replaces it.
    await stop(running);
    rmSync(cwd, { recursive: true, force: true });
  });
  await start(running);
  return running;
}

// biome-ignore lint/suspicious/noExplicitAny: API answers are read field by field and matched.
type Json = any;

async function api(
  n: Running,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Json }> {
  const response = await fetch(`${n.origin}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${n.token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: await response.json() };
}

/** Runs `cagnotte verify <url> --json` as a user would; its exit code and its report. */
function verify(url: string): Promise<{ code: number | null; report: Json; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'verify', url, '--json', '--no-state', '--workers', '0'], {
      env: ENV,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      try {
        resolve({ code, report: JSON.parse(stdout), stderr });
      } catch {
        reject(new Error(`verify ${url} (${code}): ${stdout}${stderr}`));
      }
    });
  });
}

async function fileAndApprove(n: Running, amount: string, title: string): Promise<string> {
  const filed = await fetch(`${n.origin}/api/actors/${n.name}/expenses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      title,
      type: 'receipt',
      payee: 'Bob',
      items: [{ description: title, amount, date: '2026-11-20' }],
      payout: 'BE71096123456769',
    }),
  });
  const expense = ((await filed.json()) as { expense: { leafHash: string } }).expense.leafHash;
  const approved = await api(n, 'POST', `/api/actors/${n.name}/expenses/${expense}/approve`, {});
  if (approved.status !== 201) throw new Error(`approve: ${JSON.stringify(approved.json)}`);
  return expense;
}

const inState = (n: Running, state: string, count: number) =>
  until(`${count} ${state} at ${n.name}`, async () => {
    const s = await api(n, 'GET', `/api/actors/${n.name}/expenses?state=${state}`);
    return s.json.items?.length === count ? true : undefined;
  });

t.test(
  'a host and two collectives in three processes: the whole story, verified and reconciled',
  async (t) => {
    const [host, repair, tenants] = await Promise.all([
      node(t, HOST, true),
      node(t, REPAIR, false),
      node(t, TENANTS, false),
    ]);
    const pendingAt = (count: number) =>
      until(`${count} application(s) pending`, async () => {
        const list = await api(host, 'GET', `/api/hosts/${HOST}/applications?status=pending`);
        return list.json.items?.length === count
          ? (list.json.items as { id: string; collective: string }[])
          : undefined;
      });
    const decide = (id: string, decision: 'accepted' | 'rejected', reason?: string) =>
      api(host, 'POST', `/api/hosts/${HOST}/applications/${id}/decision`, {
        decision,
        ...(reason === undefined ? {} : { reason }),
      });
    const joinedHost = (n: Running) =>
      until(`HostJoined at ${n.name}`, async () => {
        const s = await api(n, 'GET', `/api/actors/${n.name}/host`);
        return s.json.host === undefined ? undefined : s.json;
      });

    t.equal((await api(host, 'PUT', `/api/hosts/${HOST}/terms`, TERMS)).status, 200, 'terms set');
    for (const n of [repair, tenants]) {
      const applied = await api(n, 'POST', `/api/actors/${n.name}/host/apply`, { host: host.id });
      t.match(applied.json, { host: host.id, application: { type: 'HostApplication', collective: n.id } });
    }
    const both = await pendingAt(2);
    const byCollective = new Map(both.map((a) => [a.collective, a.id]));

    // Rejected: the tenants' union sees the host's signed refusal and has no host.
    const rejected = await decide(byCollective.get(tenants.id) ?? '', 'rejected', 'Not in Brussels yet.');
    t.match(rejected.json, { type: 'HostMembership', decision: 'rejected', collective: tenants.id });
    const refusal = await until('the rejection at the tenants', async () => {
      const s = await api(tenants, 'GET', `/api/actors/${TENANTS}/host`);
      return s.json.application?.rejected;
    });
    t.match(refusal, { decision: 'rejected', host: host.id });
    t.equal((await api(tenants, 'GET', `/api/actors/${TENANTS}/host`)).json.host, undefined, 'no host');
    t.match((await decide(byCollective.get(repair.id) ?? '', 'accepted')).json, { decision: 'accepted' });
    t.equal((await joinedHost(repair)).host.id, host.id);

    // Applying again after a rejection signs a new application; this one is accepted.
    const again = await api(tenants, 'POST', `/api/actors/${TENANTS}/host/apply`, { host: host.id });
    t.equal(again.status, 200);
    const [second] = await pendingAt(1);
    t.not(second?.id, byCollective.get(tenants.id), 'a new application');
    t.equal(second?.collective, tenants.id);
    await decide(second?.id ?? '', 'accepted');
    t.equal((await joinedHost(tenants)).host.id, host.id);

    // An expense approved before any money comes back refused, with the host's signed refusal.
    const solder = await fileAndApprove(repair, '50.00', 'Solder');
    const answer = await until('the host answer', async () => {
      const s = await api(repair, 'GET', `/api/actors/${REPAIR}/expenses/${solder}/host`);
      return s.json.refusal === undefined ? undefined : s.json;
    });
    t.match(answer, {
      awaiting: false,
      refusal: { code: 'insufficientBalance', host: host.id, expense: solder },
    });

    // Money in for both: supporters pledge at the host, the host admin confirms, receipts travel.
    for (const [n, amount, balance] of [
      [repair, '120.00', '114.00'],
      [tenants, '80.00', '76.00'],
    ] as const) {
      const pledge = await api(host, 'POST', `/api/hosts/${HOST}/pledges`, {
        collective: n.id,
        amount,
        name: 'Alice',
      });
      t.match(pledge.json, {
        reference: /^\+\+\+\d{3}\/\d{4}\/\d{5}\+\+\+$/,
        bankAccount: TERMS.bankAccount,
      });
      const confirmed = await api(host, 'POST', `/api/hosts/${HOST}/pledges/confirm`, {
        reference: pledge.json.reference,
        amount,
      });
      t.match(confirmed.json, { receipt: { type: 'Receipt' } });
      await until(`the contribution at ${n.name}`, async () => {
        const b = await api(n, 'GET', `/api/actors/${n.name}/balance`);
        return b.json.balance === balance ? true : undefined;
      });
    }

    // The same expense sent again (now covered) is countersigned; the host admin pays it.
    await api(repair, 'POST', `/api/actors/${REPAIR}/expenses/${solder}/host`, {});
    await inState(repair, 'countersigned', 1);
    const pay = (n: Running, expense: string, payoutReference: string) =>
      api(host, 'POST', `/api/hosts/${HOST}/payouts`, { collective: n.id, expense, payoutReference });
    t.match((await pay(repair, solder, 'KBC-2026-0117')).json, { state: 'paid', payout: { type: 'Payout' } });
    await inState(repair, 'paid', 1);

    // Host down: the tenants approve an expense, which waits; the host comes back and countersigns it.
    await stop(host);
    const flyers = await fileAndApprove(tenants, '30.00', 'Flyers');
    // The approval sends the request by itself, a moment after it is recorded.
    const waiting = await until('awaiting host', async () => {
      const status = await api(tenants, 'GET', `/api/actors/${TENANTS}/expenses/${flyers}/host`);
      return status.json.awaiting === true ? status.json : undefined;
    });
    t.same(waiting, { awaiting: true }, 'awaiting host, no answer');
    await start(host);
    await inState(tenants, 'countersigned', 1);
    t.match((await api(tenants, 'GET', `/api/actors/${TENANTS}/expenses/${flyers}/host`)).json, {
      awaiting: false,
    });
    t.match((await pay(tenants, flyers, 'KBC-2026-0118')).json, { state: 'paid' });
    await inState(tenants, 'paid', 1);

    // A countersignature in the host's name that the host's node did not send: an Accept posted to
    // the collective's inbox without the host's HTTP signature is refused and records nothing.
    const before = (await api(repair, 'GET', `/api/actors/${REPAIR}/balance`)).json.size;
    const forged = await fetch(`${repair.id}/inbox`, {
      method: 'POST',
      headers: { 'content-type': 'application/activity+json' },
      body: JSON.stringify({
        '@context': 'https://www.w3.org/ns/activitystreams',
        id: `${host.id}#forged`,
        type: 'Accept',
        actor: host.id,
        to: repair.id,
        object: { type: 'ExpenseCountersignature', host: host.id, collective: repair.id, expense: solder },
      }),
    });
    t.equal(forged.status, 401, 'an unsigned activity in the host name is refused');
    t.equal(
      (await api(repair, 'GET', `/api/actors/${REPAIR}/balance`)).json.size,
      before,
      'nothing recorded',
    );

    // Witness: each collective's whole log cosigned by the host.
    await Promise.all(
      [repair, tenants].map(async (n) => {
        t.equal((await api(n, 'POST', `/api/actors/${n.name}/host/cosign`, {})).status, 200);
        const size = (await api(n, 'GET', `/api/actors/${n.name}/balance`)).json.size as number;
        const cosigned = await until(`the cosignature of ${n.name}'s whole log`, async () => {
          const s = await api(n, 'GET', `/api/actors/${n.name}/host`);
          return s.json.cosigned?.size === size ? s.json.cosigned : undefined;
        });
        t.match(
          cosigned.cosigned,
          /— 127\.0\.0\.1:\d+\/actors\/brussels-together /,
          'the host cosignature line',
        );
        const served = await fetch(`${n.origin}/api/actors/${n.name}/checkpoint/cosigned`);
        t.equal(await served.text(), cosigned.cosigned, 'served to anyone');
      }),
    );

    // The auditor, as a user runs it: each collective over HTTP, reconciled with the host's ledger
    // it declares; the host's ledger on its own.
    const [r, u, h] = await Promise.all([verify(repair.id), verify(tenants.id), verify(host.id)]);
    for (const [who, run] of [
      [REPAIR, r],
      [TENANTS, u],
      [HOST, h],
    ] as const)
      t.equal(
        run.code,
        0,
        `${who}: cagnotte verify exits 0 ${run.code === 0 ? '' : JSON.stringify(run.report)}`,
      );
    // 120 − 6 − 50 and 80 − 4 − 30 on the collectives; the host holds 120 + 80 − 50 − 30.
    t.match(r.report, {
      verified: true,
      actor: repair.id,
      summary: { balance: '64.00', host: host.id, pendingExpenses: 0 },
      host: {
        actor: host.id,
        verified: true,
        summary: { balance: '120.00' },
        reconciliation: { matched: 2, inFlight: [] },
      },
    });
    t.match(u.report, {
      verified: true,
      actor: tenants.id,
      summary: { balance: '46.00', host: host.id, pendingExpenses: 0 },
      host: {
        actor: host.id,
        verified: true,
        summary: { balance: '120.00' },
        reconciliation: { matched: 2, inFlight: [] },
      },
    });
    t.match(h.report, { verified: true, actor: host.id, summary: { balance: '120.00' } });
    for (const { report } of [r, u, h]) {
      // Present only when the signed checkpoint's root is the one the entries make.
      t.equal(
        report.checkpoint?.size,
        report.summary.entries,
        `${report.actor}: the checkpoint covers every entry`,
      );
      t.equal(report.host?.checkpoint?.size ?? h.report.summary.entries, h.report.summary.entries);
    }
    t.equal(h.report.host, undefined, 'a host has no host to reconcile with');

    // The same by hand from the entries: the receipts and payouts name the host entry of each movement.
    const read = async (n: Running) =>
      (await api(n, 'GET', `/api/actors/${n.name}/entries?order=oldest&limit=500`)).json.items as {
        entry: SignedEntry;
        leafHash: string;
      }[];
    const theirs = await read(host);
    t.ok(
      verifyChain(
        theirs.map((x) => x.entry),
        { actor: host.id },
      ).ok,
      'the host ledger verifies',
    );
    const byHash = new Map(theirs.map((x) => [x.leafHash, x.entry]));
    for (const n of [repair, tenants]) {
      const signed = (await read(n)).flatMap(({ entry }): (HostSigned | undefined)[] =>
        entry.kind === 'Contribution'
          ? [(entry as SignedEntry<'Contribution'>).receipt]
          : entry.kind === 'ExpensePaid'
            ? [(entry as SignedEntry<'ExpensePaid'>).payout]
            : [],
      );
      t.equal(signed.length, 2);
      for (const object of signed)
        t.equal(
          object === undefined ? 'missing' : checkHostLink(object, byHash.get(object.hostEntry ?? '')),
          undefined,
          `${n.name}: ${object?.type} reconciles`,
        );
    }
    for (const n of [host, repair, tenants])
      t.notOk(n.output.join('').includes('"level":50'), `no error logged by ${n.name}`);
  },
);
