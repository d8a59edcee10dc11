import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError, isLoopbackHost, loadConfig, workerEnvironment } from './config.ts';

const cwd = mkdtempSync(join(tmpdir(), 'cagnotte-config-'));

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

t.test('defaults give a node on http://localhost:8080 with data under ./data', async (t) => {
  const config = loadConfig({ env: {}, cwd });
  t.equal(config.port, 8080);
  t.equal(config.host, 'localhost');
  t.equal(config.origin, 'http://localhost:8080');
  t.equal(config.dataDir, join(cwd, 'data'));
  t.equal(config.allowPrivateAddress, false);
  t.equal(config.trustProxy, false);
  t.equal(config.jsonDepthLimit, 32);
});

t.test('the origin follows the port when not given, and is normalised', async (t) => {
  t.equal(loadConfig({ env: { CAGNOTTE_PORT: '9090' }, cwd }).origin, 'http://localhost:9090');
  t.equal(
    loadConfig({ env: { CAGNOTTE_ORIGIN: 'https://Collective.Example/' }, cwd }).origin,
    'https://collective.example',
  );
});

t.test('file < environment < overrides', async (t) => {
  const file = join(cwd, 'cagnotte.json');
  writeFileSync(
    file,
    JSON.stringify({ port: 7000, host: '0.0.0.0', origin: 'https://a.example', bodyLimit: 4096 }),
  );
  const config = loadConfig({
    env: {
      CAGNOTTE_CONFIG: file,
      CAGNOTTE_PORT: '7001',
      CAGNOTTE_ALLOW_PRIVATE_ADDRESS: '1',
      CAGNOTTE_TRUST_PROXY: '127.0.0.1,10.0.0.0/8',
    },
    overrides: { port: 7002, dataDir: 'other' },
    cwd,
  });
  t.equal(config.port, 7002);
  t.equal(config.host, '0.0.0.0');
  t.equal(config.origin, 'https://a.example');
  t.equal(config.bodyLimit, 4096);
  t.equal(config.allowPrivateAddress, true);
  t.equal(config.trustProxy, '127.0.0.1,10.0.0.0/8');
  t.equal(config.dataDir, join(cwd, 'other'));
});

t.test('plain http is refused for a public origin but allowed on loopback', async (t) => {
  const found = problems(() => loadConfig({ env: { CAGNOTTE_ORIGIN: 'http://collective.example' }, cwd }));
  t.match(found, [/plain http on a public host/]);
  for (const origin of [
    'http://localhost:1',
    'http://127.0.0.1:8080',
    'http://[::1]:8080',
    'http://a.localhost',
  ]) {
    t.equal(loadConfig({ env: { CAGNOTTE_ORIGIN: origin }, cwd }).origin, new URL(origin).origin, origin);
  }
  t.notOk(isLoopbackHost('10.0.0.1'));
  t.notOk(isLoopbackHost('localhost.example'));
});

t.test('every problem is reported at once, in words', async (t) => {
  const found = problems(() =>
    loadConfig({
      env: {
        CAGNOTTE_PORT: 'eighty',
        CAGNOTTE_ORIGIN: 'https://a.example/path?x',
        CAGNOTTE_ALLOW_PRIVATE_ADDRESS: 'yes',
        CAGNOTTE_TRUST_PROXY: 'my proxy',
        CAGNOTTE_LOG_LEVEL: 'loud',
      },
      cwd,
    }),
  );
  t.equal(found.length, 5, found.join('\n'));
  t.match(found.join('\n'), /port must be an integer/);
  t.match(found.join('\n'), /without path, query or fragment/);
  t.match(found.join('\n'), /allowPrivateAddress must be true\/false/);
  t.match(found.join('\n'), /trustProxy must be/);
  t.match(found.join('\n'), /logLevel must be one of/);
});

t.test('a bad config file is named with its problem', async (t) => {
  const broken = join(cwd, 'broken.json');
  writeFileSync(broken, '{ "port": ');
  t.match(
    problems(() => loadConfig({ file: broken, env: {}, cwd })),
    [/not valid JSON/],
  );
  const unknown = join(cwd, 'unknown.json');
  writeFileSync(unknown, JSON.stringify({ prot: 1 }));
  t.match(
    problems(() => loadConfig({ file: unknown, env: {}, cwd })),
    [/unknown key "prot"/],
  );
  t.match(
    problems(() => loadConfig({ file: join(cwd, 'missing.json'), env: {}, cwd })),
    [/cannot read the config file .*ENOENT/],
  );
});

t.test("a worker's environment is this process's with the extra variables set", async (t) => {
  const env = workerEnvironment({ NODE_COMPILE_CACHE: join(cwd, 'cache') });
  t.equal(env.NODE_COMPILE_CACHE, join(cwd, 'cache'));
  t.equal(env.PATH, process.env.PATH, 'the rest is passed on as it is');
  t.not(env, process.env, 'a copy: the process keeps its own');
});
