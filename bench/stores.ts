// Opening throwaway stores of each kind, with their cleanup registered up front: a file store in a temp dir (removed),
// a Redis store under a fresh prefix (dropped with dropRedisLog), or a memory store. Also the per-entry footprint of a
// file store (entries.log) and of a Redis log (MEMORY USAGE of every key under its prefix).
import { randomBytes } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { openFileStore } from '../ct/file-store.js';
import { createMemoryStore } from '../ct/memory-store.js';
import { dropRedisLog, openRedisStore } from '../ct/redis-store.js';
import type { LogStore, NewEntry, Sequenced } from '../ct/store.js';
import { info, keysMatching, withRedis } from './redis.js';
import { cleanup, now, tempDir } from './util.js';

export type StoreKind = 'memory' | 'file' | 'redis';

export interface BenchStore {
  readonly kind: StoreKind;
  /** The store, with sequence() wrapped to keep each call's size (the group-commit batches). */
  readonly store: LogStore;
  readonly dir?: string;
  readonly prefix?: string;
  readonly batchSizes: number[];
  /** Closes the store and removes its data. */
  dispose(): Promise<void>;
  /**
   * Closes and reopens a file store in place (same dir); resolves to the open and close times in ms. `dropCheckpoint`
   * deletes checkpoint.bin between the two, so the open rebuilds from entries.log (as every open did before it);
   * `whileClosed` runs between them (another process may open the directory then).
   */
  reopen?(opts?: { dropCheckpoint?: boolean; whileClosed?: (dir: string) => Promise<void> }): Promise<{ openMs: number; closeMs: number }>;
}

let counter = 0;

function counted(store: LogStore, batchSizes: number[]): LogStore {
  return {
    ...store,
    sequence(entries: readonly NewEntry[]): Promise<Sequenced[]> {
      batchSizes.push(entries.length);
      return store.sequence(entries);
    },
  };
}

export async function openBenchStore(kind: StoreKind, redisUrl: string, label: string): Promise<BenchStore> {
  const batchSizes: number[] = [];
  if (kind === 'memory') {
    const store = createMemoryStore();
    return { kind, store: counted(store, batchSizes), batchSizes, dispose: () => store.close() };
  }
  if (kind === 'file') {
    const { dir, remove } = await tempDir(label);
    let raw: LogStore | undefined;
    const closeStore = cleanup.add(`close file store ${dir}`, async () => raw?.close());
    try {
      raw = await openFileStore(dir);
    } catch (e) {
      await closeStore();
      await remove();
      throw e;
    }
    const bench: BenchStore = {
      kind,
      store: counted(raw, batchSizes),
      dir,
      batchSizes,
      async dispose() {
        await closeStore();
        await remove();
      },
      async reopen(opts = {}) {
        const c0 = now();
        await raw!.close();
        const closeMs = now() - c0;
        raw = undefined;
        if (opts.dropCheckpoint) await rm(join(dir, 'checkpoint.bin'));
        await opts.whileClosed?.(dir);
        const t0 = now();
        raw = await openFileStore(dir);
        const openMs = now() - t0;
        (bench as { store: LogStore }).store = counted(raw, batchSizes);
        return { openMs, closeMs };
      },
    };
    return bench;
  }
  const prefix = `fulgor-bench-${process.pid}-${++counter}-${randomBytes(4).toString('hex')}`;
  const drop = cleanup.add(`drop Redis prefix ${prefix}`, () => dropRedisLog(redisUrl, prefix));
  let raw: LogStore | undefined;
  const closeStore = cleanup.add(`close Redis store ${prefix}`, async () => raw?.close());
  try {
    raw = await openRedisStore(redisUrl, { prefix });
  } catch (e) {
    await closeStore();
    await drop();
    throw e;
  }
  return {
    kind,
    store: counted(raw, batchSizes),
    prefix,
    batchSizes,
    async dispose() {
      await closeStore();
      await drop();
    },
  };
}

export interface Footprint {
  readonly entries: number;
  /** Average leafInput + extraData bytes per entry (the payload RFC 6962 requires a log to keep). */
  readonly payloadPerEntry: number;
  /** Stored bytes per entry. */
  readonly bytesPerEntry: number;
  /** Breakdown of bytesPerEntry by what holds it. */
  readonly parts: Record<string, number>;
}

async function payloadPerEntry(store: LogStore, n: number): Promise<number> {
  let sum = 0;
  for (let start = 0; start < n; start += 1000) {
    const end = Math.min(n, start + 1000);
    for (const e of await store.getEntries(start, end)) sum += e.leafInput.length + e.extraData.length;
  }
  return n === 0 ? 0 : sum / n;
}

/** Size of entries.log per entry; records add 95 fixed bytes (header, CRC, version, commit length, timestamp, leaf
 * hash, length fields) plus the 32-byte dedup key to leafInput + extraData. */
export async function fileFootprint(b: BenchStore, payload?: number): Promise<Footprint> {
  const n = await b.store.size();
  const { size } = await stat(join(b.dir!, 'entries.log'));
  const avgPayload = payload ?? (await payloadPerEntry(b.store, n));
  return {
    entries: n,
    payloadPerEntry: avgPayload,
    bytesPerEntry: size / n,
    parts: { 'leafInput+extraData': avgPayload, 'record framing, leaf hash, dedup key': size / n - avgPayload },
  };
}

const redisPart = (suffix: string): string =>
  suffix.startsWith('e:')
    ? 'entries (e:*)'
    : suffix.startsWith('h:0:')
      ? 'leaf hashes (h:0:*)'
      : suffix.startsWith('h:')
        ? 'interior nodes (h:1+:*)'
        : suffix === 'dd'
          ? 'dedup index (dd)'
          : suffix === 'lh'
            ? 'leaf-hash index (lh)'
            : suffix === 'c'
              ? 'shared chains (c)'
              : 'other (n, ts, v, sth)';

/** MEMORY USAGE (SAMPLES 0, i.e. exact) of every key under the prefix, per entry, by key kind. */
export async function redisFootprint(redisUrl: string, b: BenchStore, payload?: number): Promise<Footprint> {
  const n = await b.store.size();
  const avgPayload = payload ?? (await payloadPerEntry(b.store, n));
  return withRedis(redisUrl, async (redis) => {
    const base = `{${b.prefix}}:`;
    const parts: Record<string, number> = {};
    let total = 0;
    for (const key of await keysMatching(redis, `${base}*`)) {
      const bytes = Number(await redis.memory('USAGE', key, 'SAMPLES', 0));
      const part = redisPart(key.slice(base.length));
      parts[part] = (parts[part] ?? 0) + bytes / n;
      total += bytes;
    }
    return { entries: n, payloadPerEntry: avgPayload, bytesPerEntry: total / n, parts };
  });
}

/** INFO memory used_memory, bytes. */
export async function redisUsedMemory(redisUrl: string): Promise<number> {
  return withRedis(redisUrl, async (redis) => Number((await info(redis, 'memory'))['used_memory']));
}
