import t from 'tap';
import { MemoryStore } from '../storage/memory.ts';
import { AccountError, AuthStore, TOKEN_PREFIX } from './accounts.ts';
import { hashPassword, verifyPassword } from './passwords.ts';

// Low scrypt cost keeps the tests quick; the production default is checked separately below.
const scrypt = { N: 1024, r: 8, p: 1 };

t.test('scrypt hashes: salted, parameterised, verified in constant time', async (t) => {
  const a = await hashPassword('correct horse battery', scrypt);
  const b = await hashPassword('correct horse battery', scrypt);
  t.not(a, b, 'a fresh salt each time');
  t.match(a, /^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  t.ok(await verifyPassword('correct horse battery', a));
  t.notOk(await verifyPassword('correct horse batterz', a));
  t.notOk(await verifyPassword('x', 'md5$abc'));
  t.notOk(await verifyPassword('x', 'scrypt$0$8$1$AA$AA'));
  const strong = await hashPassword('the default cost', undefined);
  t.match(strong, /^scrypt\$32768\$8\$1\$/);
  t.ok(await verifyPassword('the default cost', strong));
});

t.test('accounts: create, refuse duplicates and weak input, check passwords', async (t) => {
  const auth = new AuthStore(new MemoryStore(), { scrypt });
  const account = await auth.createAccount({
    actor: 'garden',
    actorId: 'https://n.example/actors/garden',
    username: 'alice',
    password: 'a long enough password',
    email: 'Alice@Example.org',
  });
  t.equal(account.id, 'https://n.example/actors/garden/admins/alice');
  t.equal(account.email, 'alice@example.org');
  const duplicate = await auth
    .createAccount({ actor: 'garden', actorId: 'x', username: 'alice', password: 'another long password' })
    .catch((error: unknown) => error);
  t.match(duplicate, { problem: { type: 'exists' } });
  t.throws(() => AuthStore.checkNewAccount('Alice!', 'a long enough password'), AccountError);
  try {
    AuthStore.checkNewAccount('bob', 'short');
    t.fail('a short password is refused');
  } catch (error) {
    t.match(error, { problem: { type: 'shortPassword', min: 12 } });
  }
  t.equal((await auth.checkPassword('garden', 'alice', 'a long enough password'))?.id, account.id);
  t.equal(await auth.checkPassword('garden', 'alice', 'wrong password!!'), undefined);
  t.equal(await auth.checkPassword('garden', 'nobody', 'a long enough password'), undefined);
  t.equal(
    await auth.checkPassword('other', 'alice', 'a long enough password'),
    undefined,
    'accounts are per actor',
  );
  t.same(
    (await auth.listAccounts('garden')).map((a) => a.username),
    ['alice'],
  );
});

t.test('sessions expire and tokens are stored only as hashes', async (t) => {
  let now = Date.UTC(2026, 0, 1);
  const store = new MemoryStore();
  const auth = new AuthStore(store, { scrypt, now: () => now });
  const account = await auth.createAccount({
    actor: 'g',
    actorId: 'https://n.example/actors/g',
    username: 'bob',
    password: 'a long enough password',
  });
  const session = await auth.createSession(account, 60);
  t.match(await auth.resolveSession(session.token), { accountId: account.id, actor: 'g', via: 'session' });
  t.equal(await auth.resolveSession(`${session.token}x`), undefined);
  now += 61_000;
  t.equal(await auth.resolveSession(session.token), undefined, 'expired');
  const again = await auth.createSession(account, 60);
  await auth.deleteSession(again.token);
  t.equal(await auth.resolveSession(again.token), undefined, 'logged out');

  const token = await auth.createToken(account, 'cli');
  t.ok(token.startsWith(TOKEN_PREFIX));
  t.match(await auth.resolveToken(token), { accountId: account.id, via: 'token' });
  t.equal(await auth.resolveToken(`${TOKEN_PREFIX}nope`), undefined);
  const stored: string[] = [];
  for await (const [key, value] of store.sublevel('auth', 'tokens').entries())
    stored.push(key + new TextDecoder().decode(value));
  t.equal(stored.length, 1);
  t.notMatch(stored[0], token.slice(TOKEN_PREFIX.length), 'the token itself is not stored');
});
