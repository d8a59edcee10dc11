import t from 'tap';
import { fromHex, toHex } from '../encoding.ts';
import { rootOf } from './reference.ts';
import {
  appendLeaf,
  appendLeaves,
  decodeTreeState,
  EMPTY_TREE,
  encodeTreeState,
  hashLeaf,
  rangeNodes,
  type TreeState,
  treeRoot,
  treeStateFromNodes,
} from './tree.ts';

// The RFC 6962 reference data shared by certificate-transparency and transparency-dev/merkle
// (testonly/constants.go): eight leaves and the root of each prefix. Our values were computed
// independently by reference.ts and match these published ones.
const KNOWN_LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
];
const KNOWN_ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

/** Leaf hashes of distinct leaves `leaf-0`, `leaf-1`, … */
function leafHashes(count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => hashLeaf(new TextEncoder().encode(`leaf-${i}`)));
}

t.test('roots of the RFC 6962 reference data, incremental and by recursion', async (t) => {
  const leaves = KNOWN_LEAVES.map((hex) => hashLeaf(fromHex(hex)));
  let state: TreeState = EMPTY_TREE;
  for (let n = 0; n <= leaves.length; n++) {
    t.equal(toHex(treeRoot(state)), KNOWN_ROOTS[n], `incremental root of size ${n}`);
    t.equal(toHex(rootOf(leaves.slice(0, n))), KNOWN_ROOTS[n], `reference root of size ${n}`);
    if (n < leaves.length) state = appendLeaf(state, leaves[n] as Uint8Array).state;
  }
});

t.test('every size up to 300: same root as the recursion, every complete node reported once', async (t) => {
  const leaves = leafHashes(300);
  let state: TreeState = EMPTY_TREE;
  const stored = new Map<string, Uint8Array>();
  let mismatches = 0;
  for (let n = 1; n <= leaves.length; n++) {
    const result = appendLeaf(state, leaves[n - 1] as Uint8Array);
    state = result.state;
    for (const node of result.nodes) {
      const key = `${node.level}/${node.index}`;
      if (stored.has(key)) t.fail(`node ${key} reported twice`);
      stored.set(key, node.hash);
      // The node covers leaves [index·2^level, (index+1)·2^level), all present now.
      const width = 2 ** node.level;
      if ((node.index + 1) * width !== n) t.fail(`node ${key} finished by leaf ${n - 1}`);
      if (toHex(node.hash) !== toHex(rootOf(leaves.slice(node.index * width, (node.index + 1) * width)))) {
        mismatches++;
      }
    }
    if (toHex(treeRoot(state)) !== toHex(rootOf(leaves.slice(0, n)))) mismatches++;
    t.equal(state.frontier.length, rangeNodes(0, n).length);
  }
  t.equal(mismatches, 0, 'every root and node hash equals the recursive one');
  // A tree of n leaves has ⌊n/2^l⌋ complete nodes at level l.
  let complete = 0;
  for (let width = 1; width <= 300; width *= 2) complete += Math.floor(300 / width);
  t.equal(stored.size, complete, 'all complete nodes of the 300-leaf tree');
  const rebuilt = await treeStateFromNodes(
    300,
    async (level, index) => stored.get(`${level}/${index}`) as Uint8Array,
  );
  t.same(rebuilt, state, 'the state can be rebuilt from stored nodes');
});

t.test('state survives encoding: a restarted tree continues where it stopped', async (t) => {
  const leaves = leafHashes(77);
  const whole = appendLeaves(EMPTY_TREE, leaves).state;
  for (const cut of [0, 1, 2, 31, 32, 33, 64, 76]) {
    const bytes = encodeTreeState(appendLeaves(EMPTY_TREE, leaves.slice(0, cut)).state);
    t.equal(bytes.length, 8 + 32 * rangeNodes(0, cut).length, `compact encoding at ${cut}`);
    const resumed = appendLeaves(decodeTreeState(bytes), leaves.slice(cut)).state;
    t.same(resumed, whole, `resumed at ${cut}`);
  }
  t.equal(toHex(encodeTreeState(EMPTY_TREE)), '0000000000000000');
  // As storage hands them back: a Buffer at an offset in a larger (pooled) allocation.
  const stored = encodeTreeState(appendLeaves(EMPTY_TREE, leaves.slice(0, 7)).state);
  const pooled = Buffer.concat([Buffer.alloc(5), stored]).subarray(5);
  const decoded = decodeTreeState(pooled);
  pooled.fill(0);
  t.same(
    decoded,
    appendLeaves(EMPTY_TREE, leaves.slice(0, 7)).state,
    'decoded from a Buffer view, then copied',
  );
});

t.test('malformed input is refused', async (t) => {
  const three = appendLeaves(EMPTY_TREE, leafHashes(3)).state;
  const bytes = encodeTreeState(three);
  t.throws(() => decodeTreeState(bytes.slice(0, -1)), RangeError, 'truncated');
  t.throws(() => decodeTreeState(new Uint8Array(4)), RangeError, 'shorter than the size');
  const wrongSize = bytes.slice();
  wrongSize[7] = 4; // size 4 has one frontier hash, not two
  t.throws(() => decodeTreeState(wrongSize), RangeError, 'size and frontier disagree');
  const huge = new Uint8Array(8).fill(0xff);
  t.throws(() => decodeTreeState(huge), RangeError, 'size beyond 2^53');
  t.throws(() => appendLeaf(three, new Uint8Array(31)), RangeError, 'short leaf hash');
  t.throws(() => encodeTreeState({ size: 3, frontier: three.frontier.slice(1) }), RangeError);
});

t.test('rangeNodes decomposes ranges into complete subtrees', async (t) => {
  t.same(rangeNodes(0, 7), [
    { level: 2, index: 0 },
    { level: 1, index: 2 },
    { level: 0, index: 6 },
  ]);
  t.same(rangeNodes(8, 13), [
    { level: 2, index: 2 },
    { level: 0, index: 12 },
  ]);
  t.same(rangeNodes(5, 5), []);
});
