// The embedded default LogStore: a directory holding
//   entries.log — append-only, checksummed entry records (file-records.ts); one write + one fdatasync per sequence()
//                 call (group commit), and nothing is indexed or acknowledged before that fdatasync returns;
//   sth.json    — the latest published STH, replaced atomically (temp file, fsync, rename, fsync directory);
//   checkpoint.bin — everything derived from the records up to some entry (tree levels, dedup keys, offsets, both
//                 lookups; file-checkpoint.ts), read by position; rewritten (merged with the entries after it) in the
//                 background once `checkpointEvery` entries and 1/16 of the log (or maxTail / 2) follow it, and on close
//                 when 1/16 of the log follows it;
//   LOCK        — locked by the one process that owns the directory, naming it (file-lock.ts).
// On open the checkpoint is checked against entries.log (the CRC-32 of the bytes it covers, the last record and a
// random sample of records with their inclusion paths); only the records after it are parsed. Without a usable
// checkpoint (none, torn, damaged, or covering more than the file holds) the whole file is scanned, writing a
// checkpoint every maxTail records. Either way a torn final commit is logged and truncated away and corruption before
// intact data is a hard error. Memory holds the entries after the checkpoint (~130 B each; file-state.ts) and a few
// bytes per older entry; entry bytes are read from the file on demand.
import { createHash, randomInt } from 'node:crypto';
import { constants, writeSync } from 'node:fs';
import { mkdir, open, readFile, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDirectory, writeFileAtomically } from '../lib/atomic-file.js';
import type { Logger } from '../lib/log.js';
import { silentLogger } from '../lib/log.js';
import { DIGEST_BYTES } from './compact-tree.js';
import { openCheckpoint, writeCheckpoint, type CheckpointFile } from './file-checkpoint.js';
import { FileState } from './file-state.js';
import { lockDirectory } from './file-lock.js';
import { crc32Combine } from './crc32-combine.js';
import { crc32Range, decodeRecord, encodeCommit, HEADER_BYTES, MAGIC, readAt, recordBytes, scanRecords } from './file-records.js';
import { inclusionProof, verifyInclusion, type NodeId } from './merkle.js';
import type { LogStore, NewEntry, Sequenced, StoredEntry, StoredSth } from './store.js';

export interface FileStoreOptions {
  readonly logger?: Logger;
  /**
   * Write a checkpoint (in the background) once this many entries, and at least 1/16 of the log, follow the last one;
   * default 65,536.
   */
  readonly checkpointEvery?: number;
  /**
   * Entries held in memory after the checkpoint at most (about 130 B each): a checkpoint is written in the background
   * once half as many follow it, and a rebuild from entries.log writes one every this many; default 1,048,576.
   */
  readonly maxTail?: number;
}

/** Records checked against a checkpoint on open besides the last one (random, with their inclusion paths). */
const CHECKPOINT_SAMPLES = 8;

const ENTRIES_FILE = 'entries.log';
const STH_FILE = 'sth.json';

/** Dedup keys are indexed as 32-byte digests: SHA-256 keys as they are, any other key hashed. */
const dedupDigest = (key: Buffer): Buffer =>
  key.length === DIGEST_BYTES ? key : createHash('sha256').update('fulgor ct dedup key\0').update(key).digest();

async function openEntriesFile(dir: string): Promise<{ fh: FileHandle; size: number }> {
  const path = join(dir, ENTRIES_FILE);
  const fh = await open(path, constants.O_RDWR | constants.O_CREAT, 0o644);
  try {
    const { size } = await fh.stat();
    const head = size === 0 ? Buffer.alloc(0) : await readAt(fh, 0, Math.min(size, HEADER_BYTES));
    if (size >= HEADER_BYTES && head.equals(MAGIC)) return { fh, size };
    if (size >= HEADER_BYTES || !head.equals(MAGIC.subarray(0, head.length)))
      throw new Error(`${path} is not a Fulgor CT log entries file (bad header)`);
    // New, or a creation cut short by a crash: (re)write the header durably.
    await fh.truncate(0);
    await fh.write(MAGIC, 0, MAGIC.length, 0);
    await fh.sync();
    await fsyncDirectory(dir);
    return { fh, size: HEADER_BYTES };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

async function readSth(dir: string): Promise<StoredSth | undefined> {
  await rm(join(dir, `${STH_FILE}.tmp`), { force: true });
  const text = await readFile(join(dir, STH_FILE), 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (text === undefined) return undefined;
  try {
    const j = JSON.parse(text) as Record<string, unknown>;
    const sth = {
      treeSize: j['treeSize'] as number,
      timestamp: j['timestamp'] as number,
      rootHash: Buffer.from(j['rootHash'] as string, 'base64'),
      signature: Buffer.from(j['signature'] as string, 'base64'),
    };
    if (!Number.isSafeInteger(sth.treeSize) || !Number.isSafeInteger(sth.timestamp)) throw new Error('bad numbers');
    return sth;
  } catch (e) {
    throw new Error(`${join(dir, STH_FILE)} is unreadable: ${(e as Error).message}`, { cause: e });
  }
}

async function writeSthAtomically(dir: string, sth: StoredSth): Promise<void> {
  const json = JSON.stringify({
    treeSize: sth.treeSize,
    timestamp: sth.timestamp,
    rootHash: sth.rootHash.toString('base64'),
    signature: sth.signature.toString('base64'),
  });
  await writeFileAtomically(join(dir, STH_FILE), json + '\n');
}

export async function openFileStore(dir: string, opts: FileStoreOptions = {}): Promise<LogStore> {
  const logger = opts.logger ?? silentLogger;
  const started = Date.now();
  await mkdir(dir, { recursive: true });
  const unlock = await lockDirectory(dir, logger);
  let fh: FileHandle | undefined;
  try {
    const opened = await openEntriesFile(dir);
    fh = opened.fh;
    const { store, stats } = await loadStore(dir, fh, opened.size, logger, opts.checkpointEvery ?? 65_536, opts.maxTail ?? 1 << 20);
    logger.log('info', 'CT log file store opened', { dir, entries: await store.size(), bytes: opened.size, ms: Date.now() - started, ...stats });
    let closing: Promise<void> | undefined;
    return { ...store, close: () => (closing ??= store.close().finally(unlock)) };
  } catch (e) {
    await fh?.close();
    await unlock();
    throw e;
  }
}

/** What a reopen did: the checkpoint's entry count (null: none used), records parsed after it, records read to check it. */
export interface OpenStats {
  readonly checkpoint: number | null;
  readonly recordsParsed: number;
  readonly recordsChecked: number;
}

/**
 * Why checkpoint `ck` does not describe the first ck.size records of the entries file (undefined: it does), checking
 * the CRC of the bytes it covers, the last record (which must end its commit at ck.end) and a random sample, each
 * against the leaf hash, dedup key and both lookups, with an inclusion path through the stored levels.
 */
async function checkpointMismatch(
  ck: CheckpointFile,
  state: FileState,
  fh: FileHandle,
  fileSize: number,
  prefixCrc: Promise<number | Error> | undefined,
  onRead: () => void,
): Promise<string | undefined> {
  if (ck.end > fileSize || !prefixCrc) return `it covers ${ck.end} bytes of entries.log, which holds ${fileSize}`;
  if ((ck.size === 0) !== (ck.end === HEADER_BYTES)) return 'its entry count and end offset disagree';
  const crc = await prefixCrc;
  if (crc instanceof Error) throw crc;
  if (crc !== ck.entriesCrc) return 'entries.log differs from the bytes it covers';
  if (ck.size === 0) return undefined;
  const root = state.root();
  const samples = new Set([ck.size - 1, ...Array.from({ length: CHECKPOINT_SAMPLES }, () => randomInt(ck.size))]);
  for (const i of samples) {
    onRead();
    const start = state.offset(i);
    const stop = i + 1 < ck.size ? state.offset(i + 1) : ck.end;
    if (!(start >= HEADER_BYTES && stop > start && stop <= ck.end)) return `its offset of entry ${i} is out of range`;
    const decoded = decodeRecord(await readAt(fh, start, stop - start), 0);
    if (!decoded || decoded.end !== stop - start) return `entry ${i} is not a whole record at its offset`;
    const { leafHash, dedupKey } = decoded.record;
    if (i === ck.size - 1 && start + decoded.commitRest !== ck.end) return 'its last entry does not end a commit at its end';
    if (!leafHash.equals(state.leafHash(i))) return `entry ${i}'s leaf hash differs`;
    if (!state.dedupKey(i).equals(dedupDigest(dedupKey))) return `entry ${i}'s dedup key differs`;
    if (state.findDedup(dedupDigest(dedupKey)) !== i) return `its dedup run misplaces entry ${i}`;
    const first = state.findLeaf(leafHash);
    if (first === undefined || first > i || !state.leafHash(first).equals(leafHash)) return `its leaf-hash run misplaces entry ${i}`;
    if (!verifyInclusion(i, ck.size, leafHash, await inclusionProof(state, i, ck.size), root))
      return `entry ${i}'s inclusion path through its tree levels does not reach its root`;
  }
  return undefined;
}

async function loadStore(
  dir: string,
  fh: FileHandle,
  fileSize: number,
  logger: Logger,
  checkpointEvery: number,
  maxTail: number,
): Promise<{ store: LogStore; stats: OpenStats }> {
  let state = new FileState();
  let end = HEADER_BYTES; // the committed end of the entries file
  let newest = 0;
  /** CRC-32 of the entries file's bytes [0, crcEnd). */
  let entriesCrc = 0;
  let crcEnd = 0;
  let recordsChecked = 0;

  /** CRC-32 of the bytes the checkpoint covers, computed while the checkpoint loads. */
  let prefixCrc: Promise<number | Error> | undefined;
  const startPrefixCrc = (ckEnd: number): void => {
    if (ckEnd <= fileSize) prefixCrc = crc32Range(fh, 0, ckEnd, 0).catch((e: Error) => e);
  };
  let ck = await openCheckpoint(dir, startPrefixCrc).catch((e: Error) => {
    logger.log('warn', 'CT log checkpoint is unusable; rebuilding from the entries file', { dir, reason: e.message });
    return undefined;
  });
  if (ck) {
    let why: string | undefined;
    try {
      const candidate = new FileState(ck);
      why = await checkpointMismatch(ck, candidate, fh, fileSize, prefixCrc, () => recordsChecked++);
      if (!why) {
        state = candidate;
        end = crcEnd = ck.end;
        newest = ck.newest;
        entriesCrc = ck.entriesCrc;
      }
    } catch (e) {
      why = (e as Error).message;
    }
    if (why) {
      logger.log('warn', 'CT log checkpoint does not match the entries file; rebuilding from the entries file', { dir, reason: why });
      ck.close();
      ck = undefined;
    }
  }
  await prefixCrc; // settled (it never rejects) before the scan below may truncate the file
  const openedFrom = ck?.size ?? null;

  let closed = false;
  /** Set when a write or fdatasync failed: the file's state past `end` is unknown until a reopen rescans it. */
  let broken: Error | undefined;
  let checkpointing: Promise<void> | undefined;
  /** Writes a checkpoint of the state now (captured synchronously: later appends do not change what it covers). */
  const checkpoint = (): Promise<void> => {
    const tail = state.tail({ end, newest, entriesCrc });
    return writeCheckpoint(dir, state.base, tail).then(
      (next) => state.rebase(next),
      (e: unknown) => logger.log('warn', 'CT log checkpoint write failed; the next reopen parses more records', { dir, error: String(e) }),
    );
  };

  let recordsParsed = 0;
  for (;;) {
    const scan = await scanRecords(
      fh,
      fileSize,
      (r, start, recordEnd) => {
        state.append(r.leafHash, dedupDigest(r.dedupKey), start);
        newest = Math.max(newest, r.timestamp);
        end = recordEnd;
        recordsParsed++;
      },
      end,
      () => state.tailSize >= maxTail,
    );
    if (scan.torn) {
      logger.log('warn', 'CT log entries file ends in a torn write (crash during an append); truncating it', {
        file: join(dir, ENTRIES_FILE),
        offset: scan.end,
        bytes: scan.torn.bytes,
        reason: scan.torn.reason,
      });
      await fh.truncate(scan.end);
      await fh.sync();
    }
    entriesCrc = await crc32Range(fh, crcEnd, end, entriesCrc);
    crcEnd = end;
    if (!scan.paused) break;
    // A long rebuild: checkpoint what is parsed so far, so memory holds at most maxTail entries.
    await checkpoint();
  }
  let latest = await readSth(dir);

  let closing: Promise<void> | undefined;
  let tail: Promise<unknown> = Promise.resolve();
  /** Operations called and not yet settled. */
  let queued = 0;
  /**
   * One operation at a time, in call order. With none running, `fn` starts at once rather than a promise turn later,
   * so that a batch's write and fdatasync are under way before the caller goes on with other work (ct/log.ts hands
   * over the next batch first, then signs the previous one's SCTs while this one syncs).
   */
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const go = async (): Promise<T> => {
      if (closed) throw new Error('the CT log file store is closed');
      return fn();
    };
    const run = queued === 0 ? go() : tail.then(go);
    queued++;
    const settled = (): void => void queued--;
    tail = run.then(settled, settled);
    return run;
  };

  const checkpointInBackground = (): void => {
    if (checkpointing || broken || closed) return;
    checkpointing = checkpoint().finally(() => (checkpointing = undefined));
  };
  if (recordsParsed > 0) checkpointInBackground();

  async function readEntries(start: number, stop: number): Promise<StoredEntry[]> {
    if (start === stop) return [];
    const from = state.offset(start);
    const buf = await readAt(fh, from, (stop < state.size ? state.offset(stop) : end) - from);
    const out: StoredEntry[] = [];
    for (let at = 0, i = start; i < stop; i++) {
      const decoded = decodeRecord(buf, at);
      if (!decoded) throw new Error(`CT log entry ${i} (offset ${from + at}) fails its checksum when read back`);
      out.push({ leafInput: decoded.record.leafInput, extraData: decoded.record.extraData });
      at = decoded.end;
    }
    return out;
  }

  async function sequence(batch: readonly NewEntry[]): Promise<Sequenced[]> {
    if (broken) throw new Error(`the CT log file store refuses writes after a failed write; reopen it (${broken.message})`);
    const results: Sequenced[] = [];
    const fresh: { entry: NewEntry; key: Buffer }[] = [];
    /** Results that are duplicates of stored entries: their original leaves are read after the write is under way. */
    const stored: { at: number; index: number }[] = [];
    const inBatch = new Map<string, number>();
    for (const entry of batch) {
      if (entry.leafHash.length !== DIGEST_BYTES) throw new RangeError('leafHash must be 32 bytes');
      if (!Number.isSafeInteger(entry.timestamp) || entry.timestamp < 0) throw new RangeError('bad entry timestamp');
      const key = dedupDigest(entry.dedupKey);
      const index = state.findDedup(key);
      if (index !== undefined) {
        stored.push({ at: results.length, index });
        results.push({ index, leafInput: entry.leafInput, duplicate: true }); // the leaf is replaced below
        continue;
      }
      const id = key.toString('latin1');
      const earlier = inBatch.get(id);
      if (earlier !== undefined) {
        results.push({ index: state.size + earlier, leafInput: fresh[earlier]!.entry.leafInput, duplicate: true });
        continue;
      }
      inBatch.set(id, fresh.length);
      results.push({ index: state.size + fresh.length, leafInput: entry.leafInput, duplicate: false });
      fresh.push({ entry, key });
    }
    const [, originals] = await Promise.all([
      fresh.length > 0 ? append(fresh) : undefined,
      Promise.all(stored.map(({ index }) => readEntries(index, index + 1))),
    ]);
    originals.forEach(([original], k) => {
      const { at, index } = stored[k]!;
      results[at] = { index, leafInput: original!.leafInput, duplicate: true };
    });
    return results;
  }

  /** Writes the fresh entries of a batch as one commit, fdatasyncs it, then indexes them. */
  async function append(fresh: readonly { entry: NewEntry; key: Buffer }[]): Promise<void> {
    let total = 0;
    for (const f of fresh) total += recordBytes(f.entry);
    if (total > 0xffffffff) throw new RangeError('batch too large for one commit');
    const buf = Buffer.allocUnsafe(total);
    const commit = encodeCommit(fresh.map((f) => f.entry), buf);
    try {
      // A synchronous write (into the page cache, ~100 KB for a batch of 32 certificates) so that the fdatasync is
      // issued in this same turn: after an asynchronous write it would wait for the event loop, i.e. for whatever
      // the log's callers run meanwhile, and nothing would overlap the sync.
      for (let written = 0; written < total; ) written += writeSync(fh.fd, buf, written, total - written, end + written);
      await fh.datasync(); // the group commit: every record of the batch is durable before anything is indexed
    } catch (e) {
      broken = e as Error;
      logger.log('error', 'CT log entries file write failed; refusing further writes until reopened', { error: String(e) });
      throw e;
    }
    fresh.forEach((f, i) => {
      state.append(f.entry.leafHash, f.key, end + commit.starts[i]!);
      newest = Math.max(newest, f.entry.timestamp);
    });
    end += total;
    entriesCrc = crc32Combine(entriesCrc, commit.crc, total);
    crcEnd = end;
    // Each checkpoint rewrites the whole checkpoint (~150 B per entry), so the interval grows with the log (at most 1/16
    // of it parsed after a crash, a bounded write cost per entry) until the tail held in memory reaches maxTail / 2.
    const since = state.tailSize;
    if (since >= checkpointEvery && (since * 16 >= state.size || since * 2 >= maxTail)) checkpointInBackground();
  }

  const store: LogStore = {
    size: async () => state.size,
    sequence: (batch) => exclusive(() => sequence(batch)),
    async getEntries(start, stop) {
      if (closed) throw new Error('the CT log file store is closed');
      const size = state.size;
      if (!Number.isSafeInteger(start) || !Number.isSafeInteger(stop) || start < 0 || stop > size || start > stop)
        throw new RangeError(`no entries [${start}, ${stop}) in a log of ${size}`);
      return readEntries(start, stop);
    },
    indexByLeafHash: async (leafHash) => state.findLeaf(leafHash),
    newestTimestamp: async () => newest,
    latestSth: async () => latest,
    publishSth: (sth) =>
      exclusive(async () => {
        if (!Number.isSafeInteger(sth.treeSize) || sth.treeSize < 0 || !Number.isSafeInteger(sth.timestamp))
          throw new RangeError('bad STH');
        if (latest && !(sth.timestamp > latest.timestamp && sth.treeSize >= latest.treeSize)) return latest;
        await writeSthAtomically(dir, sth);
        latest = { treeSize: sth.treeSize, timestamp: sth.timestamp, rootHash: Buffer.from(sth.rootHash), signature: Buffer.from(sth.signature) };
        return latest;
      }),
    getNodes: (ids: readonly NodeId[]) => state.getNodes(ids),
    close: () =>
      (closing ??= exclusive(async () => {
        closed = true;
        await checkpointing;
        // A checkpoint rewrites the whole of checkpoint.bin (~1.5 GB, ~30 s at 10,000,000 entries): on close only when the
        // entries after the last one are at least 1/16 of the log. Fewer are parsed on the next open instead (at most
        // ~1/16 of the log or maxTail / 2 records, well under the time the rewrite would add to every stop).
        if (!broken && (state.size - state.checkpointed) * 16 >= state.size && state.size !== state.checkpointed) await checkpoint();
        state.base?.close();
        await fh.close();
      })),
  };
  return { store, stats: { checkpoint: openedFrom, recordsParsed, recordsChecked } };
}
