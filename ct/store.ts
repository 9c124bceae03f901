// The log's storage contract, kept narrow so that memory, file and Redis stores are easy to write. A store is also
// the HashSource proofs read from: it keeps every perfect-subtree hash (level 0 = leaf hashes).
import type { HashSource } from './merkle.js';

export interface StoredEntry {
  /** MerkleTreeLeaf bytes. */
  readonly leafInput: Buffer;
  readonly extraData: Buffer;
}

export interface NewEntry extends StoredEntry {
  /** SHA-256(0x00 ‖ leafInput). */
  readonly leafHash: Buffer;
  /** Identity of the submitted certificate (see log.ts dedupKey). */
  readonly dedupKey: Buffer;
}

export interface LogStore extends HashSource {
  /** Number of sequenced entries. */
  size(): Promise<number>;
  /**
   * Appends at index size(): stores the entry, its leaf hash, every perfect subtree it completes, and the leaf-hash
   * and dedup-key indexes (first index wins). Durable before it resolves. Calls are never concurrent (the log
   * serializes them). Resolves to the new entry's index.
   */
  append(entry: NewEntry): Promise<number>;
  /** Entries [start, end), end exclusive, 0 ≤ start ≤ end ≤ size(). */
  getEntries(start: number, end: number): Promise<StoredEntry[]>;
  /** The lowest index whose leaf hash is `leafHash`. */
  indexByLeafHash(leafHash: Buffer): Promise<number | undefined>;
  /** The index of the entry first stored under `dedupKey`. */
  indexByDedupKey(dedupKey: Buffer): Promise<number | undefined>;
}
