// Independent verification with Digital Bazaar's stack (jsonld-signatures, data-integrity,
// eddsa-jcs-2022-cryptosuite, ed25519-multikey): a second implementation of JCS, of the proof
// hashing and of the key's controller check (the key must be in the actor's assertionMethod).
// Only in-memory loaders: no network.
import t from 'tap';
import { nativeBackend } from '../../node/crypto/native.ts';
import {
  actorDocument,
  entryShapedNote,
  everyKindLedger,
  ledgerLoader,
  memoryLoader,
  type RemoteDocument,
} from '../../test-support/interop.ts';
import { HOST } from '../../test-support/ledger.ts';
import { keyPairFromSeed, nobleBackend } from '../crypto.ts';
import type { JsonObject } from '../jcs.ts';
import { createProof } from '../proof.ts';

type Loader = (url: string) => Promise<RemoteDocument>;

// These packages ship no types; these are the few calls the test makes.
interface VerifyResult {
  verified: boolean;
  error?: { errors?: { message: string }[]; message?: string };
}
interface Jsigs {
  verify(
    document: unknown,
    options: { suite: unknown; purpose: unknown; documentLoader: Loader },
  ): Promise<VerifyResult>;
  extendContextLoader(loader: Loader): Loader;
  purposes: { AssertionProofPurpose: new (options?: { controller?: unknown }) => unknown };
}
const jsigs = (await import('jsonld-signatures' as string)).default as Jsigs;
const { DataIntegrityProof } = (await import('@digitalbazaar/data-integrity' as string)) as {
  DataIntegrityProof: new (options: { cryptosuite: unknown }) => unknown;
};
const { createVerifyCryptosuite } = (await import('@digitalbazaar/eddsa-jcs-2022-cryptosuite' as string)) as {
  createVerifyCryptosuite: () => unknown;
};

/** Digital Bazaar's verdict, with the first error's message for the assertion's name. */
async function dbVerify(signed: JsonObject, loader: Loader): Promise<VerifyResult> {
  return jsigs.verify(signed, {
    suite: new DataIntegrityProof({ cryptosuite: createVerifyCryptosuite() }),
    purpose: new jsigs.purposes.AssertionProofPurpose(),
    documentLoader: jsigs.extendContextLoader(loader),
  });
}

function why(result: VerifyResult): string {
  return result.verified ? 'verified' : (result.error?.errors?.[0]?.message ?? result.error?.message ?? '?');
}

const COLLECTIVE = 'https://collective.example/actors/repair-cafe';
const keys = keyPairFromSeed(new Uint8Array(32).fill(9));
const impostor = keyPairFromSeed(new Uint8Array(32).fill(10));
const loader = memoryLoader({ [COLLECTIVE]: actorDocument(COLLECTIVE, 'Group', [keys.publicKey]) });

function signNote(backend = nobleBackend, secretKey = keys.secretKey): JsonObject & { proof: JsonObject } {
  return createProof(entryShapedNote(COLLECTIVE), {
    verificationMethod: `${COLLECTIVE}#ledger-key-0`,
    secretKey,
    created: new Date('2026-01-01T10:00:00Z'),
    backend,
  }) as unknown as JsonObject & { proof: JsonObject };
}

t.test('an entry-shaped Note signed by protocol/ verifies with Digital Bazaar', async (t) => {
  for (const backend of [nobleBackend, nativeBackend]) {
    const result = await dbVerify(signNote(backend), loader);
    t.equal(result.verified, true, `${backend.name}: ${why(result)}`);
  }
});

t.test('Digital Bazaar refuses the same Note once tampered with', async (t) => {
  const signed = signNote();
  const tamperings: [string, JsonObject][] = [
    ['amount', { ...signed, amount: '2500.00' }],
    ['seq', { ...signed, seq: 2 }],
    ['prev', { ...signed, prev: 'cd'.repeat(32) }],
    ['added field', { ...signed, memo: 'extra' }],
    ['removed field', (({ contributor: _, ...rest }) => rest)(signed)],
    ['proof created', { ...signed, proof: { ...signed.proof, created: '2026-01-01T10:00:01Z' } }],
    [
      'proof value',
      {
        ...signed,
        proof: {
          ...signed.proof,
          proofValue: signNote(nobleBackend, impostor.secretKey).proof.proofValue as string,
        },
      },
    ],
  ];
  const control = await dbVerify(signed, loader);
  t.equal(control.verified, true, `the untouched Note verifies (control): ${why(control)}`);
  for (const [what, tampered] of tamperings) {
    const result = await dbVerify(tampered, loader);
    t.equal(result.verified, false, `refused: ${what} (${why(result)})`);
  }
  const wrongKey = memoryLoader({ [COLLECTIVE]: actorDocument(COLLECTIVE, 'Group', [impostor.publicKey]) });
  t.equal((await dbVerify(signed, wrongKey)).verified, false, 'refused: the actor lists another key');
  // The key itself resolves, but its controller (the actor) does not list it in assertionMethod:
  // the purpose check, not the signature, must refuse it.
  const listed = memoryLoader({ [COLLECTIVE]: actorDocument(COLLECTIVE, 'Group', [keys.publicKey]) });
  const unlisted: Loader = async (url) => {
    if (url.includes('#')) return listed(url);
    const { document } = await listed(url);
    return {
      contextUrl: null,
      documentUrl: url,
      document: { ...(document as JsonObject), assertionMethod: [] },
    };
  };
  const result = await dbVerify(signed, unlisted);
  t.equal(result.verified, false, `refused: key not in the actor's assertionMethod (${why(result)})`);
});

t.test('every kind of real ledger entry verifies with Digital Bazaar', async (t) => {
  const w = everyKindLedger();
  const loader = ledgerLoader();
  t.equal(new Set(w.entries.map((e) => e.kind)).size, 15, 'all fifteen kinds are in the ledger');
  for (const entry of w.entries) {
    const result = await dbVerify(entry as unknown as JsonObject, loader);
    t.equal(result.verified, true, `#${entry.seq} ${entry.kind}: ${why(result)}`);
  }
  for (const entry of w.entries) {
    const tampered = { ...(entry as unknown as JsonObject), content: `${entry.content} ` };
    t.equal(
      (await dbVerify(tampered, loader)).verified,
      false,
      `#${entry.seq} ${entry.kind} refused once tampered`,
    );
  }
});

t.test(
  'host-signed objects embedded in entries verify with Digital Bazaar against the host key',
  async (t) => {
    const w = everyKindLedger();
    const loader = ledgerLoader();
    const embedded = w.entries.flatMap((e) => {
      const fields = e as unknown as Record<string, JsonObject | undefined>;
      return [fields.receipt, fields.countersignature, fields.payout].filter((o) => o !== undefined);
    });
    t.equal(embedded.length, 3, 'a receipt, a countersignature, a payout record');
    for (const object of embedded) {
      t.match((object.proof as JsonObject).verificationMethod, `${HOST}#`);
      const result = await dbVerify(object, loader);
      t.equal(result.verified, true, `${object.type}: ${why(result)}`);
      t.equal(
        (await dbVerify({ ...object, amount: '999.00' }, loader)).verified,
        false,
        `${object.type} tampered`,
      );
    }
  },
);
