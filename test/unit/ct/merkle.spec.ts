import assert from 'node:assert/strict';
import { MemoryHashTree } from '../../../ct/hash-tree.js';
import {
  EMPTY_ROOT,
  consistencyProof,
  frontierFromLastLeaf,
  MerkleFrontier,
  hashChildren,
  hashLeaf,
  inclusionProof,
  perfectSubtrees,
  rootHash,
  rootOfLeafHashes,
  verifyConsistency,
  verifyInclusion,
} from '../../../ct/merkle.js';
import { LEAVES, ROOTS } from '../../vectors/merkle.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const H = {
  L0: '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  L1: '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
  L2: '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7',
  L3: '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7',
  L4: 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
  L5: '4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658',
  L6: 'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
  L7: '46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1',
  n01: 'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  n23: '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
  n45: '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
  n67: 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
  n03: 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  n47: '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
  e46: '837dbb152e9b079010717e84e865da4ebc0fa198a806d59d31bf15accef22d0e',
};
type K = keyof typeof H;

/** The RFC 6962 §2.1 definition, recursively, as an independent reference. */
function mth(hashes: Buffer[]): Buffer {
  if (hashes.length === 0) return EMPTY_ROOT;
  if (hashes.length === 1) return hashes[0]!;
  let k = 1;
  while (k * 2 < hashes.length) k *= 2;
  return hashChildren(mth(hashes.slice(0, k)), mth(hashes.slice(k)));
}

function treeOf(leafHashes: Buffer[]): MemoryHashTree {
  const t = new MemoryHashTree();
  for (const h of leafHashes) t.append(h);
  return t;
}

const leafHashes = (n: number): Buffer[] => Array.from({ length: n }, (_, i) => hashLeaf(Buffer.from(`leaf ${i}`)));
const flip = (b: Buffer): Buffer => {
  const c = Buffer.from(b);
  c[0]! ^= 1;
  return c;
};

describe('ct/merkle', () => {
  const tree = treeOf(LEAVES.map(hashLeaf));

  it('hashes the standard leaves', () => {
    const names: K[] = ['L0', 'L1', 'L2', 'L3', 'L4', 'L5', 'L6', 'L7'];
    LEAVES.forEach((leaf, i) => assert.equal(hashLeaf(leaf).toString('hex'), H[names[i]!]));
  });

  it('gives the published roots for sizes 0..8', async () => {
    for (let n = 0; n <= 8; n++) {
      assert.equal((await rootHash(tree, n)).toString('hex'), ROOTS[n], `size ${n}`);
      assert.equal(rootOfLeafHashes(LEAVES.slice(0, n).map(hashLeaf)).toString('hex'), ROOTS[n]);
    }
    assert.equal((await rootHash(tree, 8)).toString('base64'), 'XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=');
  });

  it('keeps the perfect interior nodes', () => {
    assert.equal(tree.node({ level: 1, index: 2 }).toString('hex'), H.n45);
    assert.equal(tree.node({ level: 2, index: 1 }).toString('hex'), H.n47);
    assert.throws(() => treeOf(LEAVES.slice(0, 7).map(hashLeaf)).node({ level: 2, index: 1 }), RangeError);
  });

  const inclusion: [number, number, K[]][] = [
    [0, 1, []],
    [0, 8, ['L1', 'n23', 'n47']],
    [1, 8, ['L0', 'n23', 'n47']],
    [2, 8, ['L3', 'n01', 'n47']],
    [3, 8, ['L2', 'n01', 'n47']],
    [4, 8, ['L5', 'n67', 'n03']],
    [5, 8, ['L4', 'n67', 'n03']],
    [6, 8, ['L7', 'n45', 'n03']],
    [7, 8, ['L6', 'n45', 'n03']],
    [2, 3, ['n01']],
    [1, 5, ['L0', 'n23', 'L4']],
    [3, 7, ['L2', 'n01', 'e46']],
    [0, 7, ['L1', 'n23', 'e46']],
    [4, 7, ['L5', 'L6', 'n03']],
    [6, 7, ['n45', 'n03']],
    [4, 6, ['L5', 'n03']],
  ];
  for (const [index, size, want] of inclusion) {
    it(`inclusion proof leaf ${index} size ${size}`, async () => {
      const proof = await inclusionProof(tree, index, size);
      assert.deepEqual(proof.map((p) => p.toString('hex')), want.map((k) => H[k]));
      assert.ok(verifyInclusion(index, size, hashLeaf(LEAVES[index]!), proof, hex(ROOTS[size]!)));
    });
  }

  const consistency: [number, number, K[]][] = [
    [1, 1, []],
    [1, 8, ['L1', 'n23', 'n47']],
    [6, 8, ['n45', 'n67', 'n03']],
    [2, 5, ['n23', 'L4']],
    [6, 7, ['n45', 'L6', 'n03']],
    [3, 7, ['L2', 'L3', 'n01', 'e46']],
    [4, 7, ['e46']],
    [4, 8, ['n47']],
    [5, 8, ['L4', 'L5', 'n67', 'n03']],
    [3, 4, ['L2', 'L3', 'n01']],
    [7, 8, ['L6', 'L7', 'n45', 'n03']],
    [1, 2, ['L1']],
  ];
  for (const [first, second, want] of consistency) {
    it(`consistency proof ${first} -> ${second}`, async () => {
      const proof = await consistencyProof(tree, first, second);
      assert.deepEqual(proof.map((p) => p.toString('hex')), want.map((k) => H[k]));
      assert.ok(verifyConsistency(first, second, hex(ROOTS[first]!), hex(ROOTS[second]!), proof));
    });
  }

  it('rejects impossible proof requests', async () => {
    await assert.rejects(inclusionProof(tree, 8, 8), RangeError);
    await assert.rejects(consistencyProof(tree, 5, 4), RangeError);
    assert.deepEqual(await consistencyProof(tree, 0, 8), []);
  });

  it('decomposes ranges into aligned perfect subtrees', () => {
    assert.deepEqual(perfectSubtrees({ start: 0, end: 7 }), [
      { level: 2, index: 0 },
      { level: 1, index: 2 },
      { level: 0, index: 6 },
    ]);
    assert.deepEqual(perfectSubtrees({ start: 8, end: 16 }), [{ level: 3, index: 1 }]);
  });

  it('every root and inclusion proof up to size 100 matches the recursive definition and verifies', async () => {
    const all = leafHashes(100);
    const t = treeOf(all);
    for (let n = 1; n <= 100; n++) {
      const root = await rootHash(t, n);
      assert.ok(root.equals(mth(all.slice(0, n))), `root ${n}`);
      for (let i = 0; i < n; i++) {
        const proof = await inclusionProof(t, i, n);
        assert.ok(verifyInclusion(i, n, all[i]!, proof, root), `leaf ${i} size ${n}`);
        assert.ok(!verifyInclusion(i, n, flip(all[i]!), proof, root));
        if (proof.length > 0) {
          const j = (i * 7) % proof.length;
          const tampered = proof.map((p, k) => (k === j ? flip(p) : p));
          assert.ok(!verifyInclusion(i, n, all[i]!, tampered, root), `tampered ${i}/${n}`);
          assert.ok(!verifyInclusion(i, n, all[i]!, proof.slice(0, -1), root));
        }
        assert.ok(!verifyInclusion(i, n, all[i]!, [...proof, root], root));
        if (n > 1) assert.ok(!verifyInclusion((i + 1) % n, n, all[i]!, proof, root) || all[i]!.equals(all[(i + 1) % n]!));
      }
    }
  });

  it('every consistency proof up to size 64 verifies and tampering fails', async () => {
    const all = leafHashes(64);
    const t = treeOf(all);
    const roots = [EMPTY_ROOT];
    for (let n = 1; n <= 64; n++) roots.push(await rootHash(t, n));
    for (let n = 1; n <= 64; n++) {
      for (let m = 1; m <= n; m++) {
        const proof = await consistencyProof(t, m, n);
        assert.ok(verifyConsistency(m, n, roots[m]!, roots[n]!, proof), `${m} -> ${n}`);
        if (m < n) {
          const j = (m + n) % proof.length;
          assert.ok(!verifyConsistency(m, n, roots[m]!, roots[n]!, proof.map((p, k) => (k === j ? flip(p) : p))));
          assert.ok(!verifyConsistency(m, n, flip(roots[m]!), roots[n]!, proof));
          assert.ok(!verifyConsistency(m, n, roots[m]!, roots[n]!, proof.slice(1)));
          assert.ok(!verifyConsistency(m, n, roots[m]!, roots[n]!, []));
        }
      }
    }
    assert.ok(verifyConsistency(0, 5, EMPTY_ROOT, roots[5]!, []));
    assert.ok(!verifyConsistency(3, 3, roots[3]!, roots[4]!, []));
  });
  describe('MerkleFrontier', () => {
    it('resumes from its stored hashes and computes every root as the recursive definition does', () => {
      const hashes = leafHashes(70);
      for (let n = 0; n <= 70; n++) {
        const first = new MerkleFrontier();
        hashes.slice(0, n).forEach((h) => first.push(h));
        assert.ok(first.root().equals(mth(hashes.slice(0, n))), `root at ${n}`);
        // As the monitor does: store size + hashes, restore, keep appending.
        const resumed = new MerkleFrontier(first.size, first.hashes);
        hashes.slice(n).forEach((h) => resumed.push(h));
        assert.ok(resumed.root().equals(mth(hashes)), `resumed at ${n}`);
      }
    });

    it('names every perfect subtree a leaf completes, with its hash, smallest first', async () => {
      const hashes = leafHashes(37);
      const t = treeOf(hashes);
      for (const start of [0, 1, 5, 8, 13]) {
        const f = new MerkleFrontier();
        hashes.slice(0, start).forEach((h) => f.push(h));
        const seen: { level: number; index: number; hash: Buffer }[] = [];
        for (const h of hashes.slice(start)) f.push(h, (id, hash) => seen.push({ ...id, hash }));
        // Every node (level ≥ 1) lying inside [0, 37) and ending after `start`, each once.
        const want: string[] = [];
        for (const leaf of hashes.keys())
          for (let level = 1; (leaf + 1) % 2 ** level === 0; level++) if (leaf >= start) want.push(`${level}:${(leaf + 1) / 2 ** level - 1}`);
        assert.deepEqual(seen.map((n) => `${n.level}:${n.index}`), want, `from ${start}`);
        const stored = await t.getNodes(seen);
        seen.forEach((n, k) => assert.ok(n.hash.equals(stored[k]!), `node ${n.level}:${n.index}`));
      }
    });

    it('refuses hashes that do not fit the size', () => {
      assert.throws(() => new MerkleFrontier(3, [hashLeaf(Buffer.from('a'))]), /3 leaves is 2 hashes/);
      assert.throws(() => new MerkleFrontier(1, [Buffer.alloc(31)]), /32 bytes/);
    });

    it('is rebuilt from the last leaf and its audit path (following from the end of a log)', async () => {
      const hashes = leafHashes(40);
      const t = treeOf(hashes);
      for (let n = 1; n <= 40; n++) {
        const proof = await inclusionProof(t, n - 1, n);
        const f = frontierFromLastLeaf(n, hashes[n - 1]!, proof);
        assert.ok(f, `frontier at ${n}`);
        assert.ok(f.root().equals(mth(hashes.slice(0, n))), `root at ${n}`);
        if (proof.length > 0) assert.ok(!frontierFromLastLeaf(n, hashes[n - 1]!, [flip(proof[0]!), ...proof.slice(1)])!.root().equals(f.root()));
        assert.equal(frontierFromLastLeaf(n, hashes[n - 1]!, [...proof, hashes[0]!]), null, `a proof one hash too long at ${n}`);
      }
    });
  });
});
