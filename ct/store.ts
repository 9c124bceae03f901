// The log's storage contract, kept narrow so that memory, file and Redis stores are easy to write and interchangeable.
// A store is also the HashSource proofs read from: it keeps every perfect-subtree hash (level 0 = leaf hashes), so an
// inclusion or consistency proof costs O(log n) node reads.
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
  /** The leaf's timestamp (ms), as encoded in leafInput. */
  readonly timestamp: number;
}

export interface Sequenced {
  readonly index: number;
  /** The stored leaf: the new one, or for a duplicate the original (with its original timestamp). */
  readonly leafInput: Buffer;
  readonly duplicate: boolean;
}

/** A signed tree head as the log keeps it: the latest one is persisted so timestamps only ever increase. */
export interface StoredSth {
  readonly treeSize: number;
  readonly timestamp: number;
  readonly rootHash: Buffer;
  /** TLS DigitallySigned bytes. */
  readonly signature: Buffer;
}

export interface LogStore extends HashSource {
  /** Number of sequenced entries. */
  size(): Promise<number>;
  /**
   * Sequences a batch, in order, atomically per entry with respect to every other writer of the same store: an entry
   * whose dedupKey is already stored (or earlier in the batch) gets the existing index and leaf and adds nothing;
   * any other entry is appended at the next index together with its leaf hash, every perfect subtree it completes,
   * and the leaf-hash index (lowest index wins). Everything is durable before the promise resolves.
   */
  sequence(entries: readonly NewEntry[]): Promise<Sequenced[]>;
  /** Entries [start, end), end exclusive, 0 ≤ start ≤ end ≤ size(). */
  getEntries(start: number, end: number): Promise<StoredEntry[]>;
  /** The lowest index whose leaf hash is `leafHash`. */
  indexByLeafHash(leafHash: Buffer): Promise<number | undefined>;
  /** The newest leaf timestamp in the store (0 when empty): no STH may be older. */
  newestTimestamp(): Promise<number>;
  /** The latest published STH, if any. */
  latestSth(): Promise<StoredSth | undefined>;
  /**
   * Publishes `sth` if it is newer than the latest (larger timestamp, tree size not smaller); durable before it
   * resolves. Resolves to the latest STH after the call, which may be another writer's newer one.
   */
  publishSth(sth: StoredSth): Promise<StoredSth>;
  close(): Promise<void>;
}
