// Digest → entry-index lookups for the file store, in two forms.
//
// DigestIndex: an in-memory hash table without per-entry objects, for the entries after the checkpoint: open
// addressing (linear probing) over a Uint32Array of slots, where value v's key is digest v of a DigestArray held
// elsewhere (the tail's leaf hashes or dedup keys). 8–16 bytes per entry. Keys are SHA-256 outputs, so their leading
// bytes already are a good hash.
//
// Sorted runs: the checkpoint's on-disk form, one 8-byte record per entry, (u32 prefix, u32 index) in the platform's
// byte order, sorted by (prefix, index), where prefix is the key's first 4 bytes read big-endian. A lookup binary-
// searches a fence (every RUN_BLOCK-th prefix, 0.5 bytes per entry in memory), reads one block of the run and, for a
// record whose prefix matches, the full key; so it costs one or two positional reads.
import { DIGEST_BYTES, type DigestArray } from './compact-tree.js';

export class DigestIndex {
  /** Slot content = value + 1; 0 = empty. */
  private slots: Uint32Array;
  private count = 0;

  constructor(
    private readonly keys: DigestArray,
    expected = 512,
  ) {
    this.slots = new Uint32Array(2 ** Math.max(10, Math.ceil(Math.log2(expected * 2 + 1))));
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

/** Records per fence entry (and per block read by a lookup): 128 × 8 bytes. */
export const RUN_BLOCK = 128;
export const RUN_RECORD_BYTES = 8;

/** The run ordering's key prefix of a 32-byte digest. */
export const runPrefix = (key: Buffer, at = 0): number => key.readUInt32BE(at);

/**
 * Run records (prefix, index) for `count` entries first + 0 … first + count - 1, whose keys are digests
 * keyAt(0) … keyAt(count - 1) of `keys` (a Buffer of 32-byte digests, starting at digest `keyAt0`), sorted.
 */
export function sortedRun(keys: Buffer, keyAt0: number, first: number, count: number): Uint32Array {
  const out = new Uint32Array(count * 2);
  const prefixOf = (k: number): number => keys.readUInt32BE((keyAt0 + k) * DIGEST_BYTES);
  if (count < 2 ** 21) {
    // prefix · 2^21 + k is exact in a float64, so one native numeric sort orders by (prefix, index).
    const packed = new Float64Array(count);
    for (let k = 0; k < count; k++) packed[k] = prefixOf(k) * 2 ** 21 + k;
    packed.sort();
    for (let j = 0; j < count; j++) {
      const p = packed[j]!;
      const k = p % 2 ** 21;
      out[2 * j] = (p - k) / 2 ** 21;
      out[2 * j + 1] = first + k;
    }
  } else {
    const order = Array.from({ length: count }, (_, k) => k).sort((a, b) => prefixOf(a) - prefixOf(b) || a - b);
    order.forEach((k, j) => {
      out[2 * j] = prefixOf(k);
      out[2 * j + 1] = first + k;
    });
  }
  return out;
}

/**
 * A Bloom filter over 32-byte digests (three probes from three of the digest's words; at least 10 bits per key, about
 * 1–2 % false positives): lets a lookup of an absent key — every new entry's dedup check — skip the run's disk read.
 */
export class DigestFilter {
  private readonly bits: Uint32Array;
  private readonly mask: number;
  constructor(expected: number) {
    const bitCount = 2 ** Math.max(10, Math.ceil(Math.log2(Math.max(1, expected) * 10)));
    this.bits = new Uint32Array(bitCount / 32);
    this.mask = bitCount - 1;
  }
  /** Bytes held. */
  get memoryBytes(): number {
    return this.bits.byteLength;
  }
  add(key: Buffer, at = 0): void {
    for (let w = 0; w < 3; w++) {
      const b = key.readUInt32LE(at + 4 + 8 * w) & this.mask;
      this.bits[b >>> 5]! |= 1 << (b & 31);
    }
  }
  mightHave(key: Buffer): boolean {
    for (let w = 0; w < 3; w++) {
      const b = key.readUInt32LE(4 + 8 * w) & this.mask;
      if ((this.bits[b >>> 5]! & (1 << (b & 31))) === 0) return false;
    }
    return true;
  }
  /** Adds every 32-byte digest of `keys`. */
  addAll(keys: Buffer): void {
    for (let at = 0; at + DIGEST_BYTES <= keys.length; at += DIGEST_BYTES) this.add(keys, at);
  }
}

/** A sorted run on disk, read by position. */
export class RunReader {
  private readonly block = new Uint32Array(RUN_BLOCK * 2);
  private readonly blockBytes = Buffer.from(this.block.buffer);

  /**
   * `fence[j]` = prefix of record j·RUN_BLOCK; `read(into, position)` fills `into` from the file at `position`
   * (synchronously); `keyOf(index)` reads an entry's full key.
   */
  constructor(
    private readonly at: number,
    private readonly count: number,
    private readonly fence: Uint32Array,
    private readonly read: (into: Buffer, position: number) => void,
    private readonly keyOf: (index: number) => Buffer,
    private readonly filter?: DigestFilter,
  ) {}

  /** The lowest index whose key is `key`, if any. */
  find(key: Buffer): number | undefined {
    if (key.length !== DIGEST_BYTES || this.count === 0 || this.filter?.mightHave(key) === false) return undefined;
    const p = runPrefix(key);
    // The last block whose first prefix is below p: every record before it is below p too.
    let lo = 0;
    let hi = this.fence.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.fence[mid]! < p) lo = mid;
      else hi = mid - 1;
    }
    for (let b = lo; b * RUN_BLOCK < this.count; b++) {
      const n = Math.min(RUN_BLOCK, this.count - b * RUN_BLOCK);
      this.read(this.blockBytes.subarray(0, n * RUN_RECORD_BYTES), this.at + b * RUN_BLOCK * RUN_RECORD_BYTES);
      for (let j = 0; j < n; j++) {
        const prefix = this.block[2 * j]!;
        if (prefix < p) continue;
        if (prefix > p) return undefined;
        const index = this.block[2 * j + 1]!;
        if (this.keyOf(index).equals(key)) return index;
      }
    }
    return undefined;
  }
}
