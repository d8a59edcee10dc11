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

t.test(
  'API tokens: verified ones are remembered for a while, by hash, and forgotten on delete',
  async (t) => {
    let now = Date.UTC(2026, 0, 1);
    const store = new MemoryStore();
    const auth = new AuthStore(store, { scrypt, now: () => now, tokenCacheMs: 30_000, tokenCacheSize: 2 });
    const account = await auth.createAccount({
      actor: 'g',
      actorId: 'https://n.example/actors/g',
      username: 'carol',
      password: 'a long enough password',
    });
    const tokens = store.sublevel('auth', 'tokens');
    const keyOf = async (token: string) => {
      const keys: string[] = [];
      for await (const key of tokens.keys()) keys.push(key);
      const { createHash } = await import('node:crypto');
      const key = createHash('sha256').update(token).digest('hex');
      t.ok(keys.includes(key), 'stored by its hash');
      return key;
    };

    // A record removed behind the store's back shows what is answered from memory.
    const a = await auth.createToken(account, 'a');
    t.match(await auth.resolveToken(a), { accountId: account.id, via: 'token' });
    await tokens.del(await keyOf(a));
    t.match(await auth.resolveToken(a), { accountId: account.id }, 'answered from memory');
    now += 30_001;
    t.equal(await auth.resolveToken(a), undefined, 'after the time limit the store is asked again');

    const b = await auth.createToken(account, 'b');
    t.ok(await auth.resolveToken(b));
    await auth.deleteToken(b);
    t.equal(await auth.resolveToken(b), undefined, 'a deleted token is refused at once');

    // Bounded: with room for two, the least recently verified is forgotten.
    const [c, d, e] = [
      await auth.createToken(account, 'c'),
      await auth.createToken(account, 'd'),
      await auth.createToken(account, 'e'),
    ];
    t.ok(await auth.resolveToken(c));
    t.ok(await auth.resolveToken(d));
    t.ok(await auth.resolveToken(c), 'c is now the most recent');
    t.ok(await auth.resolveToken(e), 'e pushes out d');
    await tokens.del(await keyOf(d));
    await tokens.del(await keyOf(c));
    t.equal(await auth.resolveToken(d), undefined, 'd was forgotten, so the store answers');
    t.ok(await auth.resolveToken(c), 'c was kept');

    // A delete that overlaps a lookup's store read leaves nothing cached.
    const f = await auth.createToken(account, 'f');
    const lookup = auth.resolveToken(f);
    await auth.deleteToken(f);
    await lookup;
    t.equal(await auth.resolveToken(f), undefined, 'not re-cached by the overlapping lookup');

    const off = new AuthStore(store, { scrypt, tokenCacheMs: 0 });
    const g = await off.createToken(account, 'g');
    t.ok(await off.resolveToken(g));
    await tokens.del(await keyOf(g));
    t.equal(await off.resolveToken(g), undefined, 'with the cache off every lookup reads the store');
  },
);
