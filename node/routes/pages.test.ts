import t from 'tap';
import { escapeHtml, html, path } from '../../ui/html.ts';
import { bearer, cookieHeader, cookiesOf, csrfOf, FORM, form, testNode, withActor } from './test-helpers.ts';

t.test('html escapes every interpolation and paths encode their parameters', async (t) => {
  const evil = `<script>alert("x")</script>'&`;
  t.equal(html`<p>${evil}</p>`.value, `<p>${escapeHtml(evil)}</p>`);
  t.notMatch(html`<a title="${evil}">`.value, /<script>|"x"/);
  t.equal(html`<ul>${['a<', html`<b>ok</b>`]}</ul>`.value, '<ul>a&lt;<b>ok</b></ul>');
  t.equal(path('/actors/{name}', { name: 'a/../b?c' }, { cursor: '5' }), '/actors/a%2F..%2Fb%3Fc?cursor=5');
});

t.test('setup: a CSRF-protected form that creates the first actor and its admin once', async (t) => {
  const { app, node } = await testNode(t);
  const home = await app.inject({ url: '/' });
  t.equal(home.statusCode, 200);
  t.match(home.headers['content-type'], /text\/html/);
  t.match(home.body, /Set up this node/);
  const csrfCookie = cookiesOf(home);
  const fields = {
    name: 'garden',
    currency: 'eur',
    username: 'alice',
    password: 'a long password here',
    email: 'a@example.org',
  };

  const noToken = await app.inject({
    method: 'POST',
    url: '/setup',
    headers: { ...FORM, cookie: cookieHeader(csrfCookie) },
    payload: form(fields),
  });
  t.equal(noToken.statusCode, 403);
  t.match(noToken.body, /CSRF_INVALID/, 'an HTML error page with the code');
  t.same(await node.actors.list(), [], 'nothing was created');

  const weak = await app.inject({
    method: 'POST',
    url: '/setup',
    headers: { ...FORM, cookie: cookieHeader(csrfCookie) },
    payload: form({ ...fields, password: 'short', _csrf: csrfOf(home.body) }),
  });
  t.equal(weak.statusCode, 400);
  t.match(weak.body, /at least 12 characters/);
  t.match(weak.body, /value="garden"/, 'the form keeps what was typed');
  t.same(await node.actors.list(), [], 'nothing was created');

  const ok = await app.inject({
    method: 'POST',
    url: '/setup',
    headers: { ...FORM, cookie: cookieHeader(csrfCookie) },
    payload: form({ ...fields, _csrf: csrfOf(home.body) }),
  });
  t.equal(ok.statusCode, 303);
  t.equal(ok.headers.location, '/actors/garden');
  t.match(await node.actors.list(), [{ name: 'garden', type: 'Group', currency: 'EUR' }]);
  const cookies = { ...csrfCookie, ...cookiesOf(ok) };
  const page = await app.inject({ url: '/actors/garden', headers: { cookie: cookieHeader(cookies) } });
  t.match(page.body, /Signed in as alice/);
  t.match(page.body, /Balance: <strong>0.00 EUR<\/strong>/);

  const twice = await app.inject({
    method: 'POST',
    url: '/setup',
    headers: { ...FORM, cookie: cookieHeader(csrfCookie) },
    payload: form({ ...fields, name: 'second', _csrf: csrfOf(home.body) }),
  });
  t.equal(twice.statusCode, 409);
  t.match(twice.body, /ALREADY_SET_UP/);
  const list = await app.inject({ url: '/' });
  t.match(list.body, /href="\/actors\/garden"/);
});

t.test('the ledger page escapes what people wrote; the expense form works without JavaScript', async (t) => {
  const { app, node } = await testNode(t);
  const { alice } = await withActor(node);
  await app.inject({
    method: 'POST',
    url: '/api/actors/garden/contributions',
    headers: bearer(alice.token),
    payload: { amount: '10', contributor: '<img src=x onerror=alert(1)>' },
  });
  const page = await app.inject({ url: '/actors/garden' });
  t.notMatch(page.body, /<img src=x/);
  t.match(page.body, /&lt;img src=x onerror=alert\(1\)&gt; contributed 10.00 EUR/);

  const formPage = await app.inject({ url: '/actors/garden/expenses/new' });
  const cookie = cookieHeader(cookiesOf(formPage));
  const _csrf = csrfOf(formPage.body);
  const base = {
    _csrf,
    title: 'Gloves',
    type: 'receipt',
    payee: 'Bram',
    payout: 'BE71 0961 2345 6769',
    email: 'bram@example.org',
  };
  const incomplete = await app.inject({
    method: 'POST',
    url: '/actors/garden/expenses/new',
    headers: { ...FORM, cookie },
    payload: form({
      ...base,
      item_description: ['Gloves', ''],
      item_amount: ['12,50', ''],
      item_date: ['2026-11-03', ''],
    }),
  });
  t.equal(incomplete.statusCode, 400);
  t.match(incomplete.body, /Use a point for decimals/);
  t.match(incomplete.body, /value="12,50"/, 'the form keeps what was typed');

  const filed = await app.inject({
    method: 'POST',
    url: '/actors/garden/expenses/new',
    headers: { ...FORM, cookie },
    payload: form({
      ...base,
      item_description: ['Gloves', '', 'Boots'],
      item_amount: ['12.50', '', '30'],
      item_date: ['2026-11-03', '', '2026-11-04'],
    }),
  });
  t.equal(filed.statusCode, 201);
  const follow = /href="(http:\/\/localhost:8080\/follow\/[A-Za-z0-9_-]{32})"/.exec(filed.body)?.[1];
  t.ok(follow, 'the private follow link is shown');
  const followPage = await app.inject({ url: new URL(follow as string).pathname });
  t.match(followPage.body, /Bram: Gloves \(receipt\), 42.50 EUR/);
  t.match(followPage.body, /State: <strong>pending<\/strong>/);
  t.equal(followPage.headers['referrer-policy'], 'no-referrer');
  t.notMatch(followPage.body, /BE71|bram@example/, 'private data is not shown, even to the filer');

  const missing = await app.inject({ url: '/actors/nobody' });
  t.equal(missing.statusCode, 404);
  t.match(missing.body, /ACTOR_NOT_FOUND/);
  const css = await app.inject({ url: '/assets/style.css' });
  t.match(css.headers['content-type'], /text\/css/);
});
