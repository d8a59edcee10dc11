// The host flows between two nodes each in its own process (`cagnotte start`), driven through their
// HTTP APIs only: the host publishes its terms, the collective applies, the host admin accepts;
// an expense filed and approved on the collective goes to the host by itself and comes back
// refused (no money yet) with the host's signed refusal; a supporter pledges, the host confirms
// the money, the expense sent again is countersigned and paid; the checkpoint is cosigned.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { verifyChain } from '../../protocol/chain.ts';
import type { HostSigned, SignedEntry } from '../../protocol/entry/types.ts';
import { checkHostLink } from '../../protocol/host/links.ts';
import { TERMS } from './fixtures.test-helper.ts';
import { until } from './transport.test-helper.ts';

const CLI = fileURLToPath(new URL('../../scripts/cli.ts', import.meta.url));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Running {
  origin: string;
  token: string;
  child: ChildProcess;
  output: string[];
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
  const child = spawn(
    process.execPath,
    [CLI, 'start', '--data', 'node', '--port', String(port), '--host', '127.0.0.1'],
    {
      cwd,
      env: {
        PATH: process.env.PATH,
        CAGNOTTE_ORIGIN: origin,
        CAGNOTTE_ALLOW_PRIVATE_ADDRESS: '1',
        CAGNOTTE_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  const listening = new Promise<void>((resolve, reject) => {
    const take = (chunk: Buffer) => {
      output.push(chunk.toString('utf8'));
      if (output.join('').includes('Cagnotte node listening')) resolve();
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    child.once('exit', (code) => reject(new Error(`the node exited (${code}): ${output.join('')}`)));
  });
  t.teardown(async () => {
    child.removeAllListeners('exit');
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(cwd, { recursive: true, force: true });
  });
  await listening;
  return { origin, token, child, output };
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

t.test('two node processes: apply, accept, refused, funded, countersigned, paid, cosigned', async (t) => {
  const [host, collective] = await Promise.all([
    node(t, 'brussels-together', true),
    node(t, 'repair-cafe', false),
  ]);
  const hostId = `${host.origin}/actors/brussels-together`;
  const collectiveId = `${collective.origin}/actors/repair-cafe`;

  t.equal((await api(host, 'PUT', '/api/hosts/brussels-together/terms', TERMS)).status, 200, 'terms set');
  const applied = await api(collective, 'POST', '/api/actors/repair-cafe/host/apply', { host: hostId });
  t.equal(applied.status, 200, 'the application is sent');
  t.match(applied.json, { host: hostId, application: { type: 'HostApplication', collective: collectiveId } });
  const pending = await until('the application at the host', async () => {
    const list = await api(host, 'GET', '/api/hosts/brussels-together/applications?status=pending');
    return list.json.items?.[0] as { id: string; collective: string } | undefined;
  });
  t.equal(pending.collective, collectiveId);
  const decided = await api(
    host,
    'POST',
    `/api/hosts/brussels-together/applications/${pending.id}/decision`,
    {
      decision: 'accepted',
    },
  );
  t.match(decided.json, { type: 'HostMembership', decision: 'accepted' });
  const status = await until('HostJoined', async () => {
    const s = await api(collective, 'GET', '/api/actors/repair-cafe/host');
    return s.json.host === undefined ? undefined : s.json;
  });
  t.equal(status.host.id, hostId);

  // An expense filed (no account) and approved by the admin goes to the host on its own.
  const filed = await fetch(`${collective.origin}/api/actors/repair-cafe/expenses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      title: 'Solder',
      type: 'receipt',
      payee: 'Bob',
      items: [{ description: 'Solder', amount: '50.00', date: '2026-11-20' }],
      payout: 'BE71096123456769',
    }),
  });
  const expense = ((await filed.json()) as { expense: { leafHash: string } }).expense.leafHash;
  t.equal(
    (await api(collective, 'POST', `/api/actors/repair-cafe/expenses/${expense}/approve`, {})).status,
    201,
  );
  const answer = await until('the host answer', async () => {
    const s = await api(collective, 'GET', `/api/actors/repair-cafe/expenses/${expense}/host`);
    return s.json.refusal === undefined ? undefined : s.json;
  });
  t.match(answer, { awaiting: false, refusal: { code: 'insufficientBalance', host: hostId, expense } });

  // Money in: a supporter pledges at the host, the host admin confirms, the receipt travels.
  const pledge = await api(host, 'POST', '/api/hosts/brussels-together/pledges', {
    collective: collectiveId,
    amount: '120.00',
    name: 'Alice',
  });
  t.match(pledge.json, { reference: /^\+\+\+\d{3}\/\d{4}\/\d{5}\+\+\+$/, bankAccount: TERMS.bankAccount });
  const confirmed = await api(host, 'POST', '/api/hosts/brussels-together/pledges/confirm', {
    reference: pledge.json.reference,
    amount: '120.00',
  });
  t.match(confirmed.json, { fee: '6.00', receipt: { type: 'Receipt' } });
  await until('the contribution', async () => {
    const balance = await api(collective, 'GET', '/api/actors/repair-cafe/balance');
    return balance.json.balance === '114.00' ? true : undefined;
  });

  // The same expense sent again (now covered) is countersigned; the host admin pays it.
  await api(collective, 'POST', `/api/actors/repair-cafe/expenses/${expense}/host`, {});
  await until('the countersignature', async () => {
    const s = await api(collective, 'GET', '/api/actors/repair-cafe/expenses?state=countersigned');
    return s.json.items?.length === 1 ? true : undefined;
  });
  const paid = await api(host, 'POST', '/api/hosts/brussels-together/payouts', {
    collective: collectiveId,
    expense,
    payoutReference: 'KBC-2026-0117',
  });
  t.match(paid.json, { state: 'paid', payout: { type: 'Payout' } });
  await until('ExpensePaid', async () => {
    const s = await api(collective, 'GET', '/api/actors/repair-cafe/expenses?state=paid');
    return s.json.items?.length === 1 ? true : undefined;
  });

  // Witness: the collective's checkpoint, cosigned by the host.
  t.equal((await api(collective, 'POST', '/api/actors/repair-cafe/host/cosign', {})).status, 200);
  const size = (await api(collective, 'GET', '/api/actors/repair-cafe/balance')).json.size as number;
  const cosigned = await until('the cosignature of the whole log', async () => {
    const s = await api(collective, 'GET', '/api/actors/repair-cafe/host');
    return s.json.cosigned?.size === size ? s.json.cosigned : undefined;
  });
  t.match(cosigned.cosigned, /— 127\.0\.0\.1:\d+\/actors\/brussels-together /, 'the host cosignature line');
  const served = await fetch(`${collective.origin}/api/actors/repair-cafe/checkpoint/cosigned`);
  t.equal(await served.text(), cosigned.cosigned, 'served to anyone');

  // Both ledgers verify; the receipt and the payout each name the host entry of the same movement.
  const read = async (n: Running, name: string) =>
    (await api(n, 'GET', `/api/actors/${name}/entries?order=oldest&limit=500`)).json.items as {
      entry: SignedEntry;
      leafHash: string;
    }[];
  const mine = await read(collective, 'repair-cafe');
  const theirs = await read(host, 'brussels-together');
  const c = verifyChain(
    mine.map((r) => r.entry),
    { actor: collectiveId },
  );
  const h = verifyChain(
    theirs.map((r) => r.entry),
    { actor: hostId },
  );
  t.ok(c.ok, 'the collective ledger verifies');
  t.ok(h.ok, 'the host ledger verifies');
  if (c.ok) t.equal(c.summary.balance, '64.00', '120 − 6 − 50');
  if (h.ok) t.equal(h.summary.balance, '70.00', '120 − 50');
  const byHash = new Map(theirs.map((r) => [r.leafHash, r.entry]));
  const signed = mine.flatMap(({ entry }): (HostSigned | undefined)[] =>
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
      `${object?.type} reconciles`,
    );
  t.notOk(collective.output.join('').includes('"level":50'), 'no error logged by the collective');
  t.notOk(host.output.join('').includes('"level":50'), 'no error logged by the host');
});
