// Independent verification: what protocol/ signs, Fedify's own eddsa-jcs-2022 implementation
// (WebCrypto, its own JCS, its own key fetching through the actor document) must accept, and a
// tampered copy it must refuse. Only in-memory loaders: no network.
import { verifyProof as fedifyVerifyProof, verifyObject } from '@fedify/fedify';
import { DataIntegrityProof, Note } from '@fedify/vocab';
import t from 'tap';
import { nativeBackend } from '../../node/crypto/native.ts';
import {
  actorDocument,
  entryShapedNote,
  everyKindLedger,
  type FragmentMode,
  ledgerLoader,
  memoryLoader,
  type RemoteDocument,
} from '../../test-support/interop.ts';
import { ACTOR, HOST } from '../../test-support/ledger.ts';
import { keyPairFromSeed, nobleBackend } from '../crypto.ts';
import type { JsonObject } from '../jcs.ts';
import { createProof } from '../proof.ts';

type Loader = (url: string) => Promise<RemoteDocument>;

/** Fedify's `verifyProof` on the document's own proof: true when it returns the signer's key. */
async function fedifyVerifies(signed: JsonObject, loader: Loader): Promise<boolean> {
  const { proof, ...rest } = signed as JsonObject & { proof: JsonObject };
  const parsed = await DataIntegrityProof.fromJsonLd(
    { '@context': rest['@context'], ...proof },
    { documentLoader: loader, contextLoader: loader },
  );
  const key = await fedifyVerifyProof(signed, parsed, { documentLoader: loader, contextLoader: loader });
  return key !== null;
}

const COLLECTIVE = 'https://collective.example/actors/repair-cafe';
const keys = keyPairFromSeed(new Uint8Array(32).fill(9));
const impostor = keyPairFromSeed(new Uint8Array(32).fill(10));
const modes: FragmentMode[] = ['document', 'verificationMethod'];

function signNote(backend = nobleBackend, secretKey = keys.secretKey): JsonObject {
  return createProof(entryShapedNote(COLLECTIVE), {
    verificationMethod: `${COLLECTIVE}#ledger-key-0`,
    secretKey,
    created: new Date('2026-01-01T10:00:00.123Z'),
    backend,
  });
}

t.test('an entry-shaped Note signed by protocol/ verifies with Fedify', async (t) => {
  for (const mode of modes) {
    const loader = memoryLoader({ [COLLECTIVE]: actorDocument(COLLECTIVE, 'Group', [keys.publicKey]) }, mode);
    for (const backend of [nobleBackend, nativeBackend]) {
      t.equal(
        await fedifyVerifies(signNote(backend), loader),
        true,
        `${backend.name}, key served as ${mode}`,
      );
    }
  }
});

t.test('Fedify refuses the same Note once tampered with', async (t) => {
  const loader = memoryLoader({ [COLLECTIVE]: actorDocument(COLLECTIVE, 'Group', [keys.publicKey]) });
  const signed = signNote() as JsonObject & { proof: JsonObject };
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
          proofValue: (signNote(nobleBackend, impostor.secretKey).proof as JsonObject).proofValue as string,
        },
      },
    ],
  ];
  t.equal(await fedifyVerifies(signed, loader), true, 'the untouched Note verifies (control)');
  for (const [what, tampered] of tamperings) {
    t.equal(await fedifyVerifies(tampered, loader), false, `refused: ${what}`);
  }
  const wrongKey = memoryLoader({ [COLLECTIVE]: actorDocument(COLLECTIVE, 'Group', [impostor.publicKey]) });
  t.equal(await fedifyVerifies(signed, wrongKey), false, 'refused: the actor lists another key');
});

t.test('every kind of real ledger entry verifies with Fedify', async (t) => {
  const w = everyKindLedger();
  const kinds = new Set(w.entries.map((e) => e.kind));
  t.equal(kinds.size, 15, 'all fifteen kinds are in the ledger');
  for (const mode of modes) {
    const loader = ledgerLoader(mode);
    for (const entry of w.entries) {
      const doc = entry as unknown as JsonObject;
      t.equal(await fedifyVerifies(doc, loader), true, `#${entry.seq} ${entry.kind} (${mode})`);
    }
  }
  const loader = ledgerLoader();
  for (const entry of w.entries) {
    const tampered = { ...(entry as unknown as JsonObject), content: `${entry.content} ` };
    t.equal(
      await fedifyVerifies(tampered, loader),
      false,
      `#${entry.seq} ${entry.kind} refused once tampered`,
    );
  }
});

t.test('host-signed objects embedded in entries verify with Fedify against the host key', async (t) => {
  const w = everyKindLedger();
  const loader = ledgerLoader();
  const embedded = w.entries.flatMap((e) => {
    const fields = e as unknown as Record<string, JsonObject | undefined>;
    return [fields.receipt, fields.countersignature, fields.payout].filter((o) => o !== undefined);
  });
  t.equal(embedded.length, 3, 'a receipt, a countersignature, a payout record');
  for (const object of embedded) {
    t.match((object.proof as JsonObject).verificationMethod, `${HOST}#`);
    t.equal(await fedifyVerifies(object, loader), true, `${object.type} verifies`);
    t.equal(await fedifyVerifies({ ...object, amount: '999.00' }, loader), false, `${object.type} tampered`);
  }
});

// verifyObject goes further than verifyProof: it expands the entry as JSON-LD, parses it as a
// Note and checks that the signing key belongs to the actor it is attributed to.
t.test(
  'Fedify verifyObject accepts every entry as a Note attributed to the actor that signed it',
  async (t) => {
    const w = everyKindLedger();
    const loader = ledgerLoader();
    const options = { documentLoader: loader, contextLoader: loader };
    for (const entry of w.entries) {
      const doc = entry as unknown as JsonObject;
      let note: Note | null = null;
      try {
        note = await verifyObject(Note, doc, options);
      } catch (error) {
        t.fail(`#${entry.seq} ${entry.kind}: ${(error as Error).message}`);
        continue;
      }
      t.equal(
        note?.attributionId?.href,
        ACTOR,
        `#${entry.seq} ${entry.kind} verified, attributed to the actor`,
      );
      const tampered = { ...doc, content: `${entry.content} ` };
      t.equal(await verifyObject(Note, tampered, options), null, `#${entry.seq} ${entry.kind} tampered`);
    }
  },
);
