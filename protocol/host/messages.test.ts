import t from 'tap';
import { nobleBackend } from '../crypto.ts';
import { encodeMultikey } from '../multikey.ts';
import {
  HostMessageError,
  isHostMessageValid,
  jsonDigest,
  signHostMessage,
  verifyHostMessage,
} from './messages.ts';

const COLLECTIVE = 'https://repair.example/actors/repair-cafe';
const HOST = 'https://host.example/actors/brussels-together';
const collectiveSeed = new Uint8Array(32).fill(1);
const hostSeed = new Uint8Array(32).fill(2);
const collectiveKey = nobleBackend.publicKey(collectiveSeed);
const hostKey = nobleBackend.publicKey(hostSeed);
const TIME = new Date('2026-11-27T10:00:00Z');

function application() {
  return signHostMessage(
    'HostApplication',
    {
      collective: COLLECTIVE,
      host: HOST,
      currency: 'EUR',
      ledgerKey: encodeMultikey(collectiveKey),
      checkpointKey: encodeMultikey(nobleBackend.publicKey(new Uint8Array(32).fill(3))),
      origin: 'repair.example/actors/repair-cafe',
      feeBasisPoints: 500,
      terms: jsonDigest({ feeBasisPoints: 500 }),
      message: 'We fix bikes and toasters.',
    },
    { verificationMethod: `${COLLECTIVE}#ledger-key-0`, secretKey: collectiveSeed, time: TIME },
  );
}

t.test('an application verifies with the collective key and nothing else', async (t) => {
  const signed = application();
  t.equal(signed.proof.verificationMethod, `${COLLECTIVE}#ledger-key-0`);
  t.same(verifyHostMessage(signed, 'HostApplication', { publicKey: collectiveKey }), {
    ok: true,
    message: signed,
  });
  t.match(verifyHostMessage(signed, 'HostApplication', { publicKey: hostKey }), {
    ok: false,
    reason: { type: 'proof', proof: { type: 'invalidSignature' } },
  });
  const tampered = { ...signed, feeBasisPoints: 0 };
  t.match(verifyHostMessage(tampered, 'HostApplication', { publicKey: collectiveKey }), {
    ok: false,
    reason: { type: 'proof', proof: { type: 'invalidSignature' } },
  });
  t.match(
    verifyHostMessage(signed, 'HostMembership', { publicKey: collectiveKey }),
    {
      ok: false,
      reason: { type: 'schemaViolation' },
    },
    'a signature for one type is not one for another',
  );
  t.match(verifyHostMessage({ ...signed, extra: 1 }, 'HostApplication', { publicKey: collectiveKey }), {
    ok: false,
    reason: { type: 'schemaViolation', path: '/extra', message: 'unknown member' },
  });
  t.notOk(
    isHostMessageValid(
      { ...signed, proof: { ...signed.proof, verificationMethod: `${HOST}#ledger-key-0` } },
      'HostApplication',
      { publicKey: collectiveKey },
    ),
  );
});

t.test('the host signs memberships and refusals; a signer that is not the host is refused', async (t) => {
  const membership = signHostMessage(
    'HostMembership',
    {
      host: HOST,
      collective: COLLECTIVE,
      application: jsonDigest(application()),
      decision: 'accepted',
      hostKey: encodeMultikey(hostKey),
      feeBasisPoints: 500,
    },
    { verificationMethod: `${HOST}#ledger-key-0`, secretKey: hostSeed, time: TIME },
  );
  t.ok(isHostMessageValid(membership, 'HostMembership', { publicKey: hostKey }));
  t.notOk(isHostMessageValid(membership, 'HostMembership', { publicKey: collectiveKey }));
  t.throws(
    () =>
      signHostMessage(
        'CountersignRefusal',
        {
          host: HOST,
          collective: COLLECTIVE,
          expense: 'a'.repeat(64),
          code: 'insufficientBalance',
          reason: 'No.',
        },
        { verificationMethod: `${COLLECTIVE}#ledger-key-0`, secretKey: collectiveSeed, time: TIME },
      ),
    HostMessageError,
  );
  t.throws(
    () =>
      signHostMessage(
        'CountersignRefusal',
        { host: HOST, collective: COLLECTIVE, expense: 'nope', code: 'x', reason: 'No.' },
        { verificationMethod: `${HOST}#ledger-key-0`, secretKey: hostSeed, time: TIME },
      ),
    { name: 'HostMessageError', reason: { type: 'schemaViolation', path: '/expense' } },
  );
});

t.test('the digest is of the canonical JSON, whatever the key order', async (t) => {
  t.equal(jsonDigest({ a: 1, b: [2] }), jsonDigest({ b: [2], a: 1 }));
  t.equal(
    jsonDigest({}),
    '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
    'SHA-256 of "{}"',
  );
});
