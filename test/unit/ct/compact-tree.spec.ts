import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { CompactHashTree, DigestArray } from '../../../ct/compact-tree.js';
import { DigestIndex, RUN_BLOCK, RunReader, sortedRun } from '../../../ct/file-index.js';
import { MemoryHashTree } from '../../../ct/hash-tree.js';
import {
  EMPTY_ROOT,
  consistencyProof,
  hashChildren,
  hashLeaf,
  inclusionProof,
  rootHash,
  rootOfLeafHashes,
  verifyConsistency,
  verifyInclusion,
} from '../../../ct/merkle.js';
import { LEAVES, ROOTS } from '../../vectors/merkle.js';

const L = (i: number): string => hashLeaf(LEAVES[i]!).toString('hex');
const n23 = '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e';
const n47 = '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4';
const n45 = '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a';
const n67 = 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0';
const n03 = 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7';
const n01 = 'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125';
const e46 = '837dbb152e9b079010717e84e865da4ebc0fa198a806d59d31bf15accef22d0e';

/** RFC 6962 §2.1 recursively, as an independent reference. */
function mth(h: Buffer[]): Buffer {
  if (h.length === 0) return EMPTY_ROOT;
  if (h.length === 1) return h[0]!;
  let k = 1;
  while (k * 2 < h.length) k *= 2;
  return hashChildren(mth(h.slice(0, k)), mth(h.slice(k)));
}

/** RFC 6962 §2.1.1 PATH, recursively. */
function path(m: number, h: Buffer[]): Buffer[] {
  if (h.length <= 1) return [];
  let k = 1;
  while (k * 2 < h.length) k *= 2;
  return m < k ? [...path(m, h.slice(0, k)), mth(h.slice(k))] : [...path(m - k, h.slice(k)), mth(h.slice(0, k))];
}

const digest = (i: number): Buffer => createHash('sha256').update(`leaf ${i}`).digest();
const treeOf = (hashes: Buffer[], capacity?: number): CompactHashTree => {
  const t = new CompactHashTree(capacity);
  hashes.forEach((h) => t.append(h));
  return t;
};
const hexes = (bs: Buffer[]): string[] => bs.map((b) => b.toString('hex'));

describe('CompactHashTree', () => {
  const vectorTree = treeOf(LEAVES.map(hashLeaf));

  it('gives the RFC 6962 test-vector roots for every size 0..8', async () => {
    for (let n = 0; n <= 8; n++) {
      assert.equal(vectorTree.root(n).toString('hex'), ROOTS[n], `size ${n} (sync)`);
      assert.equal((await rootHash(vectorTree, n)).toString('hex'), ROOTS[n], `size ${n} (HashSource)`);
    }
  });

  it('serves the published perfect nodes and leaf hashes', () => {
    assert.equal(vectorTree.leafHash(3).toString('hex'), L(3));
    assert.equal(vectorTree.node({ level: 1, index: 1 }).toString('hex'), n23);
    assert.equal(vectorTree.node({ level: 2, index: 1 }).toString('hex'), n47);
    assert.equal(vectorTree.node({ level: 3, index: 0 }).toString('hex'), ROOTS[8]);
    assert.throws(() => vectorTree.node({ level: 3, index: 1 }), RangeError);
    assert.throws(() => vectorTree.node({ level: 4, index: 0 }), RangeError);
    assert.throws(() => vectorTree.leafHash(8), RangeError);
    assert.throws(() => treeOf(LEAVES.slice(0, 7).map(hashLeaf)).node({ level: 2, index: 1 }), RangeError);
  });

  it('gives the RFC 6962 §2.1.3 inclusion and consistency proofs', async () => {
    assert.deepEqual(hexes(await inclusionProof(vectorTree, 0, 8)), [L(1), n23, n47]);
    assert.deepEqual(hexes(await inclusionProof(vectorTree, 5, 8)), [L(4), n67, n03]);
    assert.deepEqual(hexes(await inclusionProof(vectorTree, 3, 7)), [L(2), n01, e46]);
    assert.deepEqual(hexes(await inclusionProof(vectorTree, 6, 7)), [n45, n03]);
    assert.deepEqual(hexes(await consistencyProof(vectorTree, 6, 8)), [n45, n67, n03]);
    assert.deepEqual(hexes(await consistencyProof(vectorTree, 3, 7)), [L(2), L(3), n01, e46]);
    assert.deepEqual(hexes(await consistencyProof(vectorTree, 4, 7)), [e46]);
  });

  it('matches the recursive reference for every proof up to 40 leaves', async () => {
    const hashes = Array.from({ length: 40 }, (_, i) => digest(i));
    const t = treeOf(hashes, 1);
    for (let n = 1; n <= 40; n++) {
      const root = mth(hashes.slice(0, n));
      assert.ok(t.root(n).equals(root), `root ${n}`);
      for (let m = 0; m < n; m++) {
        const proof = await inclusionProof(t, m, n);
        assert.deepEqual(hexes(proof), hexes(path(m, hashes.slice(0, n))), `inclusion ${m}/${n}`);
        assert.ok(verifyInclusion(m, n, hashes[m]!, proof, root));
        assert.ok(verifyConsistency(m + 1, n, mth(hashes.slice(0, m + 1)), root, await consistencyProof(t, m + 1, n)));
      }
    }
  });

  it('keeps every root right while growing across capacity boundaries', () => {
    const hashes = Array.from({ length: 1100 }, (_, i) => digest(i));
    for (const capacity of [1, 3, 16]) {
      const t = new CompactHashTree(capacity);
      for (let i = 0; i < hashes.length; i++) {
        assert.equal(t.append(hashes[i]!), i);
        if ([1, 2, 3, 4, 5, 16, 17, 31, 32, 33, 64, 65, 127, 128, 129, 1023, 1024, 1025, 1100].includes(i + 1))
          assert.ok(t.root().equals(rootOfLeafHashes(hashes.slice(0, i + 1))), `capacity ${capacity}, size ${i + 1}`);
      }
      // Nodes written before a buffer grew are still intact afterwards.
      for (let i = 0; i < hashes.length; i += 97) assert.ok(t.leafHash(i).equals(hashes[i]!));
      assert.ok(t.root(77).equals(rootOfLeafHashes(hashes.slice(0, 77))));
    }
  });

  it('hands out copies, not views of its buffers', () => {
    const t = treeOf([digest(0), digest(1)]);
    t.leafHash(0).fill(0);
    (t.node({ level: 1, index: 0 })).fill(0);
    assert.ok(t.leafHash(0).equals(digest(0)));
    assert.ok(t.root().equals(hashChildren(digest(0), digest(1))));
  });

  it('is still exported as MemoryHashTree', () => {
    const t = new MemoryHashTree();
    t.append(digest(5));
    assert.ok(t instanceof CompactHashTree);
    assert.equal(t.size, 1);
  });

  it('holds a million leaves in about 64 MB', function () {
    this.timeout(60_000);
    const t = new CompactHashTree();
    const leaf = Buffer.alloc(32);
    const started = process.hrtime.bigint();
    for (let i = 0; i < 1_000_000; i++) {
      leaf.writeUInt32BE(i, 0);
      t.append(leaf);
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const mb = t.memoryBytes / 2 ** 20;
    console.log(`      1,000,000 appends: ${ms.toFixed(0)} ms, node buffers ${mb.toFixed(1)} MiB`);
    assert.ok(mb < 72, `${mb} MiB`);
    assert.ok(t.leafHash(999_999).readUInt32BE(0) === 999_999);
  });
});

describe('DigestIndex', () => {
  it('maps digests to the lowest value across growth', () => {
    const keys = new DigestArray(1);
    const index = new DigestIndex(keys);
    for (let i = 0; i < 5000; i++) {
      keys.push(digest(i % 3000));
      assert.equal(index.addIfAbsent(i), i < 3000);
    }
    assert.equal(index.size, 3000);
    for (let i = 0; i < 3000; i += 7) assert.equal(index.get(digest(i)), i);
    assert.equal(index.get(digest(3000)), undefined);
    assert.equal(index.get(Buffer.alloc(5)), undefined);
  });

  it('also has an on-disk form: a sorted run, found through its fence and block reads, lowest index first', () => {
    const keys = new DigestArray(1);
    for (let i = 0; i < 1000; i++) keys.push(digest(i % 700));
    // Same 4-byte prefix, different keys: the run must compare the full key.
    keys.push(Buffer.concat([digest(5).subarray(0, 4), Buffer.alloc(28, 0xee)]));
    const count = keys.length;
    const run = sortedRun(keys.buffer, 0, 0, count);
    for (let j = 1; j < count; j++) {
      const [p0, i0, p1, i1] = [run[2 * j - 2]!, run[2 * j - 1]!, run[2 * j]!, run[2 * j + 1]!];
      assert.ok(p0 < p1 || (p0 === p1 && i0 < i1), `run order at ${j}`);
    }
    const bytes = Buffer.from(run.buffer);
    const fence = Uint32Array.from({ length: Math.ceil(count / RUN_BLOCK) }, (_, b) => run[2 * b * RUN_BLOCK]!);
    let reads = 0;
    const reader = new RunReader(0, count, fence, (into, at) => { reads++; bytes.copy(into, 0, at, at + into.length); }, (i) => keys.at(i));
    for (const i of [0, 5, 350, 699]) assert.equal(reader.find(digest(i)), i);
    assert.equal(reader.find(keys.at(1000)), 1000);
    assert.equal(reader.find(digest(700)), undefined);
    assert.equal(reader.find(Buffer.alloc(5)), undefined);
    assert.ok(reads <= 12, `block reads: ${reads}`);
  });
});

describe('DigestArray.adopt', () => {
  it('adopts a buffer without a copy and refuses one too small', () => {
    const buf = Buffer.alloc(32 * 4);
    digest(9).copy(buf, 32);
    const a = DigestArray.adopt(buf, 2);
    assert.ok(a.at(1).equals(digest(9)));
    a.push(digest(3));
    assert.ok(buf.subarray(64, 96).equals(digest(3)));
    assert.throws(() => DigestArray.adopt(Buffer.alloc(64), 3), /cannot adopt 3 digests/);
  });
});
