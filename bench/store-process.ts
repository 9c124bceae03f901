// A file store opened in a process of its own (`node dist/bench/store-process.js DIR QUERIES`), as `fulgor ct serve`
// would hold it: how long the open takes, how fast lookups by leaf hash plus inclusion proofs are, and the process's
// RSS once they have run. The bench process that filled the store carries the fill's garbage in its own RSS; this one
// carries only the store. Prints one JSON line (StoreProcessResult).
import { openFileStore } from '../ct/file-store.js';
import { inclusionProof } from '../ct/merkle.js';
import { now, prng, summarize, type Summary } from './util.js';

export interface StoreProcessResult {
  readonly openMs: number;
  /** Lookup by leaf hash + inclusion proof at the full tree size, per query. */
  readonly proof: Summary;
  readonly rssMb: number;
}

const [dir, queriesArg] = process.argv.slice(2);
if (dir === undefined) throw new Error('usage: store-process.js DIR [QUERIES]');
const queries = Number(queriesArg ?? 1000);
const t0 = now();
const store = await openFileStore(dir);
const openMs = now() - t0;
try {
  const size = await store.size();
  const rand = prng(7);
  const latencies: number[] = [];
  for (let q = 0; q < queries + 100; q++) {
    const index = Math.floor(rand() * size);
    const [leafHash] = await store.getNodes([{ level: 0, index }]);
    const q0 = now();
    const found = await store.indexByLeafHash(leafHash!);
    if (found === undefined || found > index) throw new Error(`leaf ${index} not found by its hash`);
    await inclusionProof(store, found, size);
    if (q >= 100) latencies.push(now() - q0);
  }
  const result: StoreProcessResult = { openMs, proof: summarize(latencies), rssMb: process.memoryUsage().rss / 2 ** 20 };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await store.close();
}
