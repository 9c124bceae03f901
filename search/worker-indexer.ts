// An Indexer whose index lives in a worker thread (search/index-worker.ts): the main thread keeps the log's store and
// answers the worker's requests for sizes and leaves from it; catch-ups, queries and polling run in the worker.
// Errors of the source come back as the very error objects the store threw (a 503 stays a 503).
import { Worker } from 'node:worker_threads';
import type { Logger } from '../lib/log.js';
import type { IndexRow } from './index-db.js';
import { packBytes } from '../lib/thread-bytes.js';
import type { FromIndexWorker, IndexWorkerData, ToIndexWorker, WireError } from './index-worker.js';
import type { EntrySource, Indexer } from './indexer.js';

/**
 * The worker's indexing step: long enough for few, large transactions; short enough that a query waits little. A
 * transaction rewrites every page it touches into the WAL, and the serial, key and term B-trees are touched at random
 * places: at 1,000 entries (MAX_STEP; ~100 ms at ~0.1 ms per entry) a step writes 3.6 WAL pages per entry against 5.7
 * at 500 and 7.3 at 250 (20,000 real precertificates, strace).
 */
const WORKER_STEP_MS = 100;
/** How long stop() waits for the worker to finish its step and close the database before it terminates the thread. */
const STOP_TIMEOUT_MS = 10_000;
/** Source errors kept for the worker to refer to; the follow loop's are only logged, so old ones are dropped. */
const KEPT_SOURCE_ERRORS = 32;

type Call = { type: 'catchUp'; target?: number } | { type: 'query'; q: Parameters<Indexer['query']>[0]; treeSize: number } | { type: 'stop' };

/** Starts the worker and resolves once it has opened the index (rejects with the reason it could not). */
export function startWorkerIndexer(o: { location: string; source: EntrySource; logger: Logger; stepMs?: number }): Promise<Indexer> {
  const workerData: IndexWorkerData = { location: o.location, logId: o.source.logId, stepMs: o.stepMs ?? WORKER_STEP_MS };
  const worker = new Worker(new URL('./index-worker.js', import.meta.url), { workerData });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  const sourceErrors = new Map<number, unknown>();
  let nextId = 0;
  let started = false;
  let exited: Error | undefined;
  let stopping: Promise<void> | undefined;
  const post = (m: ToIndexWorker, transfer?: ArrayBuffer[]): void => worker.postMessage(m, transfer);
  const error = (e: WireError): unknown => {
    const original = e.sourceError !== undefined ? sourceErrors.get(e.sourceError) : undefined;
    if (e.sourceError !== undefined) sourceErrors.delete(e.sourceError);
    return original ?? new Error(e.message);
  };
  // The thread keeps the process alive only while a call waits for it (and while it stops).
  const settled = (): void => {
    if (pending.size === 0 && !stopping) worker.unref();
  };

  function call(c: Call): Promise<unknown> {
    if (exited) return Promise.reject(exited);
    const id = nextId++;
    worker.ref();
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      post({ ...c, id } as ToIndexWorker);
    });
  }

  async function answerSource(m: Extract<FromIndexWorker, { type: 'source' }>): Promise<void> {
    try {
      if (m.start === undefined) return post({ type: 'source', id: m.id, value: await o.source.size() });
      const value = packBytes(await o.source.getLeaves(m.start, m.end ?? m.start + 1));
      post({ type: 'source', id: m.id, value }, [value.packed]);
    } catch (e) {
      sourceErrors.set(m.id, e);
      for (const old of sourceErrors.keys()) {
        if (sourceErrors.size <= KEPT_SOURCE_ERRORS) break;
        sourceErrors.delete(old);
      }
      post({ type: 'source', id: m.id, error: { message: e instanceof Error ? e.message : String(e), sourceError: m.id } });
    }
  }

  return new Promise<Indexer>((resolveStart, rejectStart) => {
    worker.on('message', (m: FromIndexWorker) => {
      switch (m.type) {
        case 'ready':
          started = true;
          settled();
          return resolveStart(indexer);
        case 'failed':
          return rejectStart(new Error(m.message));
        case 'source':
          return void answerSource(m);
        case 'log':
          return o.logger.log(m.level, m.msg, m.fields);
        case 'reply': {
          const waiting = pending.get(m.id);
          pending.delete(m.id);
          if (m.error) waiting?.reject(error(m.error));
          else waiting?.resolve(m.value);
          return settled();
        }
      }
    });
    worker.on('error', (e) => {
      // Before it is ready (e.g. its modules did not load) the start fails with this reason; later it is logged.
      if (started) o.logger.log('error', 'search index worker failed', { error: e.message });
      else rejectStart(e);
    });
    worker.once('exit', (code) => {
      exited = new Error(`the search index worker has exited (code ${code})`);
      if (started && !stopping) o.logger.log('error', 'search index worker exited; searches fail until the server restarts', { code });
      for (const p of pending.values()) p.reject(exited);
      pending.clear();
      rejectStart(exited);
    });

    const indexer: Indexer = {
      catchUp: async (target) => (await call({ type: 'catchUp', ...(target !== undefined ? { target } : {}) })) as number,
      query: async (q, treeSize) => (await call({ type: 'query', q, treeSize })) as IndexRow[],
      follow: (intervalMs) => post({ type: 'follow', intervalMs }),
      stop() {
        stopping ??= (async () => {
          worker.ref();
          const gone = new Promise<void>((resolve) => (exited ? resolve() : worker.once('exit', () => resolve())));
          let timer: NodeJS.Timeout | undefined;
          const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), STOP_TIMEOUT_MS)));
          const stopped = call({ type: 'stop' }).then(() => gone);
          if ((await Promise.race([stopped.catch(() => undefined), late])) === 'late') {
            o.logger.log('warn', 'search index worker did not stop in time; terminating it', { timeoutMs: STOP_TIMEOUT_MS });
            await worker.terminate();
          }
          clearTimeout(timer);
        })();
        return stopping;
      },
    };
  });
}
