// A digest → entry-index hash table without per-entry objects: open addressing (linear probing) over a Uint32Array of
// slots, where value v's key is digest v of a DigestArray held elsewhere (the tree's leaf hashes, the dedup keys).
// About 8–16 bytes per entry instead of the ~150 bytes of a Map<string, number>. Keys are SHA-256 outputs, so their
// leading bytes already are a good hash.
import { DIGEST_BYTES, type DigestArray } from './compact-tree.js';

export class DigestIndex {
  /** Slot content = value + 1; 0 = empty. */
  private slots: Uint32Array = new Uint32Array(1024);
  private count = 0;

  constructor(private readonly keys: DigestArray) {}

  /** An index over `keys` from a copy of another index's slots (see `slotsCopy`); checks only the table's shape. */
  static fromSlots(keys: DigestArray, slots: Uint32Array, count: number): DigestIndex {
    const n = slots.length;
    if (n < 2 || (n & (n - 1)) !== 0 || count * 2 > n) throw new RangeError('bad digest index table');
    const index = new DigestIndex(keys);
    index.slots = slots;
    index.count = count;
    return index;
  }

  /** A copy of the slot table (for a checkpoint): valid with the keys as they are now. */
  slotsCopy(): Uint32Array {
    return this.slots.slice();
  }

  get size(): number {
    return this.count;
  }

  /** Bytes held by the slot table. */
  get memoryBytes(): number {
    return this.slots.byteLength;
  }

  private static hash(key: Buffer, offset: number): number {
    return (key.readUInt32LE(offset) ^ Math.imul(key.readUInt32LE(offset + 4), 0x9e3779b1)) >>> 0;
  }

  /** The slot holding `key` (at `keyOffset` of `keyBuf`), or the empty slot where it would go. */
  private find(keyBuf: Buffer, keyOffset: number): number {
    const mask = this.slots.length - 1;
    const stored = this.keys.buffer;
    const head = keyBuf.readUInt32LE(keyOffset);
    for (let s = DigestIndex.hash(keyBuf, keyOffset) & mask; ; s = (s + 1) & mask) {
      const v = this.slots[s]!;
      if (v === 0) return s;
      const at = (v - 1) * DIGEST_BYTES;
      // Cheap reject on the first 4 bytes before the (native-call) full comparison.
      if (stored.readUInt32LE(at) === head && keyBuf.compare(stored, at, at + DIGEST_BYTES, keyOffset, keyOffset + DIGEST_BYTES) === 0)
        return s;
    }
  }

  /** The value stored under `key` (32 bytes), if any. */
  get(key: Buffer): number | undefined {
    if (key.length !== DIGEST_BYTES) return undefined;
    const v = this.slots[this.find(key, 0)]!;
    return v === 0 ? undefined : v - 1;
  }

  /** Indexes value `v` under its key `keys[v]` unless that key is already present (so the lowest value wins). */
  addIfAbsent(v: number): boolean {
    if (v >= 0xffffffff) throw new RangeError('digest index is full');
    if ((this.count + 1) * 2 > this.slots.length) this.grow();
    const s = this.find(this.keys.buffer, v * DIGEST_BYTES);
    if (this.slots[s] !== 0) return false;
    this.slots[s] = v + 1;
    this.count++;
    return true;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Uint32Array(old.length * 2);
    for (const v of old) if (v !== 0) this.slots[this.find(this.keys.buffer, (v - 1) * DIGEST_BYTES)] = v;
  }
}
