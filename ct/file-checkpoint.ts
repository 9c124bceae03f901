// The file store's checkpoint: everything about entries 0 … size-1 that a reopen would otherwise rebuild from
// entries.log, laid out flat so the store reads it by position instead of holding it in memory: every tree level,
// the dedup keys, the record offsets and both digest → index lookups as sorted runs (file-index.ts), plus where it
// stops (entry count, byte offset), the newest timestamp and the CRC-32 of entries.log up to there.
//
// checkpoint.bin = MAGIC ‖ header ‖ level 0 … level L-1 ‖ dedup keys ‖ offsets ‖ leaf-hash run ‖ dedup run ‖ u32 crc
// header         = f64 size ‖ f64 end ‖ f64 newest ‖ u32 entriesCrc ‖ u32 L ‖ zeros to 64 bytes     (little-endian)
// level l holds floor(size / 2^l) digests (L = floor(log2 size) + 1); offsets are f64; each run holds `size` 8-byte
// records; the final crc covers every byte before it. Every digest lies at a multiple of 32 bytes.
//
// A new checkpoint is the old one with the entries after it merged in (levels, keys and offsets appended, runs merged),
// streamed to checkpoint.bin.tmp, fsynced, renamed over checkpoint.bin, directory fsynced: a crash leaves the old
// checkpoint or the new one; a torn or damaged one fails its CRC and is ignored (rebuilt from the records).
import { closeSync, fstatSync, openSync, read, readSync } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { crc32 } from 'node:zlib';
import { fsyncDirectory } from '../lib/atomic-file.js';
import { DIGEST_BYTES } from './compact-tree.js';
import { DigestFilter, RUN_BLOCK, RUN_RECORD_BYTES, RunReader } from './file-index.js';

export const CHECKPOINT_FILE = 'checkpoint.bin';
const MAGIC = Buffer.from('FGCTCKP2');
const HEADER = 64;
const CHUNK = 4 << 20;
const readAsync = promisify(read);

if (endianness() !== 'LE') throw new Error('the CT file store checkpoint needs a little-endian platform');

/** floor(log2 size) + 1 levels (1 for the empty tree). */
export const treeHeight = (size: number): number => (size === 0 ? 1 : Math.floor(Math.log2(size)) + 1);

/** Byte offsets of a checkpoint's sections for `size` entries. */
function layout(size: number): { levelAt: number[]; dedupAt: number; offsetsAt: number; leafRunAt: number; dedupRunAt: number; crcAt: number } {
  const levelAt: number[] = [];
  let at = HEADER;
  for (let l = 0; l < treeHeight(size); l++) {
    levelAt.push(at);
    at += Math.floor(size / 2 ** l) * DIGEST_BYTES;
  }
  const dedupAt = at;
  const offsetsAt = dedupAt + size * DIGEST_BYTES;
  const leafRunAt = offsetsAt + size * 8;
  const dedupRunAt = leafRunAt + size * RUN_RECORD_BYTES;
  return { levelAt, dedupAt, offsetsAt, leafRunAt, dedupRunAt, crcAt: dedupRunAt + size * RUN_RECORD_BYTES };
}

export interface CheckpointHeader {
  /** Entries covered. */
  readonly size: number;
  /** Byte offset in entries.log just past the last covered record (a commit boundary). */
  readonly end: number;
  readonly newest: number;
  /** CRC-32 of entries.log bytes [0, end). */
  readonly entriesCrc: number;
}

/** An open checkpoint, read by position (synchronous reads: a few dozen bytes each, from the page cache). */
export class CheckpointFile implements CheckpointHeader {
  readonly size: number;
  readonly end: number;
  readonly newest: number;
  readonly entriesCrc: number;
  readonly leafRun: RunReader;
  readonly dedupRun: RunReader;
  private readonly at: ReturnType<typeof layout>;
  private closed = false;

  constructor(
    private readonly fd: number,
    header: CheckpointHeader,
    fences: { leaf: Uint32Array; dedup: Uint32Array },
    dedupFilter: DigestFilter,
  ) {
    ({ size: this.size, end: this.end, newest: this.newest, entriesCrc: this.entriesCrc } = header);
    this.at = layout(this.size);
    const readInto = (into: Buffer, position: number): void => this.readInto(into, position);
    this.leafRun = new RunReader(this.at.leafRunAt, this.size, fences.leaf, readInto, (i) => this.node(0, i));
    this.dedupRun = new RunReader(this.at.dedupRunAt, this.size, fences.dedup, readInto, (i) => this.dedupKey(i), dedupFilter);
  }

  private readInto(into: Buffer, position: number): void {
    if (this.closed) throw new Error('the CT log checkpoint is closed');
    for (let got = 0; got < into.length; ) {
      const n = readSync(this.fd, into, got, into.length - got, position + got);
      if (n === 0) throw new Error(`${CHECKPOINT_FILE} is shorter than it was (offset ${position + got})`);
      got += n;
    }
  }

  private digest(sectionAt: number, count: number, i: number, what: string): Buffer {
    if (!Number.isInteger(i) || i < 0 || i >= count) throw new RangeError(`no ${what} ${i} in the checkpoint (${count})`);
    const b = Buffer.allocUnsafe(DIGEST_BYTES);
    this.readInto(b, sectionAt + i * DIGEST_BYTES);
    return b;
  }

  /** Nodes at `level`: floor(size / 2^level). */
  levelCount(level: number): number {
    return level < this.at.levelAt.length ? Math.floor(this.size / 2 ** level) : 0;
  }

  node(level: number, i: number): Buffer {
    return this.digest(this.at.levelAt[level] ?? 0, this.levelCount(level), i, `level-${level} node`);
  }

  /** Nodes [from, levelCount) of `level`, in one read. */
  levelFrom(level: number, from: number): Buffer {
    const b = Buffer.allocUnsafe((this.levelCount(level) - from) * DIGEST_BYTES);
    if (b.length > 0) this.readInto(b, this.at.levelAt[level]! + from * DIGEST_BYTES);
    return b;
  }

  dedupKey(i: number): Buffer {
    return this.digest(this.at.dedupAt, this.size, i, 'dedup key');
  }

  /** Start offset of entry i's record in entries.log. */
  offset(i: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.size) throw new RangeError(`no offset ${i} in the checkpoint (${this.size})`);
    const b = Buffer.allocUnsafe(8);
    this.readInto(b, this.at.offsetsAt + i * 8);
    return b.readDoubleLE(0);
  }

  /** Bytes [position, position + into.length) of the file, asynchronously (for streaming it into the next one). */
  async copyOut(into: Buffer, position: number): Promise<void> {
    for (let got = 0; got < into.length; ) {
      const { bytesRead } = await readAsync(this.fd, into, got, into.length - got, position + got);
      if (bytesRead === 0) throw new Error(`${CHECKPOINT_FILE} is shorter than it was (offset ${position + got})`);
      got += bytesRead;
    }
  }

  get sections(): ReturnType<typeof layout> {
    return this.at;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

/** Fence entries of a run at `runAt` with `count` records that fall inside the chunk [chunkAt, chunkAt + chunk.length). */
function collectFence(fence: number[], chunk: Buffer, chunkAt: number, runAt: number, count: number): void {
  const step = RUN_BLOCK * RUN_RECORD_BYTES;
  const stop = Math.min(chunkAt + chunk.length, runAt + count * RUN_RECORD_BYTES);
  for (let j = Math.max(0, Math.ceil((chunkAt - runAt) / step)); runAt + j * step < stop; j++) fence[j] = chunk.readUInt32LE(runAt + j * step - chunkAt);
}

/**
 * Opens `dir`/checkpoint.bin: undefined if there is none; throws (saying why) if it is torn, damaged or malformed —
 * the caller then rebuilds from the records. Reads the whole file once to check its CRC (and collect the run fences);
 * `onHeader` learns its end offset in entries.log as soon as the header is read (e.g. to checksum the entries it
 * covers meanwhile).
 */
export async function openCheckpoint(dir: string, onHeader?: (end: number) => void): Promise<CheckpointFile | undefined> {
  await rm(join(dir, `${CHECKPOINT_FILE}.tmp`), { force: true });
  let fd: number;
  try {
    fd = openSync(join(dir, CHECKPOINT_FILE), 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const fileSize = fstatSync(fd).size;
    if (fileSize < HEADER + 4) throw new Error(`too short (${fileSize} bytes)`);
    const head = Buffer.alloc(HEADER);
    readSync(fd, head, 0, HEADER, 0);
    if (!head.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error('bad magic');
    const o = MAGIC.length;
    const [size, end, newest] = [0, 1, 2].map((i) => head.readDoubleLE(o + 8 * i)) as [number, number, number];
    const entriesCrc = head.readUInt32LE(o + 24);
    const height = head.readUInt32LE(o + 28);
    if (![size, end, newest].every((v) => Number.isSafeInteger(v) && v >= 0) || size > 0xfffffffe || height !== treeHeight(size))
      throw new Error('bad header');
    const at = layout(size);
    if (at.crcAt + 4 !== fileSize) throw new Error(`torn or malformed (${fileSize} bytes, the header implies ${at.crcAt + 4})`);
    onHeader?.(end);

    const leaf: number[] = [];
    const dedup: number[] = [];
    const filter = new DigestFilter(size);
    let crc = 0;
    const chunk = Buffer.allocUnsafe(Math.min(CHUNK, at.crcAt));
    for (let pos = 0; pos < at.crcAt; pos += chunk.length) {
      const part = chunk.subarray(0, Math.min(chunk.length, at.crcAt - pos));
      for (let got = 0; got < part.length; ) {
        const { bytesRead } = await readAsync(fd, part, got, part.length - got, pos + got);
        if (bytesRead === 0) throw new Error('torn (shorter than it was a moment ago)');
        got += bytesRead;
      }
      crc = crc32(part, crc);
      collectFence(leaf, part, pos, at.leafRunAt, size);
      collectFence(dedup, part, pos, at.dedupRunAt, size);
      const from = Math.max(pos, at.dedupAt);
      const to = Math.min(pos + part.length, at.offsetsAt);
      if (from < to) filter.addAll(part.subarray(from - pos, to - pos));
    }
    const tail = Buffer.alloc(4);
    readSync(fd, tail, 0, 4, at.crcAt);
    if (tail.readUInt32LE() !== crc) throw new Error('damaged (checksum mismatch)');
    return new CheckpointFile(fd, { size, end, newest, entriesCrc }, { leaf: Uint32Array.from(leaf), dedup: Uint32Array.from(dedup) }, filter);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/** What a new checkpoint adds to the previous one (`base`): entries base.size … size - 1, from memory. */
export interface CheckpointTail extends CheckpointHeader {
  /** levels[l]: nodes [first, floor(size / 2^l)) as digests 0, 1, … of `buffer`; nodes below `first` come from base. */
  readonly levels: readonly { readonly first: number; readonly buffer: Buffer }[];
  /** Dedup keys of entries base.size …, as digests 0, 1, … */
  readonly dedupKeys: Buffer;
  /** Record offsets of entries base.size … */
  readonly offsets: Float64Array;
  /** Sorted run records (file-index.ts sortedRun) of entries base.size … size - 1, by leaf hash and by dedup key. */
  readonly leafRun: Uint32Array;
  readonly dedupRun: Uint32Array;
}

/** Streams bytes to a file through one buffer, with the CRC of everything written. */
class Writer {
  private readonly buf = Buffer.allocUnsafe(CHUNK);
  /** For reading what is copied in (one buffer per checkpoint write, not one per section). */
  readonly scratch = Buffer.allocUnsafe(CHUNK);
  private used = 0;
  position = 0;
  crc = 0;
  constructor(private readonly fh: FileHandle) {}
  async put(b: Buffer): Promise<void> {
    for (let done = 0; done < b.length; ) {
      const n = b.copy(this.buf, this.used, done);
      this.used += n;
      done += n;
      if (this.used === this.buf.length) await this.flush();
    }
  }
  async flush(): Promise<void> {
    const part = this.buf.subarray(0, this.used);
    this.crc = crc32(part, this.crc);
    for (let done = 0; done < part.length; ) done += (await this.fh.write(part, done, part.length - done, this.position + done)).bytesWritten;
    this.position += part.length;
    this.used = 0;
  }
}

/** Copies `bytes` bytes of `base` from `position` into `w`, showing each chunk (whole digests) to `onChunk`. */
async function copyFrom(base: CheckpointFile, position: number, bytes: number, w: Writer, onChunk?: (b: Buffer) => void): Promise<void> {
  const chunk = w.scratch;
  for (let done = 0; done < bytes; done += chunk.length) {
    const part = chunk.subarray(0, Math.min(chunk.length, bytes - done));
    await base.copyOut(part, position + done);
    onChunk?.(part);
    await w.put(part);
  }
}

/** Merges base's run at `runAt` (baseCount records) with `tail` (sorted, all indexes above base's) into `w`; returns the fence. */
async function mergeRuns(base: CheckpointFile | undefined, runAt: number, baseCount: number, tail: Uint32Array, w: Writer): Promise<Uint32Array> {
  const total = baseCount + tail.length / 2;
  const fence = new Uint32Array(Math.ceil(total / RUN_BLOCK));
  const inRecords = 1 << 16;
  const input = new Uint32Array(inRecords * 2);
  const out = new Uint32Array(inRecords * 2);
  let inLen = 0;
  let inPos = 0;
  let baseRead = 0;
  let outLen = 0;
  let t = 0;
  for (let j = 0; j < total; j++) {
    if (inPos === inLen && baseRead < baseCount) {
      inLen = Math.min(inRecords, baseCount - baseRead);
      await base!.copyOut(Buffer.from(input.buffer, 0, inLen * RUN_RECORD_BYTES), runAt + baseRead * RUN_RECORD_BYTES);
      baseRead += inLen;
      inPos = 0;
    }
    // Ties on the prefix: base records first (their indexes are lower), so the order stays (prefix, index).
    const fromBase = inPos < inLen && (t * 2 >= tail.length || input[2 * inPos]! <= tail[2 * t]!);
    const prefix = fromBase ? input[2 * inPos]! : tail[2 * t]!;
    const index = fromBase ? input[2 * inPos + 1]! : tail[2 * t + 1]!;
    if (fromBase) inPos++;
    else t++;
    if (j % RUN_BLOCK === 0) fence[j / RUN_BLOCK] = prefix;
    out[2 * outLen] = prefix;
    out[2 * outLen + 1] = index;
    if (++outLen === inRecords) {
      await w.put(Buffer.from(out.buffer, 0, outLen * RUN_RECORD_BYTES));
      outLen = 0;
    }
  }
  await w.put(Buffer.from(out.buffer, 0, outLen * RUN_RECORD_BYTES));
  return fence;
}

/**
 * Writes the checkpoint of `base` (the current one, if any) plus `tail` atomically and durably to `dir`/checkpoint.bin
 * and returns it open. `base` is only read.
 */
export async function writeCheckpoint(dir: string, base: CheckpointFile | undefined, tail: CheckpointTail): Promise<CheckpointFile> {
  const baseSize = base?.size ?? 0;
  const count = tail.size - baseSize;
  if (count < 0 || tail.leafRun.length !== count * 2 || tail.dedupRun.length !== count * 2) throw new RangeError('checkpoint tail does not fit its base');
  const head = Buffer.alloc(HEADER);
  MAGIC.copy(head);
  let o = MAGIC.length;
  for (const v of [tail.size, tail.end, tail.newest]) o = head.writeDoubleLE(v, o);
  o = head.writeUInt32LE(tail.entriesCrc, o);
  head.writeUInt32LE(treeHeight(tail.size), o);

  const tmp = join(dir, `${CHECKPOINT_FILE}.tmp`);
  const fh = await open(tmp, 'w', 0o644);
  let fences: { leaf: Uint32Array; dedup: Uint32Array };
  const filter = new DigestFilter(tail.size);
  try {
    const w = new Writer(fh);
    await w.put(head);
    for (let l = 0; l < treeHeight(tail.size); l++) {
      const { first, buffer } = tail.levels[l] ?? { first: 0, buffer: Buffer.alloc(0) };
      if (first > (base?.levelCount(l) ?? 0)) throw new RangeError(`checkpoint tail level ${l} starts past its base`);
      if (first > 0) await copyFrom(base!, base!.sections.levelAt[l]!, first * DIGEST_BYTES, w);
      await w.put(buffer.subarray(0, (Math.floor(tail.size / 2 ** l) - first) * DIGEST_BYTES));
    }
    if (base) await copyFrom(base, base.sections.dedupAt, baseSize * DIGEST_BYTES, w, (b) => filter.addAll(b));
    const tailKeys = tail.dedupKeys.subarray(0, count * DIGEST_BYTES);
    filter.addAll(tailKeys);
    await w.put(tailKeys);
    if (base) await copyFrom(base, base.sections.offsetsAt, baseSize * 8, w);
    await w.put(Buffer.from(tail.offsets.buffer, tail.offsets.byteOffset, count * 8));
    const leaf = await mergeRuns(base, base?.sections.leafRunAt ?? 0, baseSize, tail.leafRun, w);
    const dedup = await mergeRuns(base, base?.sections.dedupRunAt ?? 0, baseSize, tail.dedupRun, w);
    fences = { leaf, dedup };
    await w.flush();
    const crc = Buffer.alloc(4);
    crc.writeUInt32LE(w.crc);
    await w.put(crc);
    await w.flush();
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, CHECKPOINT_FILE));
  await fsyncDirectory(dir);
  return new CheckpointFile(openSync(join(dir, CHECKPOINT_FILE), 'r'), tail, fences, filter);
}
