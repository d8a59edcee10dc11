import { createHash } from 'node:crypto';
import t from 'tap';
import { commit, isCommitmentValid, MIN_SALT_BYTES, verifyCommitment } from './commitment.ts';
import { nobleBackend } from './crypto.ts';

const salt = Uint8Array.from({ length: 16 }, (_, i) => i);
const iban = 'BE68 5390 0754 7034';

t.test('a commitment is hex SHA-256(salt || UTF-8(value))', async (t) => {
  const expected = createHash('sha256').update(salt).update(Buffer.from(iban, 'utf8')).digest('hex');
  t.equal(commit(iban, salt), expected, 'matches node:crypto computed independently');
  t.equal(
    commit('é', salt),
    createHash('sha256').update(salt).update(Buffer.from('é', 'utf8')).digest('hex'),
  );
  t.equal(commit(iban, salt, nobleBackend), expected);
  t.not(
    commit(iban, salt),
    commit(
      iban,
      Uint8Array.from({ length: 16 }, (_, i) => i + 1),
    ),
    'the salt matters',
  );
});

t.test('opening a commitment', async (t) => {
  const c = commit(iban, salt);
  t.same(verifyCommitment(c, iban, salt), { ok: true });
  t.ok(isCommitmentValid(c, iban, salt));
  t.same(verifyCommitment(c, `${iban} `, salt), { ok: false, reason: { type: 'mismatch' } });
  t.same(verifyCommitment(c.toUpperCase(), iban, salt), {
    ok: false,
    reason: { type: 'malformedCommitment' },
  });
  t.same(verifyCommitment(c, iban, salt.slice(0, 15)), {
    ok: false,
    reason: { type: 'saltTooShort', length: 15 },
  });
  t.throws(() => commit(iban, new Uint8Array(MIN_SALT_BYTES - 1)), RangeError);
});
