// Proof latency against big trees: fill a store with synthetic entries through store.sequence in large batches
// (timing the fill, and for a file store two reopens: one rebuilding from entries.log with checkpoint.bin deleted, as
// every open did before the checkpoint, and one from the checkpoint), then time get-proof-by-hash and
// get-sth-consistency at the full tree size for seeded random leaves / first sizes, through the log (createLog), and
// verify a sample of the proofs against the signed root. Also the store's bytes per entry, the process RSS, and (file
// store, between the two reopens) the store opened alone in a fresh process (bench/store-process.ts): open, proofs, RSS.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createLog } from '../ct/log.js';
import { rootHash, verifyConsistency, verifyInclusion } from '../ct/merkle.js';
import { benchPki, newLogSigner } from './pki.js';
import { fileFootprint, openBenchStore, redisFootprint, redisUsedMemory, type Footprint, type StoreKind } from './stores.js';
import { syntheticBatch, syntheticEntry } from './synthetic.js';
import { log, now, prng, summarize, type Summary } from './util.js';
import type { StoreProcessResult } from './store-process.js';

export interface ProofResult {
  readonly kind: StoreKind;
  readonly size: number;
  readonly fillMs: number;
  /** Time inside store.sequence only (the rest of fillMs is building the synthetic entries). */
  readonly fillStoreMs: number;
  readonly fillBatch: number;
  /** Reopen from the checkpoint (file store). */
  readonly reopenMs?: number;
  /** Reopen rebuilding from entries.log (checkpoint deleted). */
  readonly reopenScanMs?: number;
  /** Closing after the fill: writing the whole checkpoint. */
  readonly checkpointWriteMs?: number;
  /** Process RSS (MB) after the queries (the whole bench process, not the store alone). */
  readonly rssMb?: number;
  /** The file store opened in a process of its own (bench/store-process.ts): open time, lookup + proof, RSS. */
  readonly alone?: StoreProcessResult;
  readonly sthMs: number;
  readonly inclusion: Summary;
  readonly consistency: Summary;
  readonly avgInclusionPath: number;
  readonly avgConsistencyPath: number;
  readonly verified: number;
  readonly footprint: Footprint;
  /** Redis INFO used_memory growth during the fill, per entry. */
  readonly usedMemoryPerEntry?: number;
}

export interface ProofOptions {
  readonly kind: StoreKind;
  readonly size: number;
  readonly fillBatch: number;
  readonly queries: number;
  readonly warmup: number;
  readonly redisUrl: string;
  readonly seed: number;
}

let seriesCounter = 0;

const execFileAsync = promisify(execFile);

/** Opens the (closed) file store in `dir` in a fresh Node process and reads what it reports. */
async function storeInItsOwnProcess(dir: string, queries: number): Promise<StoreProcessResult> {
  const script = fileURLToPath(new URL('./store-process.js', import.meta.url));
  const { stdout } = await execFileAsync(process.execPath, [script, dir, String(queries)], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as StoreProcessResult;
}

export async function benchProofs(o: ProofOptions): Promise<ProofResult> {
  const b = await openBenchStore(o.kind, o.redisUrl, `proof-${o.kind}-${o.size}`);
  try {
    const series = 2000 + ++seriesCounter;
    const base = Date.now() - 1e7 - o.size;
    const memBefore = o.kind === 'redis' ? await redisUsedMemory(o.redisUrl) : 0;
    log(`filling ${o.kind} store with ${o.size.toLocaleString('en-US')} synthetic entries (batches of ${o.fillBatch})`);
    const t0 = now();
    let storeMs = 0;
    for (let start = 0; start < o.size; start += o.fillBatch) {
      const batch = syntheticBatch(series, start, Math.min(o.fillBatch, o.size - start), base);
      const s0 = now();
      await b.store.sequence(batch);
      storeMs += now() - s0;
    }
    const fillMs = now() - t0;
    const usedMemoryPerEntry = o.kind === 'redis' ? ((await redisUsedMemory(o.redisUrl)) - memBefore) / o.size : undefined;
    if ((await b.store.size()) !== o.size) throw new Error(`${o.kind}: expected ${o.size} entries after the fill`);
    log(`filled in ${(fillMs / 1000).toFixed(1)} s`);
    let reopen: { reopenMs: number; reopenScanMs: number; checkpointWriteMs: number } | undefined;
    let alone: StoreProcessResult | undefined;
    if (b.reopen) {
      const scan = await b.reopen({ dropCheckpoint: true });
      const fromCheckpoint = await b.reopen({ whileClosed: async (dir) => void (alone = await storeInItsOwnProcess(dir, o.queries)) });
      reopen = { reopenMs: fromCheckpoint.openMs, reopenScanMs: scan.openMs, checkpointWriteMs: scan.closeMs };
      log(`checkpoint written in ${(scan.closeMs / 1000).toFixed(2)} s on close; reopened rebuilding from entries.log in ` +
        `${(scan.openMs / 1000).toFixed(2)} s, from the checkpoint in ${(fromCheckpoint.openMs / 1000).toFixed(2)} s`);
    }

    const sample = syntheticEntry(series, 0, base);
    const payload = sample.leafInput.length + sample.extraData.length;
    const footprint = o.kind === 'file' ? await fileFootprint(b, payload) : await redisFootprint(o.redisUrl, b, payload);

    const pki = await benchPki();
    const ctLog = createLog({ signer: newLogSigner(), roots: [pki.root], store: b.store });
    const s0 = now();
    const sth = await ctLog.getSth();
    const sthMs = now() - s0;
    if (sth.treeSize !== o.size) throw new Error(`STH covers ${sth.treeSize}, not ${o.size}`);

    const rand = prng(o.seed);
    const total = o.warmup + o.queries;
    const leaves = Array.from({ length: total }, () => {
      const index = Math.floor(rand() * o.size);
      return { index, leafHash: syntheticEntry(series, index, base).leafHash };
    });
    const firsts = Array.from({ length: total }, () => 1 + Math.floor(rand() * (o.size - 1)));

    const inclusion: number[] = [];
    let inclusionPath = 0;
    let verified = 0;
    for (let q = 0; q < total; q++) {
      const { index, leafHash } = leaves[q]!;
      const q0 = now();
      const proof = await ctLog.getProofByHash(leafHash, o.size);
      const ms = now() - q0;
      if (proof.leafIndex !== index) throw new Error(`proof for leaf ${index} names leaf ${proof.leafIndex}`);
      if (q < o.warmup) continue;
      inclusion.push(ms);
      inclusionPath += proof.auditPath.length;
      if (q - o.warmup < 20) {
        if (!verifyInclusion(index, o.size, leafHash, proof.auditPath, sth.rootHash)) throw new Error(`inclusion proof for ${index} does not verify`);
        verified++;
      }
    }
    const consistency: number[] = [];
    let consistencyPath = 0;
    for (let q = 0; q < total; q++) {
      const first = firsts[q]!;
      const q0 = now();
      const proof = await ctLog.getConsistency(first, o.size);
      const ms = now() - q0;
      if (q < o.warmup) continue;
      consistency.push(ms);
      consistencyPath += proof.length;
      if (q - o.warmup < 10) {
        if (!verifyConsistency(first, o.size, await rootHash(b.store, first), sth.rootHash, proof))
          throw new Error(`consistency proof ${first} → ${o.size} does not verify`);
        verified++;
      }
    }
    const res: ProofResult = {
      kind: o.kind,
      size: o.size,
      fillMs,
      fillStoreMs: storeMs,
      fillBatch: o.fillBatch,
      ...(reopen ?? {}),
      rssMb: process.memoryUsage().rss / 2 ** 20,
      ...(alone ? { alone } : {}),
      sthMs,
      inclusion: summarize(inclusion),
      consistency: summarize(consistency),
      avgInclusionPath: inclusionPath / inclusion.length,
      avgConsistencyPath: consistencyPath / consistency.length,
      verified,
      footprint,
      ...(usedMemoryPerEntry !== undefined ? { usedMemoryPerEntry } : {}),
    };
    log(`${o.kind} @ ${o.size}: inclusion median ${res.inclusion.median.toFixed(3)} ms, consistency median ${res.consistency.median.toFixed(3)} ms`);
    return res;
  } finally {
    await b.dispose();
  }
}
