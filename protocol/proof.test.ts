import t from 'tap';
import { readVectorJson, readVectorText } from '../test-support/vectors.ts';
import { nobleBackend } from './crypto.ts';
import { fromBase58, toHex } from './encoding.ts';
import { canonicalize, type JsonObject } from './jcs.ts';
import { decodeMultikey } from './multikey.ts';
import { createProof, hashData, isProofValid, verifyProof } from './proof.ts';

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
  t.equal(isProofValid(signed, { publicKey }), true, 'the boolean form says the same');
  t.equal(isProofValid(tampered as never, { publicKey }), false);
});

interface Fep8b32 {
  secretKeyMultibase: string;
  created: string;
  verificationMethod: string;
  unsignedDocument: JsonObject;
  signedDocument: JsonObject & { proof: { proofValue: string } };
  actor: { assertionMethod: { id: string; publicKeyMultibase: string }[] };
}
const fep = readVectorJson<Fep8b32>('fep-8b32-activity.json');

t.test('FEP-8b32: the example verifies with the key from the actor document', async (t) => {
  const method = fep.actor.assertionMethod.find((m) => m.id === fep.verificationMethod);
  const key = method === undefined ? undefined : decodeMultikey(method.publicKeyMultibase);
  if (key === undefined || !key.ok) throw new Error('the actor lists no usable key for the proof');
  const result = verifyProof(fep.signedDocument, {
    publicKey: key.publicKey,
    verificationMethod: fep.verificationMethod,
  });
  t.same(result.ok, true, 'verifies');
  const tampered = structuredClone(fep.signedDocument) as Record<string, Record<string, unknown>>;
  (tampered.object as Record<string, unknown>).content = 'Hello world!';
  t.same(verifyProof(tampered as JsonObject, { publicKey: key.publicKey }), {
    ok: false,
    reason: { type: 'invalidSignature' },
  });
});

t.test('FEP-8b32: signing the example reproduces it byte for byte', async (t) => {
  const secret = fromBase58(fep.secretKeyMultibase.slice(1));
  t.same([...secret.subarray(0, 2)], [0x80, 0x26], 'ed25519-priv multicodec');
  const signed = createProof(fep.unsignedDocument, {
    verificationMethod: fep.verificationMethod,
    secretKey: secret.slice(2),
    created: new Date(fep.created),
  });
  t.equal(canonicalize(signed), canonicalize(fep.signedDocument), 'canonical form of the signed document');
  t.equal(signed.proof.proofValue, fep.signedDocument.proof.proofValue, 'proofValue');
});

t.test('FEP-8b32: the JSON vector is the feature file, transcribed', async (t) => {
  const feature = readVectorText('fep/fep-8b32.feature');
  const blocks = [...feature.matchAll(/"""([\s\S]*?)"""/g)].map((m) => JSON.parse(m[1] as string));
  t.equal(blocks.length, 4, 'document, signed document, signed document, actor');
  t.same(blocks[0], fep.unsignedDocument, 'unsigned document');
  t.same(blocks[1], fep.signedDocument, 'signed document (signing scenario)');
  t.same(blocks[2], fep.signedDocument, 'signed document (verifying scenario)');
  t.same(blocks[3], fep.actor, 'actor');
  t.match(feature, `Ed25519 secret key "${fep.secretKeyMultibase}"`);
  t.match(feature, `current time "${fep.created}"`);
});
