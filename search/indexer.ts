// Keeps a search index level with a log: catch-up from the index's size to the log's, in chunks, each written in one
// transaction. Sources: the log's own store (the companion log, in process; with Redis, every frontend reads the
// shared store, so each frontend's index sees every entry whoever sequenced it) or any RFC 6962 log over HTTP
// (get-sth + get-entries, ct/client.ts). Catch-ups never overlap; a poll timer keeps the index fresh between searches.
// The companion log's indexer runs in a worker thread of its own (search/index-worker.ts), so that none of this
// (decoding, SQLite transactions, WAL checkpoints and their fsyncs) holds the event loop the CA answers on.
import { entryIdentity } from '../ct/entry-identity.js';
import { parseMerkleTreeLeaf } from '../ct/structures.js';
import type { CtClient } from '../ct/client.js';
import type { LogStore } from '../ct/store.js';
import type { Logger } from '../lib/log.js';
import { silentLogger } from '../lib/log.js';
import type { IndexedEntry, IndexRow, SearchIndex } from './index-db.js';
import type { SearchQuery } from './query.js';

/** Where entries come from. */
export interface EntrySource {
  /** Names the log (its log ID, base64): an index built for another log is rebuilt. */
  readonly logId: string;
  size(): Promise<number>;
  /** Leaf inputs of entries [start, end); may return fewer (a log caps get-entries), never none. */
  getLeaves(start: number, end: number): Promise<Buffer[]>;
}

const CHUNK = 1000;
/**
 * How long one synchronous step (decode, then one transaction) may take before the indexer yields to the event loop
 * (default): whatever shares the thread waits no longer for it. At ~0.1 ms per entry a step of the former fixed 250
 * entries held the loop for 25–40 ms. In a thread of its own the indexer takes longer steps (fewer, larger
 * transactions: each one rewrites every page it touches into the WAL) and yields only so that queries get their turn.
 */
const STEP_MS = 5;
/** The first step's size; later steps are sized from the measured time per entry. */
const FIRST_STEP = 8;
const MAX_STEP = 1000;
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export function storeSource(store: LogStore, logId: string): EntrySource {
  return {
    logId,
    size: () => store.size(),
    getLeaves: async (start, end) => (await store.getEntries(start, Math.min(end, start + CHUNK))).map((e) => e.leafInput),
  };
}

export function clientSource(client: CtClient, logId: string): EntrySource {
  return {
    logId,
    size: async () => (await client.getSth()).treeSize,
    async getLeaves(start, end) {
      const entries = await client.getEntries(start, Math.min(end, start + CHUNK) - 1);
      if (entries.length === 0) throw new Error(`get-entries ${start}: the log returned no entries`);
      return entries.map((e) => e.leafInput);
    },
  };
}

/** Decodes one leaf; an entry this code cannot read is indexed as undecodable (kept so that size stays contiguous). */
export function indexedEntry(index: number, leafInput: Buffer): IndexedEntry {
  try {
    const entry = entryIdentity(leafInput);
    return { index, timestamp: entry.timestamp, entry };
  } catch {
    let timestamp = 0;
    try {
      timestamp = parseMerkleTreeLeaf(leafInput).timestamp;
    } catch {
      // not even a MerkleTreeLeaf: time 0
    }
    return { index, timestamp, entry: undefined };
  }
}

export interface Indexer {
  /** Indexes up to `target` entries (default: the log's current size). Resolves to the index's size. */
  catchUp(target?: number): Promise<number>;
  /** SearchIndex.query: matching entries below `treeSize`. */
  query(q: SearchQuery, treeSize: number): Promise<IndexRow[]>;
  /** Starts polling the source every `intervalMs`; stop() ends it. */
  follow(intervalMs: number): void;
  stop(): Promise<void>;
}

export function createIndexer(index: SearchIndex, source: EntrySource, o: { logger?: Logger; stepMs?: number } = {}): Indexer {
  const logger = o.logger ?? silentLogger;
  const stepMs = o.stepMs ?? STEP_MS;
  let running: Promise<number> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  let step = FIRST_STEP;
  async function run(target: number | undefined): Promise<number> {
    const logSize = await source.size();
    const end = Math.min(target ?? logSize, logSize);
    if (index.logId() !== source.logId || index.size() > logSize) {
      // A new index, one for another log, or one ahead of the log (the log was replaced): rebuild from entry 0.
      if (index.logId() !== undefined) logger.log('warn', 'search index does not match the log; rebuilding it', { index: index.location });
      index.reset(source.logId);
    }
    while (index.size() < end && !stopped) {
      const start = index.size();
      const leaves = await source.getLeaves(start, end);
      for (let at = 0; at < leaves.length && !stopped; ) {
        if (at > 0) await yieldToEventLoop();
        const t0 = performance.now();
        const n = Math.min(step, leaves.length - at);
        index.add(leaves.slice(at, at + n).map((leaf, i) => indexedEntry(start + at + i, leaf)));
        at += n;
        const perEntry = (performance.now() - t0) / n;
        step = Math.max(1, Math.min(MAX_STEP, Math.floor(stepMs / Math.max(perEntry, 1e-3))));
      }
    }
    return index.size();
  }

  /** One catch-up at a time; a caller asking for more than the running one reaches waits and runs again. */
  async function catchUp(target?: number): Promise<number> {
    if (target !== undefined && index.logId() === source.logId && index.size() >= target) return index.size();
    while (running) {
      const reached = await running.catch(() => index.size());
      if (target !== undefined && reached >= target) return reached;
    }
    running = run(target);
    try {
      return await running;
    } finally {
      running = undefined;
    }
  }

  return {
    catchUp,
    query: async (q, treeSize) => index.query(q, treeSize),
    follow(intervalMs) {
      const tick = () => {
        timer = undefined;
        catchUp()
          .catch((e: unknown) => logger.log('warn', 'search index catch-up failed; retrying', { error: e instanceof Error ? e.message : String(e) }))
          .finally(() => {
            if (!stopped) timer = setTimeout(tick, intervalMs).unref();
          });
      };
      tick();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
