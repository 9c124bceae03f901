// The file store's derived state (everything but the entry bytes): the checkpoint on disk (file-checkpoint.ts), read
// by position, plus the entries after it in memory (the tail). Per level below TOP_LEVEL the tail holds the nodes from
// the checkpoint's count (rounded down to even, so an append always finds its left sibling in memory); levels from
// TOP_LEVEL up are small (~1 byte per entry in all) and held whole. A checkpoint write merges the tail into a new
// checkpoint; `rebase` then drops the merged part from memory. Memory is therefore bounded by the tail, about 130 bytes
// per entry after the checkpoint, plus a fence of ~1 byte per checkpointed entry.
import { DIGEST_BYTES, DigestArray, hashPair } from './compact-tree.js';
import { treeHeight, type CheckpointFile, type CheckpointHeader, type CheckpointTail } from './file-checkpoint.js';
import { DigestIndex, sortedRun } from './file-index.js';
import { EMPTY_ROOT, foldSubtrees, perfectSubtrees, type HashSource, type NodeId } from './merkle.js';

/** Levels from here up are kept whole in memory: together about size / 2^(TOP_LEVEL - 1) · 32 bytes. */
export const TOP_LEVEL = 7;

/** Record start offsets, growable, as float64 (files may exceed 4 GiB). */
class OffsetTable {
  private table: Float64Array = new Float64Array(1024);
  length = 0;
  /** The backing array: its first `length` offsets never change afterwards. */
  get array(): Float64Array {
    return this.table;
  }
  push(offset: number): void {
    if (this.length === this.table.length) {
      const grown = new Float64Array(this.table.length * 2);
      grown.set(this.table);
      this.table = grown;
    }
    this.table[this.length++] = offset;
  }
  at(i: number): number {
    return this.table[i]!;
  }
}

const digestArrayOf = (bytes: Buffer): DigestArray => {
  const count = bytes.length / DIGEST_BYTES;
  const buf = Buffer.allocUnsafe(Math.max(16, 2 ** Math.ceil(Math.log2(count + 1))) * DIGEST_BYTES);
  bytes.copy(buf);
  return DigestArray.adopt(buf, count);
};

export class FileState implements HashSource {
  /** Level l holds nodes first[l], first[l] + 1, … */
  private levels: DigestArray[] = [];
  private first: number[] = [];
  private dedupKeys = new DigestArray(1024);
  private offsets = new OffsetTable();
  /** Values: positions in levels[0] (leaf-hash) and dedupKeys (dedup key) of tail entries. */
  private byLeafHash: DigestIndex;
  private byDedupKey: DigestIndex;
  private count = 0;

  constructor(private checkpoint?: CheckpointFile) {
    this.count = checkpoint?.size ?? 0;
    this.setTail(checkpoint, true);
    this.byLeafHash = new DigestIndex(this.levels[0]!);
    this.byDedupKey = new DigestIndex(this.dedupKeys);
  }

  /** Lays out empty tail arrays after `ck` (keeping whole top levels when `loadTop`, else the current ones). */
  private setTail(ck: CheckpointFile | undefined, loadTop: boolean): void {
    const size = ck?.size ?? 0;
    for (let l = 0; l < Math.max(1, treeHeight(size)); l++) {
      if (l >= TOP_LEVEL && !loadTop) continue;
      const first = l >= TOP_LEVEL ? 0 : (ck?.levelCount(l) ?? 0) & ~1;
      this.first[l] = first;
      this.levels[l] = ck ? digestArrayOf(ck.levelFrom(l, first)) : new DigestArray(1024);
    }
    this.dedupKeys = new DigestArray(1024);
    this.offsets = new OffsetTable();
  }

  get size(): number {
    return this.count;
  }

  /** Entries covered by the checkpoint (0: none). */
  get checkpointed(): number {
    return this.checkpoint?.size ?? 0;
  }

  /** Entries after the checkpoint (held in memory). */
  get tailSize(): number {
    return this.count - this.checkpointed;
  }

  get base(): CheckpointFile | undefined {
    return this.checkpoint;
  }

  /** Appends an entry: its leaf hash with every perfect subtree it completes, its dedup key (as indexed) and offset. */
  append(leafHash: Buffer, dedupDigest: Buffer, offset: number): number {
    let node: Uint8Array = leafHash;
    for (let level = 0; ; level++) {
      if (!this.levels[level]) {
        this.levels[level] = new DigestArray(16);
        this.first[level] = 0;
      }
      const row = this.levels[level]!;
      const i = row.push(node);
      if (level === 0) this.byLeafHash.addIfAbsent(i);
      if ((this.first[level]! + i) % 2 === 0) break;
      node = hashPair(row, i - 1);
    }
    this.byDedupKey.addIfAbsent(this.dedupKeys.push(dedupDigest));
    this.offsets.push(offset);
    return this.count++;
  }

  node(level: number, index: number): Buffer {
    const row = this.levels[level];
    const levelSize = Math.floor(this.count / 2 ** level);
    if (!row || !Number.isInteger(index) || index < 0 || index >= levelSize)
      throw new RangeError(`no Merkle node at level ${level} index ${index} (tree size ${this.count})`);
    const first = this.first[level]!;
    return index >= first ? row.at(index - first) : this.checkpoint!.node(level, index);
  }

  leafHash(index: number): Buffer {
    return this.node(0, index);
  }

  dedupKey(index: number): Buffer {
    const ck = this.checkpointed;
    return index >= ck ? this.dedupKeys.at(index - ck) : this.checkpoint!.dedupKey(index);
  }

  /** Start offset of entry `index`'s record. */
  offset(index: number): number {
    const ck = this.checkpointed;
    return index >= ck ? this.offsets.at(index - ck) : this.checkpoint!.offset(index);
  }

  /** The lowest index whose leaf hash is `leafHash`. */
  findLeaf(leafHash: Buffer): number | undefined {
    const stored = this.checkpoint?.leafRun.find(leafHash);
    if (stored !== undefined) return stored;
    const v = this.byLeafHash.get(leafHash);
    return v === undefined ? undefined : this.first[0]! + v;
  }

  /** The index whose dedup digest is `key`. */
  findDedup(key: Buffer): number | undefined {
    const stored = this.checkpoint?.dedupRun.find(key);
    if (stored !== undefined) return stored;
    const v = this.byDedupKey.get(key);
    return v === undefined ? undefined : this.checkpointed + v;
  }

  /** MTH(D[0:size]). */
  root(size = this.count): Buffer {
    if (size === 0) return Buffer.from(EMPTY_ROOT);
    return foldSubtrees(perfectSubtrees({ start: 0, end: size }).map((id) => this.node(id.level, id.index)));
  }

  async getNodes(ids: readonly NodeId[]): Promise<Buffer[]> {
    return ids.map((id) => this.node(id.level, id.index));
  }

  /** What a checkpoint of the state now adds to the current one (captured now: later appends do not change it). */
  tail(header: Omit<CheckpointHeader, 'size'>): CheckpointTail {
    const ck = this.checkpointed;
    const count = this.count - ck;
    const levels = this.levels.map((row, l) => ({ first: this.first[l]!, buffer: row.buffer }));
    while (levels.length < treeHeight(this.count)) levels.push({ first: 0, buffer: Buffer.alloc(0) });
    const leafStart = ck - this.first[0]!;
    return {
      ...header,
      size: this.count,
      levels,
      dedupKeys: this.dedupKeys.buffer,
      offsets: this.offsets.array,
      leafRun: sortedRun(this.levels[0]!.buffer, leafStart, ck, count),
      dedupRun: sortedRun(this.dedupKeys.buffer, 0, ck, count),
    };
  }

  /** Moves onto checkpoint `next` (which covers a prefix of this state): drops what it covers from memory. */
  rebase(next: CheckpointFile): void {
    if (next.size > this.count || next.size < this.checkpointed) throw new RangeError('checkpoint does not cover a prefix of the state');
    const old = { levels: this.levels, first: this.first, dedupKeys: this.dedupKeys, offsets: this.offsets, ck: this.checkpointed };
    this.levels = [...old.levels];
    this.first = [...old.first];
    for (let l = 0; l < Math.min(TOP_LEVEL, old.levels.length); l++) {
      const first = next.levelCount(l) & ~1;
      const row = new DigestArray(1024);
      for (let i = first; i < old.first[l]! + old.levels[l]!.length; i++) row.push(old.levels[l]!.view(i - old.first[l]!));
      this.levels[l] = row;
      this.first[l] = first;
    }
    this.dedupKeys = new DigestArray(1024);
    this.offsets = new OffsetTable();
    this.byLeafHash = new DigestIndex(this.levels[0]!, this.count - next.size);
    this.byDedupKey = new DigestIndex(this.dedupKeys, this.count - next.size);
    const previous = this.checkpoint;
    this.checkpoint = next;
    for (let e = next.size; e < this.count; e++) {
      this.byLeafHash.addIfAbsent(e - this.first[0]!);
      this.byDedupKey.addIfAbsent(this.dedupKeys.push(old.dedupKeys.view(e - old.ck)));
      this.offsets.push(old.offsets.at(e - old.ck));
    }
    previous?.close();
  }
}

