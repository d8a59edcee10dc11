import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { main } from './cli.ts';

const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url));
/** A bare environment for the real processes, with the test run's compile cache (test-support/compile-cache.ts). */
const ENV = { PATH: process.env.PATH, NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE };

function run(args: string[], cwd: string) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    encoding: 'utf8',
    env: ENV,
  });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

/**
 * The same CLI in this process: spawning Node for each case costs about a second of start-up,
 * which made this file the slowest of the suite. Relative `--data` paths are taken from `cwd`, as a
 * shell would; the real-process tests below keep exit codes and stdio honest.
 */
async function runHere(args: string[], cwd: string) {
  const out: string[] = [];
  const err: string[] = [];
  const absolute = args.map((arg, i) =>
    args[i - 1] === '--data' && !isAbsolute(arg) ? join(cwd, arg) : arg,
  );
  const code = await main(absolute, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out: out.map((line) => `${line}\n`).join(''), err: err.map((line) => `${line}\n`).join('') };
}

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'cagnotte-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('bad arguments: a clear message, a non-zero exit, nothing written', async (t) => {
  const cwd = tempDir(t);
  const cases: [string[], RegExp][] = [
    [[], /Usage: cagnotte/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['init', '--name', 'garden', '--origin', 'http://localhost:8080'], /init: missing --data/],
    [['init', '--data', 'd', '--name', 'Garden!', '--origin', 'http://localhost:8080'], /--name is 1 to 63/],
    [
      ['init', '--data', 'd', '--name', 'garden', '--origin', 'http://garden.example'],
      /plain http on a public host/,
    ],
    [
      ['init', '--data', 'd', '--name', 'garden', '--origin', 'https://garden.example', '--currency', 'EURO'],
      /not an ISO 4217/,
    ],
    [
      ['init', '--data', 'd', '--name', 'garden', '--origin', 'https://garden.example', '--colour', 'red'],
      /Unknown option '--colour'/,
    ],
    [['seed', '--data', 'd', '--actor', 'garden', '--entries', 'many'], /--entries must be an integer/],
    [['seed', '--actor', 'garden', '--entries', '5'], /either --data DIR or --url URL/],
    [
      ['seed', '--data', 'd', '--actor', 'garden', '--entries', '5'],
      /no node database in .*run `cagnotte init` first/,
    ],
    [['admin'], /admin: expected one of add/],
    [['start', '--port', '99999'], /--port must be an integer/],
  ];
  const spawned = run(['frobnicate'], cwd);
  t.equal(spawned.code, 2, 'a real process exits 2 on a usage error');
  t.match(spawned.err, /unknown command "frobnicate"/);
  for (const [args, message] of cases) {
    const result = await runHere(args, cwd);
    t.not(result.code, 0, args.join(' '));
    t.match(result.err + result.out, message, args.join(' '));
    t.notMatch(result.err, /\n\s+at /, 'no stack trace');
  }
  t.same(readdirSync(cwd), [], 'no file or directory was created');
});

t.test('--help after a command prints the usage and exits 0, writing nothing', async (t) => {
  const cwd = tempDir(t);
  for (const args of [
    ['export', '--help'],
    ['start', '-h'],
    ['init', '--data', 'd', '--help'],
  ]) {
    const { code, out, err } = await runHere(args, cwd);
    t.equal(code, 0, `${args.join(' ')}: ${err}`);
    t.match(out, /^Usage: cagnotte <command>/, args.join(' '));
  }
  t.same(readdirSync(cwd), [], 'init --help created nothing');
});

t.test('init, admin add, token create and offline seed on a real data directory', async (t) => {
  const cwd = tempDir(t);
  const init = await runHere(
    [
      'init',
      '--data',
      'node',
      '--name',
      'garden',
      '--origin',
      'http://localhost:8080',
      '--email',
      'a@example.org',
    ],
    cwd,
  );
  t.equal(init.code, 0, init.err);
  t.match(
    init.out,
    /Created collective garden \(http:\/\/localhost:8080\/actors\/garden\), handle @garden@localhost:8080/,
  );
  t.match(init.out, /user name: admin\n\s+password:\s+\S{24}\n\s+API token: cgt_/);
  const keyFile = join(cwd, 'node', 'keys', 'garden.json');
  t.equal(statSync(keyFile).mode & 0o777, 0o600, 'the key file is private');

  const again = await runHere(
    ['init', '--data', 'node', '--name', 'garden', '--origin', 'http://localhost:8080'],
    cwd,
  );
  t.equal(again.code, 1);
  t.match(again.err, /already exists/);

  const host = await runHere(
    ['init', '--data', 'node', '--name', 'host', '--host', '--origin', 'http://localhost:8080'],
    cwd,
  );
  t.match(host.out, /Created host host/);

  const add = await runHere(
    ['admin', 'add', '--data', 'node', '--actor', 'garden', '--username', 'treasurer'],
    cwd,
  );
  t.equal(add.code, 0, add.err);
  t.match(add.out, /Admin treasurer of garden created/);
  const dup = await runHere(
    ['admin', 'add', '--data', 'node', '--actor', 'garden', '--username', 'treasurer'],
    cwd,
  );
  t.equal(dup.code, 1);
  t.match(dup.err, /already exists/);
  const token = await runHere(
    ['token', 'create', '--data', 'node', '--actor', 'garden', '--username', 'treasurer'],
    cwd,
  );
  t.equal(token.code, 0, token.err);
  t.match(token.out.trim(), /^cgt_[A-Za-z0-9_-]{43}$/);
  const nobody = await runHere(
    ['token', 'create', '--data', 'node', '--actor', 'garden', '--username', 'ghost'],
    cwd,
  );
  t.match(nobody.err, /has no admin named ghost/);

  const seeded = await runHere(['seed', '--data', 'node', '--actor', 'garden', '--entries', '60'], cwd);
  t.equal(seeded.code, 0, seeded.err);
  t.match(seeded.out, /^acknowledged 60 of 60 entries/);
});

t.test(
  'start listens; the first visit of an empty node is the setup page; seed --url over HTTP',
  async (t) => {
    const cwd = tempDir(t);
    const port = 20000 + (process.pid % 20000);
    const child = spawn(
      process.execPath,
      [CLI, 'start', '--data', 'node', '--port', String(port), '--host', '127.0.0.1'],
      {
        cwd,
        env: { ...ENV, CAGNOTTE_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    t.teardown(() => {
      child.kill('SIGKILL');
    });
    const line = await new Promise<string>((resolve, reject) => {
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('\n')) resolve(text);
      });
      child.stderr.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      child.on('exit', (code) => reject(new Error(`start exited ${code}: ${text}`)));
    });
    t.match(
      line,
      new RegExp(`listening on http://127\\.0\\.0\\.1:${port}; public origin http://localhost:${port}`),
    );
    const home = await fetch(`http://127.0.0.1:${port}/`);
    t.equal(home.status, 200);
    const html = await home.text();
    t.match(html, /<form method="post" action="\/setup">/);
    t.match(home.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] as string;
    const cookie = (home.headers.getSetCookie()[0] ?? '').split(';')[0] as string;
    const setup = await fetch(`http://127.0.0.1:${port}/setup`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams({
        _csrf: csrf,
        name: 'garden',
        currency: 'EUR',
        username: 'alice',
        password: 'a long password here',
      }),
    });
    t.equal(setup.status, 303);
    t.equal(setup.headers.get('location'), '/actors/garden');
    const session = setup.headers.getSetCookie().find((c) => c.startsWith('cagnotte_session='));
    t.match(session, /HttpOnly/i);
    t.match(session, /SameSite=Lax/i);
    const page = await fetch(`http://127.0.0.1:${port}/actors/garden`, {
      headers: { cookie: (session ?? '').split(';')[0] as string },
    });
    t.match(await page.text(), /Signed in as alice/);
    // The actor made by the setup page is federated at once, without a restart.
    const finger = await fetch(
      `http://127.0.0.1:${port}/.well-known/webfinger?resource=acct:garden@localhost:${port}`,
    );
    t.equal(finger.status, 200, 'WebFinger answers for the new collective');
    const jrd = (await finger.json()) as { subject: string; links: { rel: string; href?: string }[] };
    t.equal(jrd.subject, `acct:garden@localhost:${port}`);
    const self = jrd.links.find((link) => link.rel === 'self')?.href;
    t.equal(self, `http://localhost:${port}/actors/garden`);
    const actor = await fetch(`http://127.0.0.1:${port}/actors/garden`, {
      headers: { accept: 'application/activity+json' },
    });
    t.equal(actor.status, 200);
    const actorDoc = (await actor.json()) as { type: string; id: string; inbox: string };
    t.equal(actorDoc.type, 'Group');
    t.equal(actorDoc.id, self, 'the actor document is served at its id');
    const second = await fetch(`http://127.0.0.1:${port}/`);
    t.notMatch(await second.text(), /action="\/setup"/, 'setup is offered only once');

    // Offline commands cannot open the database while the node runs: LevelDB's lock says so.
    const refused = spawnSync(
      process.execPath,
      [CLI, 'token', 'create', '--data', 'node', '--actor', 'garden', '--username', 'alice'],
      {
        cwd,
        encoding: 'utf8',
        env: ENV,
      },
    );
    t.equal(refused.status, 1);
    t.match(refused.stderr, /in use \(is the node running\?\)/, 'the running node holds the database');
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));

    const token = run(
      ['token', 'create', '--data', 'node', '--actor', 'garden', '--username', 'alice'],
      cwd,
    ).out.trim();
    const child2 = spawn(
      process.execPath,
      [CLI, 'start', '--data', 'node', '--port', String(port), '--host', '127.0.0.1'],
      {
        cwd,
        env: { ...ENV, CAGNOTTE_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    t.teardown(() => {
      child2.kill('SIGKILL');
    });
    await new Promise<void>((resolve) => child2.stdout.once('data', () => resolve()));
    const seeded = spawnSync(
      process.execPath,
      [
        CLI,
        'seed',
        '--url',
        `http://127.0.0.1:${port}`,
        '--token',
        token,
        '--actor',
        'garden',
        '--entries',
        '30',
      ],
      { cwd, encoding: 'utf8', env: { PATH: process.env.PATH } },
    );
    t.equal(seeded.status, 0, seeded.stderr);
    // Public filings beyond the node's rate limit (5 a minute by default) are refused with 429.
    const acknowledged = Number(/acknowledged (\d+) of 30/.exec(seeded.stdout)?.[1]);
    const balance = await (await fetch(`http://127.0.0.1:${port}/api/actors/garden`)).json();
    t.equal(balance.size, 1 + acknowledged, 'every acknowledged entry is in the ledger');
    child2.kill('SIGTERM');
    await new Promise((resolve) => child2.once('exit', resolve));
  },
);
