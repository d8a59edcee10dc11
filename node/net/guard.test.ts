import { once } from 'node:events';
import { Agent, createServer, get } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import {
  type AddressClass,
  checkAddress,
  checkHost,
  checkUrl,
  classifyAddress,
  guardedLookup,
  isAllowedUrl,
} from './guard.ts';

const strict = { allowPrivateAddress: false };
const lax = { allowPrivateAddress: true };

const table: [address: string, expected: AddressClass | 'public' | undefined][] = [
  ['8.8.8.8', 'public'],
  ['1.1.1.1', 'public'],
  ['93.184.216.34', 'public'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['10.0.0.1', 'private'],
  ['10.255.255.255', 'private'],
  ['100.63.255.255', 'public'],
  ['100.64.0.1', 'cgnat'],
  ['100.127.255.255', 'cgnat'],
  ['100.128.0.0', 'public'],
  ['127.0.0.1', 'loopback'],
  ['127.255.0.9', 'loopback'],
  ['169.254.169.254', 'linkLocal'], // cloud metadata
  ['172.15.255.255', 'public'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['172.32.0.0', 'public'],
  ['192.0.0.8', 'reserved'],
  ['192.0.2.1', 'documentation'],
  ['192.88.99.1', 'reserved'],
  ['192.168.1.1', 'private'],
  ['198.18.0.1', 'benchmarking'],
  ['198.19.255.255', 'benchmarking'],
  ['198.20.0.0', 'public'],
  ['198.51.100.7', 'documentation'],
  ['203.0.113.9', 'documentation'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['240.0.0.1', 'reserved'],
  ['255.255.255.255', 'broadcast'],
  ['2606:4700:4700::1111', 'public'],
  ['2a00:1450:4007:80f::200e', 'public'],
  ['::', 'unspecified'],
  ['::1', 'loopback'],
  ['[::1]', 'loopback'],
  ['0:0:0:0:0:0:0:1', 'loopback'],
  ['::ffff:127.0.0.1', 'ipv4Mapped'],
  ['::ffff:8.8.8.8', 'ipv4Mapped'],
  ['::ffff:7f00:1', 'ipv4Mapped'],
  ['::127.0.0.1', 'reserved'], // IPv4-compatible, deprecated
  ['64:ff9b::8.8.8.8', 'public'],
  ['64:ff9b::10.0.0.1', 'private'],
  ['64:ff9b::7f00:1', 'loopback'],
  ['64:ff9b:1::1', 'private'],
  ['100::1', 'reserved'],
  ['2001::1', 'reserved'], // Teredo
  ['2001:db8::1', 'documentation'],
  ['2002:0808:0808::1', 'public'], // 6to4 of 8.8.8.8
  ['2002:7f00:0001::1', 'loopback'], // 6to4 of 127.0.0.1
  ['2002:a9fe:a9fe::', 'linkLocal'], // 6to4 of 169.254.169.254
  ['3fff::1', 'documentation'],
  ['fc00::1', 'uniqueLocal'],
  ['fd12:3456::1', 'uniqueLocal'],
  ['fe80::1', 'linkLocal'],
  ['fe80::1%eth0', 'linkLocal'],
  ['febf::1', 'linkLocal'],
  ['fec0::1', 'private'],
  ['ff02::1', 'multicast'],
  ['4000::1', 'reserved'],
  ['example.com', undefined],
  ['1.2.3', undefined],
  ['0x7f.0.0.1', undefined],
  ['', undefined],
];

t.test('address classes', async (t) => {
  for (const [address, expected] of table) t.equal(classifyAddress(address), expected, address);
});

t.test('checkAddress refuses every non-public class unless private addresses are allowed', async (t) => {
  for (const [address, expected] of table) {
    if (expected === undefined) {
      t.same(checkAddress(address, lax), { ok: false, reason: { type: 'invalidAddress', address } }, address);
      continue;
    }
    t.equal(checkAddress(address, lax).ok, true, `${address} allowed when private addresses are`);
    const strictResult = checkAddress(address, strict);
    if (expected === 'public') t.same(strictResult, { ok: true, addresses: [address] }, address);
    else
      t.same(
        strictResult,
        { ok: false, reason: { type: 'nonPublicAddress', hostname: address, address, class: expected } },
        address,
      );
  }
});

t.test('checkUrl: scheme, literals, localhost names, and every resolved address', async (t) => {
  const dns: Record<string, string[]> = {
    'public.example': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
    'rebind.example': ['93.184.216.34', '127.0.0.1'],
    'metadata.example': ['169.254.169.254'],
  };
  const resolve = async (hostname: string) => {
    const found = dns[hostname];
    if (!found) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    return found;
  };
  const s = { ...strict, resolve };
  t.same(await checkUrl('https://public.example/users/a', s), { ok: true, addresses: dns['public.example'] });
  t.same(await checkUrl('https://rebind.example/', s), {
    ok: false,
    reason: { type: 'nonPublicAddress', hostname: 'rebind.example', address: '127.0.0.1', class: 'loopback' },
  });
  t.match(await checkUrl('http://metadata.example/latest', s), { ok: false, reason: { class: 'linkLocal' } });
  t.match(await checkUrl('https://nowhere.example/', s), {
    ok: false,
    reason: { type: 'resolveFailed', code: 'ENOTFOUND' },
  });
  t.same(await checkUrl('file:///etc/passwd', s), { ok: false, reason: { type: 'scheme', scheme: 'file:' } });
  t.same(await checkUrl('gopher://x/', lax), { ok: false, reason: { type: 'scheme', scheme: 'gopher:' } });
  t.same(await checkUrl('not a url', s), { ok: false, reason: { type: 'invalidUrl', url: 'not a url' } });
  t.match(await checkUrl('http://[::1]:8080/inbox', s), { ok: false, reason: { class: 'loopback' } });
  t.match(await checkUrl('http://[::ffff:7f00:1]/', s), { ok: false, reason: { class: 'ipv4Mapped' } });
  // WHATWG URL parsing normalises these spellings of 127.0.0.1 before the guard sees them.
  t.match(await checkUrl('http://0x7f.1/', s), { ok: false, reason: { class: 'loopback' } });
  t.match(await checkUrl('http://2130706433/', s), { ok: false, reason: { class: 'loopback' } });
  t.same(await checkUrl('http://localhost:3000/', s), {
    ok: false,
    reason: { type: 'localName', hostname: 'localhost' },
  });
  t.same(await checkUrl('http://a.b.localhost./', s), {
    ok: false,
    reason: { type: 'localName', hostname: 'a.b.localhost.' },
  });
  t.same(await checkUrl('http://127.0.0.1:3000/', lax), { ok: true, addresses: ['127.0.0.1'] });
  t.equal(await isAllowedUrl('https://rebind.example/', { ...lax, resolve }), true);
  t.equal(await isAllowedUrl('https://rebind.example/', s), false);
});

t.test('guardedLookup pins checked addresses for real connections', async (t) => {
  const server = createServer((_req, res) => res.end('reached'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const fetchVia = (allowPrivateAddress: boolean, host: string) =>
    new Promise<string>((resolve, reject) => {
      const agent = new Agent({
        lookup: guardedLookup({ allowPrivateAddress, resolve: async () => ['127.0.0.1'] }) as never,
      });
      get({ host, port, path: '/', agent }, (res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve(body));
      }).on('error', reject);
    });
  t.equal(await fetchVia(true, 'node-a.test'), 'reached', 'allowed for local testing');
  await t.rejects(fetchVia(false, 'node-a.test'), {
    code: 'ERR_PRIVATE_ADDRESS',
    reason: { class: 'loopback' },
  });
  const direct = await checkHost('node-a.test', { ...strict, resolve: async () => ['10.1.2.3'] });
  t.match(direct, { ok: false, reason: { class: 'private' } });
});
