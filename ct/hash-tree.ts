// An in-memory Merkle tree that keeps every level of perfect-subtree hashes, so appends cost O(log n) hashes and
// roots and proofs O(log n) lookups. Stores embed it (memory) or mirror its layout (file, Redis).
import { hashChildren, type HashSource, type NodeId } from './merkle.js';

export class MemoryHashTree implements HashSource {
  private readonly levels: Buffer[][] = [[]];

  get size(): number {
    return this.levels[0]!.length;
  }

  /** Appends a leaf hash and every perfect subtree it completes. */
  append(leafHash: Buffer): void {
    let hash = leafHash;
    for (let level = 0; ; level++) {
      const row = (this.levels[level] ??= []);
      row.push(hash);
      const i = row.length - 1;
      if (i % 2 === 0) return;
      hash = hashChildren(row[i - 1]!, hash);
    }
  }

  node(id: NodeId): Buffer {
    const hash = this.levels[id.level]?.[id.index];
    if (!hash) throw new RangeError(`no Merkle node at level ${id.level} index ${id.index} (tree size ${this.size})`);
    return hash;
  }

  leafHash(index: number): Buffer {
    return this.node({ level: 0, index });
  }

  async getNodes(ids: readonly NodeId[]): Promise<Buffer[]> {
    return ids.map((id) => this.node(id));
  }
}
