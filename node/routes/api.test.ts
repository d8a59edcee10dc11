import t from 'tap';
import { fromHex, toHex } from '../../protocol/encoding.ts';
import { hashLeaf } from '../../protocol/merkle/tree.ts';
import { verifyConsistency, verifyInclusion } from '../../protocol/merkle/verify.ts';
import { bearer, cookieHeader, cookiesOf, csrfOf, FORM, form, testNode, withActor } from './test-helpers.ts';

const expense = (email?: string) => ({
  title: 'Seeds for the spring',
  type: 'receipt',
  payee: 'Ann Green',
  items: [
    { description: 'Tomato seeds', amount: '12.5', date: '2026-11-01' },
    { description: 'Compost', amount: '30', date: '2026-11-02' },
  ],
  payout: 'BE71 0961 2345 6769',
  ...(email ? { email } : {}),
});

t.test('writes need an admin of that actor; sessions also need a CSRF token', async (t) => {
  const { app, node } = await testNode(t);
  const { alice } = await withActor(node);
  await node.actors.create({ name: 'other', host: false, currency: 'EUR' });
  const url = '/api/actors/garden/contributions';
  const payload = { amount: '10.00', contributor: 'Zoé' };

  const none = await app.inject({ method: 'POST', url, payload });
  t.equal(none.statusCode, 401);
  t.equal(none.json().error.code, 'UNAUTHENTICATED');

  const bad = await app.inject({ method: 'POST', url, payload, headers: bearer('cgt_not-a-real-token') });
  t.equal(bad.statusCode, 401);
  t.equal(bad.json().error.code, 'UNAUTHENTICATED');

  const elsewhere = await app.inject({
    method: 'POST',
    url: '/api/actors/other/contributions',
    payload,
    headers: bearer(alice.token),
  });
  t.equal(elsewhere.statusCode, 403);
  t.equal(elsewhere.json().error.code, 'FORBIDDEN');

  // Sign in through the form, as a browser does.
  const loginPage = await app.inject({ url: '/login?actor=garden' });
  const csrfCookie = cookiesOf(loginPage);
  const login = await app.inject({
    method: 'POST',
    url: '/login',
    headers: { ...FORM, cookie: cookieHeader(csrfCookie) },
    payload: form({
      _csrf: csrfOf(loginPage.body),
      actor: 'garden',
      username: 'alice',
      password: alice.password,
    }),
  });
  t.equal(login.statusCode, 303);
  t.equal(login.headers.location, '/actors/garden');
  const sessionCookie = (login.cookies as { name: string; httpOnly?: boolean; sameSite?: string }[]).find(
    (c) => c.name === 'cagnotte_session',
  );
  t.match(sessionCookie, { httpOnly: true, sameSite: 'Lax' });
  const cookies = { ...csrfCookie, ...cookiesOf(login) };

  const noCsrf = await app.inject({
    method: 'POST',
    url,
    payload,
    headers: { cookie: cookieHeader(cookies) },
  });
  t.equal(noCsrf.statusCode, 403);
  t.equal(noCsrf.json().error.code, 'CSRF_INVALID');

  const session = await app.inject({ url: '/api/session', headers: { cookie: cookieHeader(cookies) } });
  t.match(session.json(), { principal: { username: 'alice', actor: 'garden', via: 'session' } });
  const withCsrf = await app.inject({
    method: 'POST',
    url,
    payload,
    headers: { cookie: cookieHeader(cookies), 'x-csrf-token': session.json().csrfToken },
  });
  t.equal(withCsrf.statusCode, 201);
  t.match(withCsrf.json(), {
    seq: 1,
    entry: { kind: 'Contribution', amount: '10.00', contributor: 'Zoé', by: alice.id },
  });

  const wrongPassword = await app.inject({
    method: 'POST',
    url: '/login',
    headers: { ...FORM, cookie: cookieHeader(csrfCookie) },
    payload: form({
      _csrf: csrfOf(loginPage.body),
      actor: 'garden',
      username: 'alice',
      password: 'not the password',
    }),
  });
  t.equal(wrongPassword.statusCode, 401);
  t.match(wrongPassword.body, /user name or password is wrong/);

  const logout = await app.inject({
    method: 'POST',
    url: '/logout',
    headers: { ...FORM, cookie: cookieHeader(cookies) },
    payload: form({ _csrf: session.json().csrfToken }),
  });
  t.equal(logout.statusCode, 303);
  const after = await app.inject({ url: '/api/session', headers: { cookie: cookieHeader(cookies) } });
  t.notOk(after.json().principal, 'the session is gone from the server');
});

t.test('amounts are parsed exactly; anything ambiguous is refused', async (t) => {
  const { app, node } = await testNode(t);
  const { alice } = await withActor(node);
  const contribute = (amount: unknown) =>
    app.inject({
      method: 'POST',
      url: '/api/actors/garden/contributions',
      payload: { amount },
      headers: bearer(alice.token),
    });
  for (const [amount, reason] of [
    ['25.001', 'tooManyDecimals'],
    ['1e3', undefined],
    ['25,00', undefined],
    ['-5', undefined],
    ['0', 'zero'],
  ] as const) {
    const response = await contribute(amount);
    t.equal(response.statusCode, 400, amount);
    t.equal(response.json().error.code, 'INVALID_AMOUNT', amount);
    if (reason) t.equal(response.json().error.details.reason.type, reason, amount);
  }
  t.equal((await contribute(25)).json().error.code, 'VALIDATION_FAILED', 'a JSON number is not an amount');
  const ok = await contribute(' 25 ');
  t.equal(ok.statusCode, 201);
  t.equal(ok.json().entry.amount, '25.00');
  t.notOk('contributor' in ok.json().entry, 'anonymous when no name is given');
  const yen = await app.inject({
    method: 'POST',
    url: '/api/actors/garden/contributions',
    payload: { amount: '5', currency: 'JPY' },
    headers: bearer(alice.token),
  });
  t.equal(yen.json().error.code, 'CURRENCY_MISMATCH');
});

t.test('expenses: public filing, private data kept apart, approval rules', async (t) => {
  const { app, node } = await testNode(t, { rateLimits: { publicExpense: { max: 100, windowMs: 60_000 } } });
  const { alice, bob } = await withActor(node);
  await app.inject({
    method: 'POST',
    url: '/api/actors/garden/contributions',
    payload: { amount: '500' },
    headers: bearer(alice.token),
  });

  const filed = await app.inject({
    method: 'POST',
    url: '/api/actors/garden/expenses',
    payload: expense('ann@example.org'),
  });
  t.equal(filed.statusCode, 201);
  const { expense: record, follow } = filed.json();
  t.match(record.entry, { kind: 'Expense', amount: '42.50', expenseType: 'receipt', payee: 'Ann Green' });
  t.same(
    record.entry.items.map((i: { amount: string }) => i.amount),
    ['12.50', '30.00'],
  );
  t.match(record.entry.commitments, { payout: /^[0-9a-f]{64}$/, email: /^[0-9a-f]{64}$/ });
  t.notMatch(JSON.stringify(record.entry), /BE71|ann@example/, 'no private data in the entry');
  t.equal(record.entry.by, record.entry.commitments.email, 'an anonymous filer is named by a commitment');
  const secret = await node.privateExpenses.get('garden', record.leafHash);
  t.equal(secret?.payout?.value, 'BE71 0961 2345 6769');

  t.match(follow, /^http:\/\/localhost:8080\/follow\/[A-Za-z0-9_-]{32}$/);
  const token = follow.split('/').pop();
  const followed = await app.inject({ url: `/api/follow/${token}` });
  t.match(followed.json(), { actor: 'garden', state: 'pending', expense: { leafHash: record.leafHash } });
  t.equal((await app.inject({ url: `/api/follow/${'x'.repeat(32)}` })).json().error.code, 'FOLLOW_NOT_FOUND');

  const base = `/api/actors/garden/expenses/${record.leafHash}`;
  const unauth = await app.inject({ method: 'POST', url: `${base}/approve`, payload: {} });
  t.equal(unauth.json().error.code, 'UNAUTHENTICATED');
  const noComment = await app.inject({
    method: 'POST',
    url: `${base}/reject`,
    payload: {},
    headers: bearer(bob.token),
  });
  t.equal(noComment.json().error.code, 'VALIDATION_FAILED');
  const approved = await app.inject({
    method: 'POST',
    url: `${base}/approve`,
    payload: { comment: 'Thanks' },
    headers: bearer(bob.token),
  });
  t.equal(approved.statusCode, 201);
  t.match(approved.json().entry, {
    kind: 'ExpenseApproved',
    expense: record.leafHash,
    comment: 'Thanks',
    by: bob.id,
  });
  const late = await app.inject({
    method: 'POST',
    url: `${base}/reject`,
    payload: { comment: 'No' },
    headers: bearer(bob.token),
  });
  t.equal(late.statusCode, 409);
  t.match(late.json(), { error: { code: 'EXPENSE_STATE', details: { state: 'approved' } } });
  const pending = await app.inject({ url: '/api/actors/garden/expenses?state=approved' });
  t.match(pending.json().items, [
    { hash: record.leafHash, state: 'approved', amount: '42.50', currency: 'EUR' },
  ]);

  // An admin who files (signed in) is named by account and cannot approve it.
  const own = await app.inject({
    method: 'POST',
    url: '/api/actors/garden/expenses',
    payload: expense(),
    headers: bearer(alice.token),
  });
  t.equal(own.json().expense.entry.by, alice.id);
  const self = await app.inject({
    method: 'POST',
    url: `/api/actors/garden/expenses/${own.json().expense.leafHash}/approve`,
    payload: {},
    headers: bearer(alice.token),
  });
  t.equal(self.statusCode, 403);
  t.equal(self.json().error.code, 'SELF_APPROVAL');
  // Nor by filing anonymously with their own e-mail.
  const sneaky = await app.inject({
    method: 'POST',
    url: '/api/actors/garden/expenses',
    payload: expense('alice@example.org'),
  });
  const sneakyApprove = await app.inject({
    method: 'POST',
    url: `/api/actors/garden/expenses/${sneaky.json().expense.leafHash}/approve`,
    headers: bearer(alice.token),
  });
  t.equal(sneakyApprove.json().error.code, 'SELF_APPROVAL');
  const rejected = await app.inject({
    method: 'POST',
    url: `/api/actors/garden/expenses/${sneaky.json().expense.leafHash}/reject`,
    payload: { comment: 'Duplicate' },
    headers: bearer(bob.token),
  });
  t.equal(rejected.statusCode, 201);

  const unknown = await app.inject({
    method: 'POST',
    url: `/api/actors/garden/expenses/${'0'.repeat(64)}/approve`,
    headers: bearer(bob.token),
  });
  t.equal(unknown.json().error.code, 'EXPENSE_NOT_FOUND');
  const badDate = await app.inject({
    method: 'POST',
    url: '/api/actors/garden/expenses',
    payload: { ...expense(), items: [{ description: 'x', amount: '1', date: '2026-02-30' }] },
  });
  t.equal(badDate.json().error.code, 'VALIDATION_FAILED');
  const badType = await app.inject({
    method: 'POST',
    url: '/api/actors/garden/expenses',
    payload: { ...expense(), type: 'bribe' },
  });
  t.equal(badType.json().error.code, 'VALIDATION_FAILED');
  t.equal(
    (await app.inject({ method: 'POST', url: '/api/actors/nobody/expenses', payload: expense() })).json()
      .error.code,
    'ACTOR_NOT_FOUND',
  );
});

t.test('public expense filing is rate-limited', async (t) => {
  const { app, node } = await testNode(t, { rateLimits: { publicExpense: { max: 2, windowMs: 60_000 } } });
  await withActor(node);
  const codes: number[] = [];
  for (let i = 0; i < 3; i++) {
    codes.push(
      (await app.inject({ method: 'POST', url: '/api/actors/garden/expenses', payload: expense() }))
        .statusCode,
    );
  }
  t.same(codes, [201, 201, 429]);
  const limited = await app.inject({
    method: 'POST',
    url: '/api/actors/garden/expenses',
    payload: expense(),
  });
  t.equal(limited.json().error.code, 'RATE_LIMITED');
  t.ok(limited.headers['retry-after'], 'says when to retry');
});

t.test('login is rate-limited', async (t) => {
  const { app, node } = await testNode(t, { rateLimits: { login: { max: 2, windowMs: 60_000 } } });
  await withActor(node);
  const page = await app.inject({ url: '/login' });
  const codes: number[] = [];
  for (let i = 0; i < 3; i++) {
    const response = await app.inject({
      method: 'POST',
      url: '/login',
      headers: { ...FORM, cookie: cookieHeader(cookiesOf(page)) },
      payload: form({
        _csrf: csrfOf(page.body),
        actor: 'garden',
        username: 'alice',
        password: 'guess number one',
      }),
    });
    codes.push(response.statusCode);
  }
  t.same(codes, [401, 401, 429]);
});

t.test('refunds, updates and events', async (t) => {
  const { app, node } = await testNode(t);
  const { alice } = await withActor(node);
  const post = (path: string, payload: object) =>
    app.inject({ method: 'POST', url: `/api/actors/garden/${path}`, payload, headers: bearer(alice.token) });
  const gift = await post('contributions', { amount: '20', contributor: 'Max', message: 'For the garden' });
  const hash = gift.json().leafHash;
  t.equal(
    (await post('refunds', { contribution: hash, amount: '25' })).json().error.code,
    'REFUND_TOO_LARGE',
  );
  t.equal(
    (await post('refunds', { contribution: '1'.repeat(64), amount: '5' })).json().error.code,
    'CONTRIBUTION_NOT_FOUND',
  );
  const refund = await post('refunds', { contribution: hash, amount: '5', reason: 'Asked back' });
  t.equal(refund.statusCode, 201);
  t.match(refund.json().entry, { kind: 'Refund', contribution: hash, amount: '5.00' });

  const update = await post('updates', { title: 'Spring <planting>', body: 'We planted <b>tomatoes</b>.' });
  t.equal(update.statusCode, 201);
  t.match(update.json().entry, { kind: 'Update', title: 'Spring <planting>' });

  const event = {
    name: 'Work day',
    startTime: '2026-12-05T09:00:00Z',
    endTime: '2026-12-05T15:00:00Z',
    timeZone: 'Europe/Brussels',
    place: 'The garden',
    description: 'Bring gloves.',
  };
  t.equal((await post('events', event)).statusCode, 201);
  t.equal(
    (await post('events', { ...event, timeZone: 'Mars/Olympus' })).json().error.code,
    'INVALID_TIME_ZONE',
  );
  t.equal(
    (await post('events', { ...event, endTime: '2026-12-05T08:00:00Z' })).json().error.code,
    'INVALID_TIME_RANGE',
  );
  t.equal(
    (await post('events', { ...event, startTime: '5 Dec 2026' })).json().error.code,
    'VALIDATION_FAILED',
  );

  const balance = await app.inject({ url: '/api/actors/garden/balance' });
  t.same(balance.json(), { currency: 'EUR', balance: '15.00', size: 5 });
  const budget = await app.inject({ url: '/api/actors/garden/budget' });
  t.match(budget.json(), {
    balance: '15.00',
    income: { total: '20.00' },
    spending: { total: '5.00' },
    expenses: { pending: 0 },
  });
});

t.test('reads: pages, entries, leaves, checkpoint and proofs that verify', async (t) => {
  const { app, node } = await testNode(t);
  const { alice } = await withActor(node);
  for (let i = 1; i <= 6; i++) {
    await app.inject({
      method: 'POST',
      url: '/api/actors/garden/contributions',
      payload: { amount: `${i}` },
      headers: bearer(alice.token),
    });
  }
  const first = await app.inject({ url: '/api/actors/garden/entries?limit=4' });
  t.same(
    first.json().items.map((r: { seq: number }) => r.seq),
    [6, 5, 4, 3],
  );
  const second = await app.inject({ url: `/api/actors/garden/entries?limit=4&cursor=${first.json().next}` });
  t.same(
    second.json().items.map((r: { seq: number }) => r.seq),
    [2, 1, 0],
  );
  t.notOk(second.json().next);
  const oldest = await app.inject({ url: '/api/actors/garden/entries?order=oldest&limit=2' });
  t.same(
    oldest.json().items.map((r: { seq: number }) => r.seq),
    [0, 1],
  );
  t.equal(
    (await app.inject({ url: '/api/actors/garden/entries?limit=0' })).json().error.code,
    'VALIDATION_FAILED',
  );
  t.equal(
    (await app.inject({ url: '/api/actors/garden/entries?cursor=abc' })).json().error.code,
    'VALIDATION_FAILED',
  );

  const entry = await app.inject({ url: '/api/actors/garden/entries/3' });
  t.equal(entry.json().entry.seq, 3);
  const leaf = await app.inject({ url: '/api/actors/garden/entries/3/leaf' });
  t.equal(toHex(hashLeaf(leaf.rawPayload)), entry.json().leafHash, 'the leaf bytes hash to the leaf hash');
  const byHash = await app.inject({ url: `/api/actors/garden/hashes/${entry.json().leafHash}` });
  t.equal(byHash.json().seq, 3);
  t.equal((await app.inject({ url: '/api/actors/garden/entries/99' })).json().error.code, 'ENTRY_NOT_FOUND');
  t.equal((await app.inject({ url: `/api/actors/garden/hashes/${'a'.repeat(64)}` })).statusCode, 404);
  t.equal((await app.inject({ url: '/api/actors/nobody/entries' })).json().error.code, 'ACTOR_NOT_FOUND');

  const checkpoint = await app.inject({ url: '/api/actors/garden/checkpoint' });
  t.equal(checkpoint.statusCode, 200);
  t.match(checkpoint.headers['content-type'], /^text\/plain/);
  t.match(checkpoint.body, /^localhost:8080\/actors\/garden\n7\n/);

  const inclusion = (await app.inject({ url: '/api/actors/garden/proofs/inclusion?seq=3' })).json();
  t.ok(
    verifyInclusion({
      leafHash: fromHex(inclusion.leafHash),
      index: 3,
      size: inclusion.size,
      proof: inclusion.hashes.map(fromHex),
      root: fromHex(inclusion.rootHash),
    }).ok,
  );
  const consistency = (await app.inject({ url: '/api/actors/garden/proofs/consistency?from=3&to=7' })).json();
  t.ok(
    verifyConsistency({
      oldSize: 3,
      newSize: 7,
      oldRoot: fromHex(consistency.root1),
      newRoot: fromHex(consistency.root2),
      proof: consistency.hashes.map(fromHex),
    }).ok,
  );
  t.equal(
    (await app.inject({ url: '/api/actors/garden/proofs/inclusion?seq=9' })).json().error.code,
    'PROOF_RANGE',
  );
  t.equal(
    (await app.inject({ url: '/api/actors/garden/proofs/consistency?from=8' })).json().error.code,
    'PROOF_RANGE',
  );

  const actors = await app.inject({ url: '/api/actors' });
  t.match(actors.json(), { actors: [{ name: 'garden', type: 'Group', currency: 'EUR' }] });
  t.match((await app.inject({ url: '/api/actors/garden' })).json(), { size: 7 });
});
