import t from 'tap';
import { readVectorJson, readVectorText } from '../test-support/vectors.ts';
import { nobleBackend } from './crypto.ts';
import { fromBase58, toHex } from './encoding.ts';
import { canonicalize } from './jcs.ts';
import { decodeMultikey } from './multikey.ts';
import { createProof, hashData, verifyProof } from './proof.ts';

const dir = 'w3c-vc-di-eddsa/eddsa-jcs-2022/';
const keyPair = readVectorJson<{ publicKeyMultibase: string; privateKeyMultibase: string }>(
  `${dir}keyPair.json`,
);
const unsigned = readVectorJson<Record<string, never>>(`${dir}unsigned.json`);
const proofConfig = readVectorJson<Record<string, string>>(`${dir}proofConfigJCS.json`);
const signed = readVectorJson<Record<string, never>>(`${dir}signedJCS.json`);
// privateKeyMultibase is base58btc(0x80 0x26 || seed), the ed25519-priv multicodec.
const seed = fromBase58(keyPair.privateKeyMultibase.slice(1)).slice(2);
const decoded = decodeMultikey(keyPair.publicKeyMultibase);
if (!decoded.ok) throw new Error('vector key does not decode');
const publicKey = decoded.publicKey;

t.test('W3C eddsa-jcs-2022 vector, step by step', async (t) => {
  t.equal(canonicalize(unsigned), readVectorText(`${dir}canonDocJCS.txt`).trim(), 'canonical document');
  t.equal(
    canonicalize(proofConfig),
    readVectorText(`${dir}proofCanonJCS.txt`).trim(),
    'canonical proof config',
  );
  t.equal(
    toHex(hashData(proofConfig, unsigned)),
    readVectorText(`${dir}combinedHashJCS.txt`).trim(),
    'combined hash',
  );
  const result = createProof(unsigned, {
    verificationMethod: proofConfig.verificationMethod as string,
    secretKey: seed,
    created: new Date(proofConfig.created as string),
  });
  t.same(result, signed, 'signed document byte for byte');
  t.equal(result.proof.proofValue, readVectorText(`${dir}sigBTC58JCS.txt`).trim(), 'proofValue');
});

t.test('verifies the vector and rejects tampering with a named reason', async (t) => {
  t.same(verifyProof(signed, { publicKey, backend: nobleBackend }).ok, true);
  const tampered = structuredClone(signed) as Record<string, unknown>;
  (tampered.credentialSubject as Record<string, unknown>).alumniOf = 'Somewhere else';
  t.same(verifyProof(tampered as never, { publicKey }), { ok: false, reason: { type: 'invalidSignature' } });
  const extraField = structuredClone(signed) as Record<string, Record<string, unknown>>;
  (extraField.proof as Record<string, unknown>).id = 'urn:x';
  t.same(verifyProof(extraField as never, { publicKey }), {
    ok: false,
    reason: { type: 'malformedProof', field: 'id' },
  });
  const otherContext = structuredClone(signed) as Record<string, Record<string, unknown>>;
  (otherContext.proof as Record<string, unknown>)['@context'] = ['https://www.w3.org/ns/credentials/v2'];
  t.same(verifyProof(otherContext as never, { publicKey }), {
    ok: false,
    reason: { type: 'contextMismatch' },
  });
  t.same(verifyProof(signed, { publicKey, verificationMethod: 'https://elsewhere.example#k' }).ok, false);
});
