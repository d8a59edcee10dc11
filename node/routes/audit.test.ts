// The audit page through the real app: the frame escapes the source it is given, its CSP lets the
// script fetch other nodes but never eval, and the bundle is served (compressed, cached by hash).
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import t from 'tap';
import { testNode } from './test-helpers.ts';

t.test('the page: the source escaped into the form, the script by hash, a CSP without eval', async (t) => {
  const { app } = await testNode(t);
  const evil = `"><script>alert(1)</script>`;
  const page = await app.inject({ url: `/audit?source=${encodeURIComponent(evil)}` });
  t.equal(page.statusCode, 200);
  t.match(page.headers['content-type'], /text\/html/);
  t.notMatch(page.body, /<script>alert/, 'the source never becomes markup');
  t.match(page.body, /value="&quot;&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;"/);
  const script = /<script type="module" src="(\/assets\/audit\.js\?v=[0-9a-f]{16})"><\/script>/.exec(
    page.body,
  );
  t.ok(script, 'the bundle, by its hash');
  const csp = String(page.headers['content-security-policy']);
  t.match(csp, /default-src 'self'/);
  t.match(csp, /connect-src 'self' https: http:/, 'other nodes may be fetched (http: on an http node only)');
  t.notMatch(csp, /unsafe-eval|unsafe-inline/, 'never eval, nothing inline');
  t.match(csp, /script-src 'self';/, 'scripts only from the node');
  t.match(csp, /frame-ancestors 'none'/);
  t.notMatch(csp, /upgrade-insecure-requests/, 'an http node does not upgrade its fetches');

  const plain = await app.inject({ url: '/audit' });
  t.equal(plain.statusCode, 200);
  t.match(plain.body, /<input id="source" name="source" value=""/);
  const long = await app.inject({ url: `/audit?source=${'a'.repeat(2001)}` });
  t.equal(long.statusCode, 400, 'a source is at most 2000 characters');

  const secure = await testNode(t, { origin: 'https://audit.example' });
  const securePage = await secure.app.inject({ url: '/audit' });
  const secureCsp = String(securePage.headers['content-security-policy']);
  t.match(secureCsp, /connect-src 'self' https:(;|$)/, 'an https node fetches over https only');
  t.match(secureCsp, /upgrade-insecure-requests/);

  const css = await app.inject({ url: '/assets/audit.css' });
  t.equal(css.statusCode, 200);
  t.match(css.headers['content-type'], /text\/css/);
});

t.test('the bundle: no eval, no Node built-ins, compressed, cached by its hash', async (t) => {
  const { app } = await testNode(t);
  const page = await app.inject({ url: '/audit' });
  const url = /src="(\/assets\/audit\.js\?v=[0-9a-f]{16})"/.exec(page.body)?.[1] as string;
  const plain = await app.inject({ url, headers: { 'accept-encoding': 'identity' } });
  t.equal(plain.statusCode, 200);
  t.match(plain.headers['content-type'], /text\/javascript/);
  t.equal(plain.headers['content-encoding'], undefined);
  t.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable');
  const code = plain.body;
  t.notMatch(code, /new Function|\beval\(/, 'nothing the CSP would refuse');
  t.notMatch(code, /["']node:[a-z]/, 'no Node built-ins');
  t.match(code, /ucs2length|schemaViolation/, 'the protocol and its precompiled validators are in it');

  const gz = await app.inject({ url, headers: { 'accept-encoding': 'gzip, deflate' } });
  t.equal(gz.headers['content-encoding'], 'gzip');
  t.equal(gunzipSync(gz.rawPayload).toString('utf8'), code);
  const br = await app.inject({ url, headers: { 'accept-encoding': 'gzip, br' } });
  t.equal(br.headers['content-encoding'], 'br');
  t.equal(brotliDecompressSync(br.rawPayload).toString('utf8'), code);
  t.ok(br.rawPayload.length < code.length / 5, `brotli: ${br.rawPayload.length} bytes of ${code.length}`);

  const etag = String(plain.headers.etag);
  const again = await app.inject({ url, headers: { 'if-none-match': etag } });
  t.equal(again.statusCode, 304);
  t.equal(again.body, '');
  const stale = await app.inject({ url: '/assets/audit.js?v=0000000000000000' });
  t.equal(stale.headers['cache-control'], 'no-cache', 'an old URL is revalidated, not kept');
});

t.test('the raw documents the page reads may be read from any origin; writes may not', async (t) => {
  const { app, node } = await testNode(t, { origin: 'https://node.example' });
  await node.actors.create({ name: 'garden', host: false, currency: 'EUR' });
  const origin = { origin: 'http://other.example' };
  const ap = { ...origin, accept: 'application/activity+json' };
  const reads = [
    { url: '/actors/garden', headers: ap },
    { url: '/actors/garden/outbox', headers: ap },
    { url: '/actors/garden/outbox?cursor=0', headers: ap },
    { url: '/actors/garden/ledger/0', headers: ap },
    { url: '/.well-known/webfinger?resource=acct:garden@node.example', headers: origin },
    { url: '/api/actors/garden/checkpoint', headers: origin },
    { url: '/api/actors/garden/entries/0/leaf', headers: origin },
    { url: '/api/actors/garden/proofs/inclusion?seq=0', headers: origin },
    { url: '/api/actors/nobody/checkpoint', headers: origin, status: 404 },
  ];
  for (const read of reads) {
    const answer = await app.inject({ url: read.url, headers: read.headers });
    t.equal(answer.statusCode, read.status ?? 200, read.url);
    t.equal(answer.headers['access-control-allow-origin'], '*', `${read.url} is readable cross-origin`);
  }
  const page = await app.inject({ url: '/audit', headers: origin });
  t.equal(page.headers['access-control-allow-origin'], undefined, 'pages are not');
  const write = await app.inject({
    method: 'POST',
    url: '/api/actors/garden/entries',
    headers: { ...origin, 'content-type': 'application/json' },
    payload: '{}',
  });
  t.equal(write.headers['access-control-allow-origin'], undefined, 'writes are not');
  const inbox = await app.inject({
    method: 'POST',
    url: '/actors/garden/inbox',
    headers: { ...origin, 'content-type': 'application/activity+json' },
    payload: '{}',
  });
  t.equal(inbox.headers['access-control-allow-origin'], undefined, 'inboxes are not');
});
