import fc from 'fast-check';
import t from 'tap';
import { fromHex, toHex } from '../encoding.ts';
import {
  consistencyPlan,
  consistencyProof,
  inclusionPlan,
  inclusionProof,
  type NodeReader,
  planNodes,
} from './proof.ts';
import { referenceConsistencyProof, referenceInclusionProof, rootOf } from './reference.ts';
import { appendLeaf, EMPTY_TREE, hashLeaf, type TreeState, treeRoot } from './tree.ts';
import {
  type ConsistencyInput,
  consistencyProofLength,
  type InclusionInput,
  inclusionProofLength,
  isConsistencyValid,
  isInclusionValid,
  verifyConsistency,
  verifyInclusion,
} from './verify.ts';

const MAX = 300;
const leaves = Array.from({ length: MAX }, (_, i) => hashLeaf(new TextEncoder().encode(`entry ${i}`)));
const roots: Uint8Array[] = [];
const store = new Map<string, Uint8Array>();
{
  let state: TreeState = EMPTY_TREE;
  roots.push(treeRoot(state));
  for (const leaf of leaves) {
    const result = appendLeaf(state, leaf);
    state = result.state;
    for (const node of result.nodes) store.set(`${node.level}/${node.index}`, node.hash);
    roots.push(treeRoot(state));
  }
}

/** A store reader for the tree of `size` leaves: it refuses nodes that tree does not have yet. */
function readerAt(size: number): NodeReader {
  return async (level, index) => {
    if ((index + 1) * 2 ** level > size)
      throw new Error(`node ${level}/${index} is not complete at size ${size}`);
    return store.get(`${level}/${index}`) as Uint8Array;
  };
}

// Sizes ≤ 64 completely; above, every index/old size at a stride of 13 (odd, so every residue mod each power of two comes up).
function positions(size: number, from: number): number[] {
  const stride = size <= 64 ? 1 : 13;
  const out: number[] = [];
  for (let i = from; i < size; i += stride) out.push(i);
  if (out[out.length - 1] !== size - 1 && size - 1 >= from) out.push(size - 1);
  return out;
}

const hex = (hashes: readonly Uint8Array[]) => hashes.map(toHex);

function flipped(hash: Uint8Array, bit = 0): Uint8Array {
  const copy = hash.slice();
  copy[bit >> 3] = (copy[bit >> 3] as number) ^ (1 << (bit & 7));
  return copy;
}

t.test('proofs of the RFC 6962 reference data (certificate-transparency test data)', async (t) => {
  const known = [
    '',
    '00',
    '10',
    '2021',
    '3031',
    '40414243',
    '5051525354555657',
    '606162636465666768696a6b6c6d6e6f',
  ].map((h) => hashLeaf(fromHex(h)));
  const nodes = new Map<string, Uint8Array>();
  let state: TreeState = EMPTY_TREE;
  for (const leaf of known) {
    const result = appendLeaf(state, leaf);
    state = result.state;
    for (const node of result.nodes) nodes.set(`${node.level}/${node.index}`, node.hash);
  }
  const read: NodeReader = async (level, index) => nodes.get(`${level}/${index}`) as Uint8Array;
  t.same(hex(await inclusionProof(0, 8, read)), [
    '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
  ]);
  t.same(hex(await consistencyProof(6, 8, read)), [
    '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  ]);
  t.same(hex(await consistencyProof(2, 5, read)), [
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
  ]);
  t.same(await consistencyProof(1, 1, read), [], 'equal sizes: empty proof');
  t.same(await consistencyProof(0, 8, read), [], 'from the empty tree: empty proof');
});

t.test(`inclusion proofs, every size up to ${MAX}`, async (t) => {
  let checked = 0;
  let failures = 0;
  for (let size = 1; size <= MAX; size++) {
    const root = roots[size] as Uint8Array;
    const otherRoot = roots[size + 1] ?? (roots[size - 1] as Uint8Array);
    const otherSize = size < MAX ? size + 1 : size - 1;
    for (const index of positions(size, 0)) {
      const proof = await inclusionProof(index, size, readerAt(size));
      const leafHash = leaves[index] as Uint8Array;
      const input: InclusionInput = { leafHash, index, size, proof, root };
      const problems: string[] = [];
      if (size <= 64 || index % 91 === 0 || index === size - 1) {
        if (hex(proof).join() !== hex(referenceInclusionProof(index, leaves.slice(0, size))).join()) {
          problems.push('differs from the RFC recursion');
        }
      }
      if (proof.length !== inclusionProofLength(index, size)) problems.push('length formula');
      if (planNodes(inclusionPlan(index, size)).length > 2 * Math.log2(size) + 2)
        problems.push('reads too many nodes');
      if (!isInclusionValid(input)) problems.push('does not verify');
      proof.forEach((_, i) => {
        const tampered = proof.map((h, j) => (j === i ? flipped(h, (i * 37) % 256) : h));
        if (verifyInclusion({ ...input, proof: tampered }).ok) problems.push(`flipped hash ${i} verifies`);
        const dropped = proof.filter((_, j) => j !== i);
        if (verifyInclusion({ ...input, proof: dropped }).ok) problems.push(`dropped hash ${i} verifies`);
      });
      if (verifyInclusion({ ...input, proof: [...proof, root] }).ok) problems.push('added hash verifies');
      if (verifyInclusion({ ...input, proof: [root, ...proof] }).ok) problems.push('prepended hash verifies');
      if (verifyInclusion({ ...input, leafHash: flipped(leafHash, 200) }).ok)
        problems.push('other leaf verifies');
      if (verifyInclusion({ ...input, root: flipped(root, 5) }).ok) problems.push('other root verifies');
      for (const other of [index - 1, index + 1]) {
        if (other >= 0 && other < size && verifyInclusion({ ...input, index: other }).ok) {
          problems.push(`index ${other} verifies`);
        }
      }
      if (isInclusionValid({ ...input, size: otherSize, root: otherRoot }))
        problems.push('other size verifies');
      if (problems.length > 0) {
        failures++;
        t.fail(`leaf ${index} of ${size}: ${problems.join(', ')}`);
      }
      checked++;
    }
  }
  t.equal(failures, 0, `${checked} inclusion proofs checked with their tamperings`);
});

t.test(`consistency proofs, every size up to ${MAX}`, async (t) => {
  let checked = 0;
  let failures = 0;
  for (let newSize = 1; newSize <= MAX; newSize++) {
    const newRoot = roots[newSize] as Uint8Array;
    for (const oldSize of positions(newSize + 1, 1)) {
      const oldRoot = roots[oldSize] as Uint8Array;
      const proof = await consistencyProof(oldSize, newSize, readerAt(newSize));
      const input: ConsistencyInput = { oldSize, newSize, oldRoot, newRoot, proof };
      const problems: string[] = [];
      if (newSize <= 64 || oldSize % 91 === 0 || oldSize === newSize - 1) {
        const reference = referenceConsistencyProof(oldSize, leaves.slice(0, newSize));
        if (hex(proof).join() !== hex(reference).join()) problems.push('differs from the RFC recursion');
      }
      const expectedLength = oldSize === newSize ? 0 : consistencyProofLength(oldSize, newSize);
      if (proof.length !== expectedLength) problems.push('length formula');
      if (!isConsistencyValid(input)) problems.push('does not verify');
      proof.forEach((_, i) => {
        const tampered = proof.map((h, j) => (j === i ? flipped(h, (i * 53) % 256) : h));
        if (verifyConsistency({ ...input, proof: tampered }).ok) problems.push(`flipped hash ${i} verifies`);
        const dropped = proof.filter((_, j) => j !== i);
        if (verifyConsistency({ ...input, proof: dropped }).ok) problems.push(`dropped hash ${i} verifies`);
      });
      if (verifyConsistency({ ...input, proof: [...proof, newRoot] }).ok)
        problems.push('added hash verifies');
      if (verifyConsistency({ ...input, oldRoot: flipped(oldRoot, 9) }).ok)
        problems.push('other old root verifies');
      if (verifyConsistency({ ...input, newRoot: flipped(newRoot, 9) }).ok)
        problems.push('other new root verifies');
      // A changed size is checked against that size's real root: what a lying checkpoint would carry.
      for (const other of [oldSize - 1, oldSize + 1]) {
        if (other >= 1 && other <= newSize && other !== oldSize) {
          const changed = { ...input, oldSize: other, oldRoot: roots[other] as Uint8Array };
          if (isConsistencyValid(changed)) problems.push(`old size ${other} verifies`);
        }
      }
      for (const other of [newSize - 1, newSize + 1]) {
        if (other >= oldSize && other <= MAX && other !== newSize) {
          const changed = { ...input, newSize: other, newRoot: roots[other] as Uint8Array };
          if (isConsistencyValid(changed)) problems.push(`new size ${other} verifies`);
        }
      }
      if (problems.length > 0) {
        failures++;
        t.fail(`${oldSize} → ${newSize}: ${problems.join(', ')}`);
      }
      checked++;
    }
  }
  t.equal(failures, 0, `${checked} consistency proofs checked with their tamperings`);
});

t.test('random tampering (fast-check) is always caught', async (t) => {
  const sizeAndIndex = fc
    .integer({ min: 1, max: MAX })
    .chain((size) => fc.tuple(fc.constant(size), fc.nat(size - 1)));
  await fc.assert(
    fc.asyncProperty(sizeAndIndex, fc.nat(), fc.nat(255), async ([size, index], which, bit) => {
      const proof = await inclusionProof(index, size, readerAt(size));
      const input = {
        leafHash: leaves[index] as Uint8Array,
        index,
        size,
        proof,
        root: roots[size] as Uint8Array,
      };
      if (proof.length === 0)
        return verifyInclusion({ ...input, leafHash: flipped(input.leafHash, bit) }).ok === false;
      const at = which % proof.length;
      const tampered = proof.map((h, j) => (j === at ? flipped(h, bit) : h));
      return verifyInclusion({ ...input, proof: tampered }).ok === false;
    }),
    { numRuns: 300 },
  );
  const sizes = fc
    .integer({ min: 2, max: MAX })
    .chain((n) => fc.tuple(fc.integer({ min: 1, max: n - 1 }), fc.constant(n)));
  await fc.assert(
    fc.asyncProperty(sizes, fc.nat(), fc.nat(255), async ([oldSize, newSize], which, bit) => {
      const proof = await consistencyProof(oldSize, newSize, readerAt(newSize));
      const at = which % proof.length;
      const tampered = proof.map((h, j) => (j === at ? flipped(h, bit) : h));
      const result = verifyConsistency({
        oldSize,
        newSize,
        oldRoot: roots[oldSize] as Uint8Array,
        newRoot: roots[newSize] as Uint8Array,
        proof: tampered,
      });
      return !result.ok && result.reason.type === 'rootMismatch';
    }),
    { numRuns: 300 },
  );
  t.pass('300 random inclusion and 300 random consistency tamperings rejected');
});

t.test('failures name their reason', async (t) => {
  const leafHash = leaves[5] as Uint8Array;
  const root = roots[10] as Uint8Array;
  const proof = await inclusionProof(5, 10, readerAt(10));
  const input = { leafHash, index: 5, size: 10, proof, root };
  t.same(verifyInclusion(input), { ok: true });
  t.same(verifyInclusion({ ...input, index: 10 }).ok ? null : verifyInclusion({ ...input, index: 10 }), {
    ok: false,
    reason: { type: 'indexOutOfRange', index: 10, size: 10 },
  });
  t.same(verifyInclusion({ ...input, proof: proof.slice(1) }), {
    ok: false,
    reason: { type: 'badProofLength', expected: proof.length, actual: proof.length - 1 },
  });
  t.same(verifyInclusion({ ...input, root: flipped(root) }), { ok: false, reason: { type: 'rootMismatch' } });
  t.same(verifyInclusion({ ...input, leafHash: leafHash.slice(1) }), {
    ok: false,
    reason: { type: 'badHashLength', field: 'leafHash' },
  });
  t.same(verifyInclusion({ ...input, size: 2.5 }), { ok: false, reason: { type: 'invalidSize', size: 2.5 } });

  const cproof = await consistencyProof(3, 10, readerAt(10));
  const cinput = { oldSize: 3, newSize: 10, oldRoot: roots[3] as Uint8Array, newRoot: root, proof: cproof };
  t.same(verifyConsistency(cinput), { ok: true });
  t.same(verifyConsistency({ ...cinput, oldSize: 11 }), {
    ok: false,
    reason: { type: 'sizeOutOfOrder', oldSize: 11, newSize: 10 },
  });
  t.same(verifyConsistency({ ...cinput, oldRoot: roots[4] as Uint8Array }), {
    ok: false,
    reason: { type: 'rootMismatch', which: 'old' },
  });
  t.same(verifyConsistency({ ...cinput, newRoot: roots[9] as Uint8Array }), {
    ok: false,
    reason: { type: 'rootMismatch', which: 'new' },
  });
  t.same(verifyConsistency({ ...cinput, proof: [] }), {
    ok: false,
    reason: { type: 'badProofLength', expected: cproof.length, actual: 0 },
  });
  const same = { oldSize: 10, newSize: 10, oldRoot: root, newRoot: root, proof: [] };
  t.same(verifyConsistency(same), { ok: true }, 'equal sizes, equal roots');
  t.same(verifyConsistency({ ...same, oldRoot: roots[9] as Uint8Array }), {
    ok: false,
    reason: { type: 'rootMismatch', which: 'new' },
  });
  t.same(verifyConsistency({ ...same, proof: [root] }), {
    ok: false,
    reason: { type: 'badProofLength', expected: 0, actual: 1 },
  });
  t.same(
    verifyConsistency({ ...same, oldSize: 0, oldRoot: roots[0] as Uint8Array }),
    { ok: true },
    'from empty',
  );
});

t.test('plans refuse impossible requests and stay within 2^53', async (t) => {
  t.throws(() => inclusionPlan(3, 3), RangeError);
  t.throws(() => inclusionPlan(-1, 3), RangeError);
  t.throws(() => consistencyPlan(4, 3), RangeError);
  t.throws(() => consistencyPlan(1, 2 ** 53), RangeError);
  const size = Number.MAX_SAFE_INTEGER;
  const index = size - 2;
  const plan = inclusionPlan(index, size);
  t.equal(plan.length, inclusionProofLength(index, size), 'plan length equals the formula near 2^53');
  t.ok(planNodes(plan).length <= 2 * 53, 'O(log n) node reads');
  t.equal(consistencyPlan(2 ** 40 + 3, size).length, consistencyProofLength(2 ** 40 + 3, size));
});

t.test('rootOf agrees with the incremental tree on the empty tree', async (t) => {
  t.equal(toHex(rootOf([])), toHex(roots[0] as Uint8Array));
});
