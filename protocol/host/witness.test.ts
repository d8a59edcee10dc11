import t from 'tap';
import { signCheckpoint } from '../checkpoint.ts';
import { verifyCosignedCheckpoint } from '../cosignature.ts';
import { utf8 } from '../encoding.ts';
import { referenceConsistencyProof, rootOf } from '../merkle/reference.ts';
import { hashLeaf } from '../merkle/tree.ts';
import { noteKeyFromSeed, SIG_TYPE_COSIGNATURE, verifierKeyOf } from '../note.ts';
import { type CosignedState, checkForCosigning, cosignatureLine } from './witness.ts';

const ORIGIN = 'repair.example/actors/repair-cafe';
const logKey = noteKeyFromSeed(ORIGIN, new Uint8Array(32).fill(5));
const witnessKey = noteKeyFromSeed(
  'host.example/actors/brussels-together',
  new Uint8Array(32).fill(6),
  SIG_TYPE_COSIGNATURE,
);
const otherLog = noteKeyFromSeed(ORIGIN, new Uint8Array(32).fill(7));
const TIME = 1_795_000_000;

const leaves = Array.from({ length: 9 }, (_, i) => hashLeaf(utf8(`entry ${i}`)));
const forked = [...leaves.slice(0, 5), ...Array.from({ length: 4 }, (_, i) => hashLeaf(utf8(`other ${i}`)))];

function note(hashes: Uint8Array[], key = logKey): string {
  return signCheckpoint(
    { origin: ORIGIN, size: hashes.length, rootHash: rootOf(hashes), extensions: [] },
    key,
  );
}
function state(hashes: Uint8Array[]): CosignedState {
  return { size: hashes.length, rootHash: rootOf(hashes), note: note(hashes) };
}
const base = { logKey: verifierKeyOf(logKey), origin: ORIGIN };

t.test('a first checkpoint, then a consistent one, are accepted and cosigned', async (t) => {
  const first = checkForCosigning({ ...base, note: note(leaves.slice(0, 3)), proof: [] });
  t.match(first, { ok: true, unchanged: false, checkpoint: { size: 3 } });
  const next = checkForCosigning({
    ...base,
    note: note(leaves),
    proof: referenceConsistencyProof(3, leaves),
    last: state(leaves.slice(0, 3)),
  });
  t.match(next, { ok: true, unchanged: false, checkpoint: { size: 9 } });
  if (!next.ok) return;
  const cosigned = `${note(leaves)}${cosignatureLine(next.checkpoint, witnessKey, TIME)}`;
  const verified = verifyCosignedCheckpoint(cosigned, {
    logKeys: [verifierKeyOf(logKey)],
    witnessKeys: [verifierKeyOf(witnessKey)],
  });
  t.match(verified, { ok: true, cosignatures: [{ name: witnessKey.name, time: TIME }] });
  t.match(
    checkForCosigning({ ...base, note: note(leaves), proof: [], last: state(leaves) }),
    {
      ok: true,
      unchanged: true,
    },
    'the same checkpoint again',
  );
});

t.test('refusals: bad signature, stale, fork, inconsistent', async (t) => {
  t.match(checkForCosigning({ ...base, note: note(leaves, otherLog), proof: [] }), {
    ok: false,
    reason: { type: 'checkpoint' },
  });
  t.match(checkForCosigning({ ...base, origin: 'elsewhere.example', note: note(leaves), proof: [] }), {
    ok: false,
    reason: { type: 'checkpoint', failure: { type: 'originMismatch' } },
  });
  t.match(
    checkForCosigning({
      ...base,
      note: note(leaves.slice(0, 4)),
      proof: [],
      last: state(leaves.slice(0, 5)),
    }),
    {
      ok: false,
      reason: { type: 'stale', size: 4, cosignedSize: 5 },
    },
  );
  t.match(checkForCosigning({ ...base, note: note(forked), proof: [], last: state(leaves) }), {
    ok: false,
    reason: { type: 'fork' },
    checkpoint: { size: 9 },
  });
  // The fork grew from entry 5 on: no proof from the honest size-7 tree can reach it.
  const honest7 = state(leaves.slice(0, 7));
  t.match(
    checkForCosigning({
      ...base,
      note: note(forked),
      proof: referenceConsistencyProof(7, forked),
      last: honest7,
    }),
    {
      ok: false,
      reason: { type: 'inconsistent', failure: { type: 'rootMismatch' } },
    },
  );
  t.match(checkForCosigning({ ...base, note: note(leaves), proof: [], last: honest7 }), {
    ok: false,
    reason: { type: 'inconsistent', failure: { type: 'badProofLength' } },
  });
});
