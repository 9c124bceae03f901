// The file store's checkpoint: a snapshot of everything a reopen would otherwise rebuild from entries.log (every
// tree level, the dedup keys, the record offsets, both hash-index tables, the newest timestamp) plus where it stops
// (entry count, byte offset) and the CRC-32 of entries.log up to there. A reopen loads it with a few large reads and
// parses only the records written after it (file-store.ts checks it against the records before trusting it).
//
// checkpoint.bin = MAGIC ‖ header ‖ level 0 … level L-1 ‖ dedup keys ‖ offsets ‖ leaf-hash slots ‖ dedup slots ‖ u32 crc
// header         = f64 size ‖ f64 end ‖ f64 newest ‖ u32 entriesCrc ‖ u32 L ‖ u32 leafSlots ‖ u32 leafCount ‖
//                  u32 dedupSlots ‖ u32 dedupCount                                    (all little-endian)
// level l holds floor(size / 2^l) digests; offsets are f64; slots u32; the final crc covers every byte before it.
// Written whole to checkpoint.bin.tmp, fsynced, renamed over checkpoint.bin, directory fsynced: a crash leaves the old
// checkpoint or the new one; a torn or damaged one fails its CRC and is ignored (rebuilt from the records).
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { fsyncDirectory } from '../lib/atomic-file.js';
import { DIGEST_BYTES, DigestArray } from './compact-tree.js';
import { readAt } from './file-records.js';

export const CHECKPOINT_FILE = 'checkpoint.bin';
const MAGIC = Buffer.from('FGCTCKP1');
const HEADER = MAGIC.length + 4 * 8 + 5 * 4;

export interface Checkpoint {
  /** Entries covered. */
  readonly size: number;
  /** Byte offset in entries.log just past the last covered record (a commit boundary). */
  readonly end: number;
  readonly newest: number;
  /** CRC-32 of entries.log bytes [0, end). */
  readonly entriesCrc: number;
  /** levels[l]: floor(size / 2^l) digests. */
  readonly levels: readonly { readonly buffer: Buffer; readonly length: number }[];
  readonly dedupKeys: Buffer;
  /** Record start offsets, at least `size` of them. */
  readonly offsets: Float64Array;
  readonly leafSlots: Uint32Array;
  readonly leafCount: number;
  readonly dedupSlots: Uint32Array;
  readonly dedupCount: number;
}

/** What a loaded checkpoint holds, adopted into growable arrays. */
export interface LoadedCheckpoint extends Omit<Checkpoint, 'levels' | 'dedupKeys'> {
  readonly levels: DigestArray[];
  readonly dedupKeys: DigestArray;
}

const bytesOf = (a: Float64Array | Uint32Array, count: number): Buffer =>
  Buffer.from(a.buffer, a.byteOffset, count * a.BYTES_PER_ELEMENT);

/** Writes `c` atomically and durably to `dir`/checkpoint.bin. */
export async function writeCheckpoint(dir: string, c: Checkpoint): Promise<void> {
  const head = Buffer.alloc(HEADER);
  MAGIC.copy(head);
  let o = MAGIC.length;
  for (const v of [c.size, c.end, c.newest]) o = head.writeDoubleLE(v, o);
  o = head.writeUInt32LE(c.entriesCrc, o);
  for (const v of [c.levels.length, c.leafSlots.length, c.leafCount, c.dedupSlots.length, c.dedupCount]) o = head.writeUInt32LE(v, o);
  const parts = [
    head,
    ...c.levels.map((l) => l.buffer.subarray(0, l.length * DIGEST_BYTES)),
    c.dedupKeys.subarray(0, c.size * DIGEST_BYTES),
    bytesOf(c.offsets, c.size),
    bytesOf(c.leafSlots, c.leafSlots.length),
    bytesOf(c.dedupSlots, c.dedupSlots.length),
  ];
  const tmp = join(dir, `${CHECKPOINT_FILE}.tmp`);
  const fh = await open(tmp, 'w', 0o644);
  try {
    let crc = 0;
    let at = 0;
    for (const part of parts) {
      crc = crc32(part, crc);
      at += await writeAll(fh, part, at);
    }
    const tail = Buffer.alloc(4);
    tail.writeUInt32LE(crc);
    await writeAll(fh, tail, at);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, CHECKPOINT_FILE));
  await fsyncDirectory(dir);
}

async function writeAll(fh: FileHandle, b: Buffer, position: number): Promise<number> {
  for (let done = 0; done < b.length; ) done += (await fh.write(b, done, b.length - done, position + done)).bytesWritten;
  return b.length;
}

/** Room to grow: the next power of two ≥ n (at least 1024). */
const capacity = (n: number): number => 2 ** Math.max(10, Math.ceil(Math.log2(Math.max(1, n))));

/**
 * Reads `dir`/checkpoint.bin: undefined if there is none; throws (saying why) if it is torn, damaged or malformed —
 * the caller then rebuilds from the records. `onHeader` learns the checkpoint's end offset as soon as the header is
 * read (e.g. to checksum the entries it covers while the rest loads).
 */
export async function readCheckpoint(dir: string, onHeader?: (end: number) => void): Promise<LoadedCheckpoint | undefined> {
  await rm(join(dir, `${CHECKPOINT_FILE}.tmp`), { force: true });
  const fh = await open(join(dir, CHECKPOINT_FILE), 'r').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (!fh) return undefined;
  try {
    const { size: fileSize } = await fh.stat();
    if (fileSize < HEADER + 4) throw new Error(`too short (${fileSize} bytes)`);
    const head = await readAt(fh, 0, HEADER);
    if (!head.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error('bad magic');
    let o = MAGIC.length;
    const [size, end, newest] = [0, 1, 2].map((i) => head.readDoubleLE(o + 8 * i)) as [number, number, number];
    o += 24;
    const entriesCrc = head.readUInt32LE(o);
    const [height, leafSlotCount, leafCount, dedupSlotCount, dedupCount] = [0, 1, 2, 3, 4].map((i) =>
      head.readUInt32LE(o + 4 + 4 * i),
    ) as [number, number, number, number, number];
    if (![size, end, newest].every((v) => Number.isSafeInteger(v) && v >= 0) || size > 0xfffffffe || height > 53)
      throw new Error('bad header');
    const levelCounts = Array.from({ length: height }, (_, l) => Math.floor(size / 2 ** l));
    const expected =
      HEADER + DIGEST_BYTES * (levelCounts.reduce((a, b) => a + b, 0) + size) + 8 * size + 4 * (leafSlotCount + dedupSlotCount) + 4;
    if (expected !== fileSize) throw new Error(`torn or malformed (${fileSize} bytes, the header implies ${expected})`);
    onHeader?.(end);

    let crc = crc32(head);
    let at = HEADER;
    const readInto = async (into: Buffer): Promise<void> => {
      for (let got = 0; got < into.length; ) {
        const { bytesRead } = await fh.read(into, got, into.length - got, at + got);
        if (bytesRead === 0) throw new Error('torn (shorter than it was a moment ago)');
        got += bytesRead;
      }
      crc = crc32(into, crc);
      at += into.length;
    };
    const digests = async (count: number): Promise<DigestArray> => {
      const buf = Buffer.allocUnsafe(capacity(count) * DIGEST_BYTES);
      await readInto(buf.subarray(0, count * DIGEST_BYTES));
      return DigestArray.adopt(buf, count);
    };
    const levels: DigestArray[] = [];
    for (const count of levelCounts) levels.push(await digests(count));
    const dedupKeys = await digests(size);
    const offsets = new Float64Array(capacity(size));
    await readInto(bytesOf(offsets, size));
    const leafSlots = new Uint32Array(leafSlotCount);
    await readInto(bytesOf(leafSlots, leafSlotCount));
    const dedupSlots = new Uint32Array(dedupSlotCount);
    await readInto(bytesOf(dedupSlots, dedupSlotCount));
    const stored = (await readAt(fh, at, 4)).readUInt32LE();
    if (stored !== crc) throw new Error('damaged (checksum mismatch)');
    return { size, end, newest, entriesCrc, levels, dedupKeys, offsets, leafSlots, leafCount, dedupSlots, dedupCount };
  } finally {
    await fh.close();
  }
}
