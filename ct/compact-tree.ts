// An in-memory RFC 6962 Merkle tree that keeps every level of perfect-subtree hashes in contiguous growable Buffers
// (32 bytes per node, capacity doubling) instead of one Buffer object per node: n leaves cost about 2n·32 bytes
// (~64 MB for a million leaves) and no per-node garbage, an append costs O(log n) hashes, and any node, root or proof
// is O(log n) lookups.
import { hash } from 'node:crypto';
import { EMPTY_ROOT, foldSubtrees, perfectSubtrees, type HashSource, type NodeId } from './merkle.js';

export const DIGEST_BYTES = 32;

/** A growable array of 32-byte digests in one Buffer (capacity doubling). */
export class DigestArray {
  private buf: Buffer;
  private count = 0;

  constructor(initialCapacity = 16) {
    this.buf = Buffer.allocUnsafe(Math.max(1, initialCapacity) * DIGEST_BYTES);
  }

  /** A DigestArray holding the first `count` digests of `buf` (whose spare bytes are its capacity), without a copy. */
  static adopt(buf: Buffer, count: number): DigestArray {
    if (!Number.isSafeInteger(count) || count < 0 || count * DIGEST_BYTES > buf.length || buf.length < DIGEST_BYTES)
      throw new RangeError(`cannot adopt ${count} digests from ${buf.length} bytes`);
    const a = new DigestArray(1);
    a.buf = buf;
    a.count = count;
    return a;
  }

  get length(): number {
    return this.count;
  }

  /** The backing buffer: digest i is at bytes [32·i, 32·i + 32). Replaced (not mutated in place) when it grows. */
  get buffer(): Buffer {
    return this.buf;
  }

  /** Bytes held, including spare capacity. */
  get capacityBytes(): number {
    return this.buf.length;
  }

  push(digest: Uint8Array): number {
    if (digest.length !== DIGEST_BYTES) throw new RangeError(`a digest must be ${DIGEST_BYTES} bytes, not ${digest.length}`);
    if ((this.count + 1) * DIGEST_BYTES > this.buf.length) {
      const grown = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(grown, 0, 0, this.count * DIGEST_BYTES);
      this.buf = grown;
    }
    this.buf.set(digest, this.count * DIGEST_BYTES);
    return this.count++;
  }

  /** A view of digest i (valid for as long as you keep it: stored digests never change). */
  view(i: number): Buffer {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) throw new RangeError(`no digest ${i} (have ${this.count})`);
    return this.buf.subarray(i * DIGEST_BYTES, (i + 1) * DIGEST_BYTES);
  }

  /** A copy of digest i. */
  at(i: number): Buffer {
    return Buffer.from(this.view(i));
  }
}

/** 0x01 ‖ left ‖ right, reused: one-shot crypto.hash over it is ~30% faster than hashChildren's streaming hash. */
const scratch = Buffer.alloc(65, 0x01);
/** SHA-256(0x01 ‖ digest left ‖ digest left+1) of `row` (merkle.ts hashChildren). */
export function hashPair(row: DigestArray, left: number): Buffer {
  const b = row.buffer;
  b.copy(scratch, 1, left * DIGEST_BYTES, (left + 2) * DIGEST_BYTES);
  return hash('sha256', scratch, 'buffer');
}

export class CompactHashTree implements HashSource {
  /** levels[l] holds the perfect subtrees of 2^l leaves: floor(size / 2^l) of them. */
  private readonly levels: DigestArray[];

  /** `expectedLeaves` pre-sizes the buffers (e.g. when reloading a store of known size). */
  constructor(expectedLeaves = 16) {
    this.levels = [new DigestArray(expectedLeaves)];
  }

  get size(): number {
    return this.levels[0]!.length;
  }

  /** Bytes held by the node buffers (including spare capacity). */
  get memoryBytes(): number {
    return this.levels.reduce((sum, l) => sum + l.capacityBytes, 0);
  }

  /** Level 0 (the leaf hashes), e.g. to index leaves by hash without a second copy. */
  get leafHashes(): DigestArray {
    return this.levels[0]!;
  }

  /** Appends a leaf hash and every perfect subtree it completes; returns the leaf's index. */
  append(leafHash: Uint8Array): number {
    let node: Uint8Array = leafHash;
    let index = -1;
    for (let level = 0; ; level++) {
      const row = (this.levels[level] ??= new DigestArray(Math.max(16, Math.ceil(this.levels[0]!.length / 2 ** level))));
      const i = row.push(node);
      if (level === 0) index = i;
      if (i % 2 === 0) return index;
      node = hashPair(row, i - 1); // SHA-256(0x01 ‖ left ‖ right), as merkle.ts hashChildren
    }
  }

  /** A copy of the hash of perfect subtree `id`. */
  node(id: NodeId): Buffer {
    const row = this.levels[id.level];
    if (!row || !Number.isInteger(id.index) || id.index < 0 || id.index >= row.length)
      throw new RangeError(`no Merkle node at level ${id.level} index ${id.index} (tree size ${this.size})`);
    return row.at(id.index);
  }

  leafHash(index: number): Buffer {
    return this.node({ level: 0, index });
  }

  /** MTH(D[0:size]) for any size ≤ this.size, synchronously. */
  root(size = this.size): Buffer {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.size)
      throw new RangeError(`no root for size ${size} (tree size ${this.size})`);
    if (size === 0) return Buffer.from(EMPTY_ROOT);
    return foldSubtrees(perfectSubtrees({ start: 0, end: size }).map((id) => this.node(id)));
  }

  async getNodes(ids: readonly NodeId[]): Promise<Buffer[]> {
    return ids.map((id) => this.node(id));
  }
}
