import { chmod, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { nobleBackend } from '../../protocol/crypto.ts';
import { decodeMultikey } from '../../protocol/multikey.ts';
import { nativeBackend } from '../crypto/native.ts';
import {
  generateActorKeys,
  KeyFileError,
  keyFilePath,
  readActorKeys,
  readKeyFileText,
  removeActorKeys,
  writeActorKeys,
} from './keys.ts';

const identity = {
  id: 'http://localhost:8080/actors/repair-cafe',
  name: 'repair-cafe',
  type: 'Group' as const,
  origin: 'http://localhost:8080',
};

t.test('keys are written 0600 in a 0700 directory and load back identical', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cagnotte-keys-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const keys = generateActorKeys(identity, nativeBackend);
  t.not(
    Buffer.from(keys.ledger.secretKey).toString('hex'),
    Buffer.from(keys.checkpoint.secretKey).toString('hex'),
    'two distinct keys',
  );
  await writeActorKeys(dir, keys);
  t.equal((await stat(keyFilePath(dir, 'repair-cafe'))).mode & 0o777, 0o600, 'file mode 0600');
  t.equal((await stat(join(dir, 'keys'))).mode & 0o777, 0o700, 'directory mode 0700');
  t.same(await readdir(join(dir, 'keys')), ['repair-cafe.json'], 'no temporary file left behind');
  const loaded = await readActorKeys(dir, 'repair-cafe', nobleBackend);
  t.same(loaded, keys, 'round trip (public keys recomputed with another backend agree)');
  const text = await readKeyFileText(dir, 'repair-cafe');
  const file = JSON.parse(text);
  const decoded = decodeMultikey(file.ledgerKey.multikey);
  t.ok(
    decoded.ok && Buffer.from(decoded.publicKey).equals(Buffer.from(keys.ledger.publicKey)),
    'multikey of the ledger key',
  );
  t.equal(await readActorKeys(dir, 'nobody', nobleBackend), undefined, 'absent actor');
});

t.test('an existing key file is never overwritten by an exclusive write', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cagnotte-keys-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const first = generateActorKeys(identity, nativeBackend);
  await writeActorKeys(dir, first);
  await t.rejects(writeActorKeys(dir, generateActorKeys(identity, nativeBackend)), { code: 'EEXIST' });
  t.same(await readActorKeys(dir, 'repair-cafe', nativeBackend), first, 'the first keys stay');
  t.same(await readdir(join(dir, 'keys')), ['repair-cafe.json'], 'no temporary file left behind');
  const http = { privateKeyPem: 'PRIVATE', publicKeyPem: 'PUBLIC' };
  await writeActorKeys(dir, { ...first, http }, { exclusive: false });
  t.same(
    (await readActorKeys(dir, 'repair-cafe', nativeBackend))?.http,
    http,
    'non-exclusive rewrite adds the HTTP key',
  );
  await removeActorKeys(dir, 'repair-cafe');
  t.equal(await readActorKeys(dir, 'repair-cafe', nativeBackend), undefined, 'removed');
});

t.test('bad key files are refused with a reason', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cagnotte-keys-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const keys = generateActorKeys(identity, nativeBackend);
  await writeActorKeys(dir, keys);
  const path = keyFilePath(dir, 'repair-cafe');
  await chmod(path, 0o644);
  await t.rejects(
    readActorKeys(dir, 'repair-cafe', nativeBackend),
    KeyFileError,
    'world-readable file refused',
  );
  await chmod(path, 0o600);
  const file = JSON.parse(await readKeyFileText(dir, 'repair-cafe'));
  file.ledgerKey.multikey = file.checkpointKey.multikey;
  await writeFile(path, JSON.stringify(file));
  await t.rejects(
    readActorKeys(dir, 'repair-cafe', nativeBackend),
    /does not match its seed/,
    'mismatched public key',
  );
  await writeFile(path, '{not json');
  await t.rejects(readActorKeys(dir, 'repair-cafe', nativeBackend), /not JSON/);
  t.throws(() => keyFilePath(dir, '../etc'), RangeError, 'names cannot escape the directory');
  t.throws(() => keyFilePath(dir, 'Upper'), RangeError);
  t.throws(() => keyFilePath(dir, 'a'.repeat(64)), RangeError, 'at most 63 characters');
  t.doesNotThrow(() => keyFilePath(dir, 'a'.repeat(63)));
});
