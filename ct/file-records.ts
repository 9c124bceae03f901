// The file store's on-disk entry records and the recovery scan.
//
// entries file = MAGIC (8 bytes) ‖ record*
// record       = u32 payload_length ‖ u32 crc32(payload_length bytes ‖ payload) ‖ payload          (big-endian)
// payload v1   = u8 1 ‖ u32 commit_rest ‖ u64 timestamp ‖ leaf_hash[32] ‖ u16 len ‖ dedup_key ‖ u32 len ‖ leaf_input ‖
//                u32 len ‖ extra_data
// commit_rest  = bytes from this record's start to the end of the group commit (one write + fdatasync) it belongs to.
//
// Records are self-delimiting and checksummed. A crash can leave only the last commit bad (a partial append; blocks
// the file system had not written yet, read back as zeros or stale bytes); anything bad before a later commit, or
// before intact data, is real corruption.
import type { FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { addShifts, combineWithShift, shiftFor } from './crc32-combine.js';

export const MAGIC = Buffer.from('FGCTLOG1');
export const HEADER_BYTES = 8;
const VERSION = 1;
const MIN_PAYLOAD = 1 + 4 + 8 + 32 + 2 + 4 + 4;
/** Far above any real entry (leaf_input and extra_data are u24-bounded TLS vectors). */
export const MAX_PAYLOAD = 1 << 26;
const SCAN_CHUNK = 8 << 20;

export interface EntryRecord {
  readonly timestamp: number;
  readonly leafHash: Buffer;
  readonly dedupKey: Buffer;
  readonly leafInput: Buffer;
  readonly extraData: Buffer;
}

const checksum = (record: Buffer, start: number, payloadLength: number): number =>
  crc32(record.subarray(start + 8, start + 8 + payloadLength), crc32(record.subarray(start, start + 4)));

/** The encoded size of `e`'s record. */
export const recordBytes = (e: EntryRecord): number =>
  HEADER_BYTES + MIN_PAYLOAD + e.dedupKey.length + e.leafInput.length + e.extraData.length;

/** Encodes `e` into `b` at `at`; `commitRest` = bytes from `at` to the end of its commit. Returns the end offset. */
export function encodeRecord(e: EntryRecord, b: Buffer, at: number, commitRest: number): number {
  return encodeRecordCrc(e, b, at, commitRest, SCRATCH_CRC);
}
/** A record's CRC-32 and shiftFor(its length), as encodeRecordCrc reports them. */
interface RecordCrc {
  value: number;
  shift: number;
}
const SCRATCH_CRC: RecordCrc = { value: 0, shift: 0 };
const HEADER_SHIFT = shiftFor(HEADER_BYTES);

/**
 * Encodes a commit's records one after the other from the start of `b` (recordBytes each). Returns each record's
 * start in `b` and the CRC-32 of all of `b`: every record's bytes are checksummed once, and the CRC of the whole
 * (what the file store keeps of the entries file) is derived from those checksums, not read again.
 */
export function encodeCommit(entries: readonly EntryRecord[], b: Buffer): { starts: number[]; crc: number } {
  const starts: number[] = [];
  const record: RecordCrc = { value: 0, shift: 0 };
  let crc = 0;
  for (let at = 0, i = 0; i < entries.length; i++) {
    starts.push(at);
    at = encodeRecordCrc(entries[i]!, b, at, b.length - at, record);
    crc = combineWithShift(crc, record.value, record.shift);
  }
  return { starts, crc };
}

/** encodeRecord, reporting in `crc` the CRC-32 of the whole record as written (its checksum field included). */
function encodeRecordCrc(e: EntryRecord, b: Buffer, at: number, commitRest: number, crc: RecordCrc): number {
  if (e.leafHash.length !== 32) throw new RangeError('leaf hash must be 32 bytes');
  if (!Number.isSafeInteger(e.timestamp) || e.timestamp < 0) throw new RangeError('bad entry timestamp');
  if (e.dedupKey.length > 0xffff) throw new RangeError('dedup key too long');
  const payloadLength = MIN_PAYLOAD + e.dedupKey.length + e.leafInput.length + e.extraData.length;
  if (payloadLength > MAX_PAYLOAD) throw new RangeError(`entry too large (${payloadLength} bytes)`);
  b.writeUInt32BE(payloadLength, at);
  let o = b.writeUInt8(VERSION, at + HEADER_BYTES);
  o = b.writeUInt32BE(commitRest, o);
  o = b.writeUInt32BE(Math.floor(e.timestamp / 2 ** 32), o);
  o = b.writeUInt32BE(e.timestamp >>> 0, o);
  o += e.leafHash.copy(b, o);
  o = b.writeUInt16BE(e.dedupKey.length, o);
  o += e.dedupKey.copy(b, o);
  o = b.writeUInt32BE(e.leafInput.length, o);
  o += e.leafInput.copy(b, o);
  o = b.writeUInt32BE(e.extraData.length, o);
  e.extraData.copy(b, o);
  // One pass over the payload: the checksum (length ‖ payload) and the CRC of the whole record (length ‖ checksum ‖
  // payload) are both combined from it.
  const end = at + HEADER_BYTES + payloadLength;
  const payloadCrc = crc32(b.subarray(at + HEADER_BYTES, end));
  const payloadShift = shiftFor(payloadLength);
  b.writeUInt32BE(combineWithShift(smallCrc(b, at, at + 4), payloadCrc, payloadShift), at + 4);
  crc.value = combineWithShift(smallCrc(b, at, at + HEADER_BYTES), payloadCrc, payloadShift);
  crc.shift = addShifts(HEADER_SHIFT, payloadShift);
  return end;
}

/** CRC-32 table, reflected, for smallCrc. */
const CRC_TABLE = Int32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});
/** CRC-32 of a few bytes (a record header), as node:zlib's crc32 computes it, without a call into zlib. */
function smallCrc(b: Buffer, start: number, end: number): number {
  let c = -1;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** Decodes the record at `start` of `buf` (views into `buf`); null if it is incomplete, malformed or fails its CRC. */
export function decodeRecord(buf: Buffer, start: number): { record: EntryRecord; end: number; commitRest: number } | null {
  if (start + HEADER_BYTES > buf.length) return null;
  const payloadLength = buf.readUInt32BE(start);
  const end = start + HEADER_BYTES + payloadLength;
  if (payloadLength < MIN_PAYLOAD || payloadLength > MAX_PAYLOAD || end > buf.length) return null;
  if (checksum(buf, start, payloadLength) !== buf.readUInt32BE(start + 4)) return null;
  let o = start + HEADER_BYTES;
  if (buf[o++] !== VERSION) return null;
  const commitRest = buf.readUInt32BE(o);
  o += 4;
  const timestamp = Number(buf.readBigUInt64BE(o));
  o += 8;
  const leafHash = buf.subarray(o, (o += 32));
  const vec = (lengthBytes: 2 | 4): Buffer | null => {
    if (o + lengthBytes > end) return null;
    const n = lengthBytes === 2 ? buf.readUInt16BE(o) : buf.readUInt32BE(o);
    o += lengthBytes;
    return o + n > end ? null : buf.subarray(o, (o += n));
  };
  const dedupKey = vec(2);
  const leafInput = vec(4);
  const extraData = vec(4);
  if (!dedupKey || !leafInput || !extraData || o !== end) return null;
  return { record: { timestamp, leafHash, dedupKey, leafInput, extraData }, end, commitRest };
}

export async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got);
    if (bytesRead === 0) throw new Error(`unexpected end of file at offset ${position + got}`);
    got += bytesRead;
  }
  return buf;
}

/** CRC-32 of bytes [from, to) of the file, continuing `crc` (the CRC of the bytes before `from`). */
export async function crc32Range(fh: FileHandle, from: number, to: number, crc: number): Promise<number> {
  // Two buffers: the next chunk is read (on the thread pool) while this one is checksummed.
  const buffers = [Buffer.allocUnsafe(Math.min(SCAN_CHUNK, Math.max(0, to - from))), Buffer.allocUnsafe(Math.min(SCAN_CHUNK, Math.max(0, to - from)))];
  const readChunk = async (at: number, into: Buffer): Promise<Buffer> => {
    const n = Math.min(SCAN_CHUNK, to - at);
    for (let got = 0; got < n; ) {
      const { bytesRead } = await fh.read(into, got, n - got, at + got);
      if (bytesRead === 0) throw new Error(`unexpected end of file at offset ${at + got}`);
      got += bytesRead;
    }
    return into.subarray(0, n);
  };
  let next = from < to ? readChunk(from, buffers[0]!) : undefined;
  for (let at = from, k = 0; next; at += SCAN_CHUNK, k++) {
    const chunk = await next;
    next = at + SCAN_CHUNK < to ? readChunk(at + SCAN_CHUNK, buffers[(k + 1) % 2]!) : undefined;
    crc = crc32(chunk, crc);
  }
  return crc;
}

async function zerosFrom(fh: FileHandle, position: number, fileSize: number): Promise<boolean> {
  for (let at = position; at < fileSize; at += SCAN_CHUNK) {
    const chunk = await readAt(fh, at, Math.min(SCAN_CHUNK, fileSize - at));
    if (chunk.some((byte) => byte !== 0)) return false;
  }
  return true;
}

const corrupt = (pos: number, fileSize: number, why: string): Error =>
  new Error(
    `CT log entries file is corrupt at offset ${pos} of ${fileSize}: the record there is malformed or fails its ` +
      `checksum and ${why}, so it is not a torn final write. Refusing to open; restore the file from a backup ` +
      `(the first ${pos} bytes are intact).`,
  );

export interface ScanResult {
  /** Offset just past the last good record. */
  readonly end: number;
  /** Set when a bad tail (partial write at a crash) follows `end`; it must be truncated away. */
  readonly torn?: { readonly bytes: number; readonly reason: string };
  /** Set when `pause` stopped the scan at `end` (a commit boundary): scan again from there. */
  readonly paused?: boolean;
}

/**
 * Reads every record from `from` (HEADER_BYTES, or the end of a known-good commit) to `fileSize`, calling `onRecord` with views valid only during the call.
 * A bad record that reaches the end of the file (or is followed only by zeros) is a torn tail; any other bad record
 * throws, naming its offset. `pause`, asked at each commit boundary, may stop the scan there (e.g. to write a
 * checkpoint before reading on).
 */
export async function scanRecords(
  fh: FileHandle,
  fileSize: number,
  onRecord: (record: EntryRecord, start: number, end: number) => void,
  from = HEADER_BYTES,
  pause?: () => boolean,
): Promise<ScanResult> {
  let chunk: Buffer = Buffer.alloc(0);
  let chunkStart = from;
  /** Makes `chunk` cover [pos, pos + n) (n ≤ fileSize - pos); returns pos's offset in it. */
  const cover = async (pos: number, n: number): Promise<number> => {
    if (pos < chunkStart || pos + n > chunkStart + chunk.length) {
      chunk = await readAt(fh, pos, Math.min(Math.max(SCAN_CHUNK, n), fileSize - pos));
      chunkStart = pos;
    }
    return pos - chunkStart;
  };
  let pos = from;
  let commitEnd = pos; // end of the commit the last good record belongs to
  while (pos < fileSize) {
    let reason: string;
    let claimedEnd = Infinity;
    if (pos + HEADER_BYTES <= fileSize) {
      const rel = await cover(pos, HEADER_BYTES);
      const payloadLength = chunk.readUInt32BE(rel);
      claimedEnd = pos + HEADER_BYTES + payloadLength;
      if (payloadLength <= MAX_PAYLOAD && claimedEnd <= fileSize) {
        const at = await cover(pos, claimedEnd - pos);
        const decoded = decodeRecord(chunk, at);
        if (decoded && decoded.end - at === claimedEnd - pos && pos + decoded.commitRest >= claimedEnd &&
          (pos >= commitEnd || pos + decoded.commitRest === commitEnd)) {
          if (pos >= commitEnd) commitEnd = pos + decoded.commitRest;
          onRecord(decoded.record, pos, claimedEnd);
          pos = claimedEnd;
          if (pos === commitEnd && pos < fileSize && pause?.()) return { end: pos, paused: true };
          continue;
        }
      }
    }
    if (pos < commitEnd) {
      // Inside a commit whose first records are intact: torn only if that commit is the file's last.
      if (commitEnd < fileSize) throw corrupt(pos, fileSize, 'a later commit follows it');
      reason = `the final commit is cut short (${commitEnd - pos} bytes unreadable)`;
    } else if (claimedEnd > fileSize) reason = 'the final record is cut short by the end of the file';
    else if (claimedEnd === fileSize) reason = 'the final record is malformed or fails its checksum';
    else if (await zerosFrom(fh, pos, fileSize)) reason = 'the file ends in zeros';
    else throw corrupt(pos, fileSize, 'data follows it');
    return { end: pos, torn: { bytes: fileSize - pos, reason } };
  }
  return { end: pos };
}
