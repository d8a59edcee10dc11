import t from 'tap';
import { jsonDepth } from './errors.ts';
import { bearer, testNode, withActor } from './test-helpers.ts';

function nested(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

t.test('jsonDepth counts nesting outside strings only', async (t) => {
  t.equal(jsonDepth('{"a":[1,{"b":2}]}', 32), 3);
  t.equal(jsonDepth('{"a":"[[[[\\"{{{{"}', 32), 1);
  t.equal(jsonDepth('"plain"', 32), 0);
  t.equal(jsonDepth(nested(100), 32), 33, 'stops counting past the limit');
});

t.test('Fastify errors become registered codes, without stack traces', async (t) => {
  const { app, node } = await testNode(t, { bodyLimit: 4096 });
  const { alice } = await withActor(node);
  const post = (payload: string, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url: '/api/actors/garden/updates',
      headers: { 'content-type': 'application/json', ...bearer(alice.token), ...headers },
      payload,
    });

  const invalid = await post(JSON.stringify({ title: 'Hello' }));
  t.equal(invalid.statusCode, 400);
  t.match(invalid.json(), {
    error: {
      code: 'VALIDATION_FAILED',
      details: { in: 'body', issues: [{ path: '/', message: "must have required property 'body'" }] },
    },
  });

  const extra = await post(JSON.stringify({ title: 'Hello', body: 'x', admin: true }));
  t.match(extra.json(), {
    error: { code: 'VALIDATION_FAILED', details: { issues: [{ property: 'admin' }] } },
  });

  const large = await post(JSON.stringify({ title: 'Big', body: 'x'.repeat(5000) }));
  t.equal(large.statusCode, 413);
  t.equal(large.json().error.code, 'BODY_TOO_LARGE');

  const deep = await post(`{"title":"Deep","body":"x","extra":${nested(40)}}`);
  t.equal(deep.statusCode, 400);
  t.match(deep.json(), { error: { code: 'JSON_TOO_DEEP', details: { limit: 32 } } });

  const broken = await post('{"title": "Hello", ');
  t.equal(broken.statusCode, 400);
  t.equal(broken.json().error.code, 'BAD_REQUEST');

  const poisoned = await post('{"title":"x","body":"y","__proto__":{"admin":true}}');
  t.equal(poisoned.statusCode, 400, 'prototype poisoning is refused by the parser');
  t.equal(poisoned.json().error.code, 'BAD_REQUEST');

  const xml = await post('<update/>', { 'content-type': 'application/xml' });
  t.equal(xml.statusCode, 415);
  t.equal(xml.json().error.code, 'UNSUPPORTED_MEDIA_TYPE');

  const missing = await app.inject({ url: '/api/nothing-here' });
  t.equal(missing.statusCode, 404);
  t.same(missing.json(), { error: { code: 'NOT_FOUND', message: 'Nothing is here.' } });

  for (const response of [invalid, large, deep, broken, xml, missing]) {
    t.notMatch(response.body, /at .*\.ts:\d+|stack/i, 'no stack trace');
  }
});

t.test('a failure inside a handler is INTERNAL and says nothing of its cause', async (t) => {
  const { app, node } = await testNode(t);
  await withActor(node);
  const handle = await node.actors.get('garden');
  // Close the ledger under the app: the next read of the store fails for real.
  await node.store.close();
  const response = await app.inject({ url: '/api/actors/garden/entries' });
  t.equal(response.statusCode, 500);
  t.same(response.json(), { error: { code: 'INTERNAL', message: 'Something went wrong on the node.' } });
  t.ok(handle, 'the actor was open');
});

t.test('every route has a response schema and is in the OpenAPI document', async (t) => {
  const { app } = await testNode(t);
  const response = await app.inject({ url: '/docs/json' });
  t.equal(response.statusCode, 200);
  const doc = response.json() as {
    openapi: string;
    paths: Record<string, Record<string, { responses?: object }>>;
  };
  t.equal(doc.openapi, '3.1.0');
  for (const path of [
    '/api/actors',
    '/api/actors/{actor}',
    '/api/actors/{actor}/entries',
    '/api/actors/{actor}/entries/{seq}',
    '/api/actors/{actor}/entries/{seq}/leaf',
    '/api/actors/{actor}/hashes/{hash}',
    '/api/actors/{actor}/balance',
    '/api/actors/{actor}/budget',
    '/api/actors/{actor}/expenses',
    '/api/actors/{actor}/checkpoint',
    '/api/actors/{actor}/proofs/inclusion',
    '/api/actors/{actor}/proofs/consistency',
    '/api/actors/{actor}/contributions',
    '/api/actors/{actor}/refunds',
    '/api/actors/{actor}/updates',
    '/api/actors/{actor}/events',
    '/api/actors/{actor}/expenses/{hash}/approve',
    '/api/actors/{actor}/expenses/{hash}/reject',
    '/api/follow/{token}',
    '/api/session',
    '/',
    '/setup',
    '/login',
    '/logout',
  ]) {
    t.ok(doc.paths[path], `${path} is documented`);
    for (const [method, operation] of Object.entries(doc.paths[path] ?? {})) {
      t.ok(operation.responses, `${method} ${path} documents its responses`);
    }
  }
  const ui = await app.inject({ url: '/docs' });
  t.ok(ui.statusCode === 200 || ui.statusCode === 302, 'the OpenAPI UI is served');
});
