// The search index's own thread (worker_threads): it owns the SQLite database and runs the indexer (search/indexer.ts)
// and the queries, so that decoding entries, SQLite's transactions and its WAL checkpoints (which fsync the WAL and
// the database file) never hold the event loop of the process that serves the CA and the log. Measured on the
// companion log's file store before this thread existed: each indexed entry cost ~36 WAL writes and every few
// seconds a checkpoint fsynced on the main thread, which is where the issuance latency's p99 went (BENCHMARKS.md).
// Entries still come from the main thread, which owns the log's store: the worker asks for sizes and leaves by
// message (search/worker-indexer.ts answers), so an index here behaves exactly like one in the main thread,
// including catching up from the log after a restart.
import { parentPort, workerData } from 'node:worker_threads';
import type { LogLevel, Logger } from '../lib/log.js';
import { unpackBytes, type PackedBytes } from '../lib/thread-bytes.js';
import { openSearchIndex, type SearchIndex } from './index-db.js';
import { createIndexer, type EntrySource } from './indexer.js';
import type { SearchQuery } from './query.js';

export interface IndexWorkerData {
  /** `:memory:` or the database file. */
  readonly location: string;
  readonly logId: string;
  /** The indexer's step (createIndexer's stepMs). */
  readonly stepMs: number;
}

/** An error as it crosses threads; `sourceError` names the main thread's own error object (e.g. the store's 503). */
export interface WireError {
  readonly message: string;
  readonly sourceError?: number;
}

/** Worker → main thread. */
export type FromIndexWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'failed'; readonly message: string }
  /** The source's size() (no start), or getLeaves(start, end). */
  | { readonly type: 'source'; readonly id: number; readonly start?: number; readonly end?: number }
  | { readonly type: 'reply'; readonly id: number; readonly value?: unknown; readonly error?: WireError }
  | { readonly type: 'log'; readonly level: LogLevel; readonly msg: string; readonly fields?: Record<string, unknown> };

/**
 * Main thread → worker. Leaves cross packed (lib/thread-bytes.ts): posting a store's slices of larger reads as they
 * are copied each one's whole backing ArrayBuffer, ~30 µs of the sending thread's time per entry.
 */
export type ToIndexWorker =
  | { readonly type: 'source'; readonly id: number; readonly value?: number | PackedBytes; readonly error?: WireError }
  | { readonly type: 'catchUp'; readonly id: number; readonly target?: number }
  | { readonly type: 'query'; readonly id: number; readonly q: SearchQuery; readonly treeSize: number }
  | { readonly type: 'follow'; readonly intervalMs: number }
  | { readonly type: 'stop'; readonly id: number };

/** A failure of the main thread's source, kept by reference so that the main thread rethrows its own error. */
class SourceFailure extends Error {
  constructor(
    message: string,
    readonly ref: number | undefined,
  ) {
    super(message);
  }
}

const wire = (e: unknown): WireError =>
  e instanceof SourceFailure && e.ref !== undefined ? { message: e.message, sourceError: e.ref } : { message: e instanceof Error ? e.message : String(e) };

function run(port: NonNullable<typeof parentPort>, data: IndexWorkerData): void {
  const post = (m: FromIndexWorker): void => port.postMessage(m);
  let index: SearchIndex;
  try {
    index = openSearchIndex(data.location);
  } catch (e) {
    post({ type: 'failed', message: e instanceof Error ? e.message : String(e) });
    port.close();
    return;
  }

  const asked = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  const ask = (start?: number, end?: number): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      asked.set(id, { resolve, reject });
      post({ type: 'source', id, ...(start !== undefined ? { start, end } : {}) });
    });
  const source: EntrySource = {
    logId: data.logId,
    size: async () => (await ask()) as number,
    getLeaves: async (start, end) => {
      return unpackBytes((await ask(start, end)) as PackedBytes);
    },
  };
  const logger: Logger = { log: (level, msg, fields) => post({ type: 'log', level, msg, ...(fields ? { fields } : {}) }) };
  const indexer = createIndexer(index, source, { logger, stepMs: data.stepMs });

  const answer = (id: number, work: () => Promise<unknown>): void => {
    work().then(
      (value) => post({ type: 'reply', id, value }),
      (e: unknown) => post({ type: 'reply', id, error: wire(e) }),
    );
  };
  port.on('message', (m: ToIndexWorker) => {
    switch (m.type) {
      case 'source': {
        const waiting = asked.get(m.id);
        asked.delete(m.id);
        if (m.error) waiting?.reject(new SourceFailure(m.error.message, m.error.sourceError));
        else waiting?.resolve(m.value);
        return;
      }
      case 'catchUp':
        return answer(m.id, () => indexer.catchUp(m.target));
      case 'query':
        return answer(m.id, () => indexer.query(m.q, m.treeSize));
      case 'follow':
        return indexer.follow(m.intervalMs);
      case 'stop':
        // The running catch-up finishes its step (its source requests are still answered), then the database closes
        // and the closed port lets the thread end.
        return answer(m.id, async () => {
          await indexer.stop();
          index.close();
          setImmediate(() => port.close());
        });
    }
  });
  post({ type: 'ready' });
}

if (parentPort) run(parentPort, workerData as IndexWorkerData);
