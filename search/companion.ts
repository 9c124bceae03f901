// Search for the log running in this process (`fulgor serve`'s companion log, `fulgor ct serve`): an index fed from
// the log's own store (caught up before every search and polled in between; with several frontends on one Redis,
// each indexes the shared store by log index), proofs from the log itself, and the router the log's server mounts.
// The index and its indexer run in a worker thread (search/index-worker.ts): the process also answers the CA.
import type { Router } from 'express';
import type { CtLog } from '../ct/log.js';
import { inclusionProof } from '../ct/merkle.js';
import type { LogStore } from '../ct/store.js';
import type { Logger } from '../lib/log.js';
import { createSearchRouter } from './http.js';
import { storeSource, type Indexer } from './indexer.js';
import { startWorkerIndexer } from './worker-indexer.js';

/** `memory` (rebuilt at every start), `off`, or a database file. */
export type SearchIndexSpec = string;

/** The default: next to a file store's entries, in memory for memory and Redis stores (each frontend its own). */
export function defaultSearchIndex(storage: string): SearchIndexSpec {
  return storage.startsWith('file:') ? `${storage.slice('file:'.length).replace(/\/+$/, '')}/search-index.sqlite` : 'memory';
}

export interface CompanionSearch {
  readonly router: Router;
  readonly indexer: Indexer;
  close(): Promise<void>;
}

/**
 * How often the index follows the store between searches. Each catch-up indexes what arrived since the last one in
 * one transaction on the index's thread: at 640 certificates/s a 1 s poll made a ~75 ms burst of CPU every second,
 * which on two vCPUs showed in the issuance latency's tail; at 250 ms the bursts are a quarter as long for ~40 %
 * more WAL bytes per entry and the same CPU (BENCHMARKS.md, issue 12).
 */
export const DEFAULT_POLL_MS = 250;

/** Resolves once the index is open (rejects if it cannot be: the server does not start without the index it was given). */
export async function startCompanionSearch(o: { log: CtLog; store: LogStore; index: SearchIndexSpec; logger: Logger; pollMs?: number }): Promise<CompanionSearch> {
  const location = o.index === 'memory' ? ':memory:' : o.index;
  const indexer = await startWorkerIndexer({ location, source: storeSource(o.store, o.log.logId.toString('base64')), logger: o.logger });
  indexer.follow(o.pollMs ?? DEFAULT_POLL_MS);
  const router = createSearchRouter(indexer, { getSth: () => o.log.getSth(), inclusionProof: (i, size) => inclusionProof(o.store, i, size) }, { logger: o.logger });
  return {
    router,
    indexer,
    close: () => indexer.stop(),
  };
}
