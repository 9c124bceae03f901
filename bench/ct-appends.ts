// CT append throughput: (1) through the log (createLog + addPreChain with real precertificate chains built before
// timing), with 1 and many submissions in flight so that group commit shows, each row next to the log's own floor
// (bench/floor.ts measureLogFloor: one P-256 verify + one P-256 SCT signature) measured just before and after it;
// (2) raw store.sequence() with batches of 1 and 100 synthetic entries. Every run starts from an empty store.
import { parseCertificate, precertTbs } from '../ct/certificate.js';
import { listenLog } from '../ct/listen.js';
import { createLog } from '../ct/log.js';
import { silentLogger } from '../lib/log.js';
import { processCpuMs } from './cpu-time.js';
import { drive } from './http-load.js';
import { measureLogFloor, type LogFloor, type LogFloorSample } from './floor.js';
import { benchPki, newLogSigner } from './pki.js';
import { fileFootprint, openBenchStore, redisFootprint, type Footprint, type StoreKind } from './stores.js';
import { syntheticBatch } from './synthetic.js';
import { log, now, runConcurrent, summarize, type Summary } from './util.js';

export interface AppendResult {
  readonly kind: StoreKind;
  /** addPreChain called in process, or POST add-pre-chain to the log's own HTTP server (`ct serve`'s app). */
  readonly via: 'call' | 'http';
  /**
   * Leaf signatures verified on the log's own thread (ct/leaf-thread.ts, as `fulgor ct serve` runs on more than one
   * core) rather than on the event loop (as the companion log of `serve`).
   */
  readonly leafThread: boolean;
  readonly concurrency: number;
  readonly perSecond: number;
  readonly latency: Summary;
  /**
   * Entries per store.sequence call (the group-commit batch): the mean, and p10 and p90, which show what the mean
   * hides (a lockstep of batches of 1 and 63 averages 32, as evenly sized batches do; lib/batcher.ts).
   */
  readonly batches: Summary;
  readonly count: number;
  readonly errors: number;
  /** The log's floor, measured just before and just after the row (the mean of the two per-entry costs). */
  readonly floor: LogFloor;
  /** perSecond / floor.perSecond. */
  readonly floorRatio: number;
  /**
   * CPU time of the whole process (every thread) per append, µs; over HTTP, where the load generator is a thread of
   * the same process, without that thread's (Linux /proc; elsewhere the main thread's event-loop busy time).
   */
  readonly cpuUsPerAppend: number;
}

export interface RawResult {
  readonly kind: StoreKind;
  readonly batch: number;
  readonly entriesPerSecond: number;
  readonly callLatency: Summary;
  readonly count: number;
}

export interface AppendBench {
  readonly chains: number;
  readonly chainBuildMs: number;
  readonly avgChainBytes: number;
  readonly throughLog: AppendResult[];
  readonly raw: RawResult[];
  /** Footprint of real precertificate entries (the largest through-log run of each durable store). */
  readonly realFootprint: Partial<Record<StoreKind, Footprint>>;
}

export interface AppendOptions {
  readonly kinds: readonly StoreKind[];
  readonly concurrencies: readonly number[];
  readonly chains: number;
  readonly warmup: number;
  readonly seconds: number;
  readonly rawBatches: readonly number[];
  readonly rawKinds: readonly StoreKind[];
  readonly redisUrl: string;
  /** Stores for the HTTP add-pre-chain row (at the highest concurrency); none by default. */
  readonly httpKinds?: readonly StoreKind[];
  /**
   * Untimed submissions before an HTTP row: its HTTP path runs there for the first time in the process, and V8
   * optimizes it only after a few thousand requests (the in-process rows' code is warm by then).
   */
  readonly httpWarmup?: number;
}

export async function benchAppends(o: AppendOptions): Promise<AppendBench> {
  const pki = await benchPki();
  log(`building ${o.chains} precertificate chains`);
  const t0 = now();
  const chains: Buffer[][] = [];
  for (let i = 0; i < o.chains; i++) chains.push(await pki.precertChain());
  const chainBuildMs = now() - t0;
  const avgChainBytes = chains.reduce((s, c) => s + c.reduce((a, b) => a + b.length, 0), 0) / chains.length;
  const floorSample = logFloorSample(chains[0]!);

  const throughLog: AppendResult[] = [];
  const realFootprint: Partial<Record<StoreKind, Footprint>> = {};
  const cMax = Math.max(...o.concurrencies);
  for (const kind of o.kinds) {
    // Every concurrency with the leaf check on the event loop, then the highest with it on the log's thread.
    const rows = [...o.concurrencies.map((concurrency) => ({ concurrency, leafThread: false })), { concurrency: cMax, leafThread: true }];
    for (const { concurrency, leafThread } of rows) {
      const b = await openBenchStore(kind, o.redisUrl, `append-${kind}-${concurrency}${leafThread ? '-thread' : ''}`);
      try {
        const ctLog = createLog({ signer: newLogSigner(), roots: [pki.root], store: b.store, leafSignaturesOnThread: leafThread });
        const before = measureLogFloor(floorSample);
        const cpu0 = process.cpuUsage();
        const r = await runConcurrent(chains, { concurrency, maxMs: o.seconds * 1000, warmup: o.warmup }, (chain) => ctLog.addPreChain(chain));
        const cpu = process.cpuUsage(cpu0);
        const floor = meanFloor(before, measureLogFloor(floorSample));
        const name = `${kind} c=${concurrency}${leafThread ? ' (leaf thread)' : ''}`;
        if (r.errors > 0) log(`${name}: ${r.errors} errors, first: ${String(r.firstError)}`);
        const size = await b.store.size();
        if (size !== r.done + Math.min(o.warmup, chains.length)) throw new Error(`${name}: ${size} entries after ${r.done} timed appends`);
        const res: AppendResult = {
          kind,
          via: 'call',
          leafThread,
          concurrency,
          perSecond: (r.done / r.ms) * 1000,
          latency: summarize(r.latencies),
          batches: summarize(b.batchSizes),
          count: r.done,
          errors: r.errors,
          floor,
          floorRatio: (r.done / r.ms) * 1000 / floor.perSecond,
          // The warm-up's appends are in this CPU time too, and are counted.
          cpuUsPerAppend: (cpu.user + cpu.system) / (r.done + Math.min(o.warmup, chains.length)),
        };
        throughLog.push(res);
        log(
          `log append ${name}: ${res.perSecond.toFixed(0)}/s (${r.done} in ${r.ms.toFixed(0)} ms, batch ${res.batches.mean.toFixed(1)}), ` +
            `${res.floorRatio.toFixed(3)} × the log floor of ${floor.perSecond.toFixed(0)}/s`,
        );
        if (concurrency === cMax && !leafThread) {
          if (kind === 'file') realFootprint.file = await fileFootprint(b);
          if (kind === 'redis') realFootprint.redis = await redisFootprint(o.redisUrl, b);
        }
      } finally {
        await b.dispose();
      }
    }
  }

  for (const kind of o.httpKinds ?? []) throughLog.push(await httpRow(kind, cMax, chains, floorSample, pki.root, o));

  const raw: RawResult[] = [];
  for (const kind of o.rawKinds) {
    for (const batch of o.rawBatches) {
      const b = await openBenchStore(kind, o.redisUrl, `raw-${kind}-${batch}`);
      try {
        const base = Date.now() - 1e7;
        const series = 1000 + raw.length;
        let next = 0;
        // Warm-up (0.3 s) doubles as a rate estimate, so that enough batches are built ahead, outside the timing.
        const w0 = now();
        while (now() - w0 < 300) {
          await b.store.sequence(syntheticBatch(series, next, batch, base));
          next += batch;
        }
        const rate = next / (now() - w0);
        const callsAhead = Math.min(Math.ceil((rate * o.seconds * 1000 * 3) / batch) + 10, Math.ceil(300_000 / batch));
        const prepared = Array.from({ length: callsAhead }, (_, k) => syntheticBatch(series, next + k * batch, batch, base));
        const latencies: number[] = [];
        const start = now();
        const deadline = start + o.seconds * 1000;
        let calls = 0;
        while (now() < deadline && calls < prepared.length) {
          const c0 = now();
          await b.store.sequence(prepared[calls]!);
          latencies.push(now() - c0);
          calls++;
        }
        const ms = now() - start;
        const res: RawResult = { kind, batch, entriesPerSecond: ((calls * batch) / ms) * 1000, callLatency: summarize(latencies), count: calls * batch };
        raw.push(res);
        log(`raw sequence ${kind} batch=${batch}: ${res.entriesPerSecond.toFixed(0)} entries/s (${calls} calls in ${ms.toFixed(0)} ms)`);
      } finally {
        await b.dispose();
      }
    }
  }
  return { chains: chains.length, chainBuildMs, avgChainBytes, throughLog, raw, realFootprint };
}

/** The floor's inputs from a real chain: the precertificate's TBS and signature, its issuer's key, the leaf's size. */
function logFloorSample(chain: readonly Buffer[]): LogFloorSample {
  const precert = parseCertificate(chain[0]!);
  const issuer = parseCertificate(chain[1]!);
  // MerkleTreeLeaf: version, leaf type, timestamp (8), entry type (2), issuer key hash (32), u24 TBS, extensions (2).
  return { tbs: precert.tbs, signature: precert.signature, issuerSpki: issuer.spki, leafBytes: 2 + 8 + 2 + 32 + 3 + precertTbs(precert).length + 2 };
}

function meanFloor(a: LogFloor, b: LogFloor): LogFloor {
  const verifyUs = (a.verifyUs + b.verifyUs) / 2;
  const sctSignUs = (a.sctSignUs + b.sctSignUs) / 2;
  return { verifyUs, sctSignUs, perEntryUs: verifyUs + sctSignUs, perSecond: 1e6 / (verifyUs + sctSignUs), perEntryCpuUs: (a.perEntryCpuUs + b.perEntryCpuUs) / 2 };
}

/**
 * add-pre-chain through the log's HTTP server (createCtServer via listenLog, as `ct serve` runs it, leaf signatures on
 * the log's thread) on a port of its own, driven by a child process (bench/http-load.ts) with the chains' JSON
 * bodies built before timing.
 */
async function httpRow(
  kind: StoreKind,
  concurrency: number,
  chains: readonly Buffer[][],
  floorSample: LogFloorSample,
  root: Buffer,
  o: AppendOptions,
): Promise<AppendResult> {
  const bodies = chains.map((c) => JSON.stringify({ chain: c.map((der) => der.toString('base64')) }));
  const b = await openBenchStore(kind, o.redisUrl, `append-http-${kind}`);
  try {
    const ctLog = createLog({ signer: newLogSigner(), roots: [root], store: b.store, leafSignaturesOnThread: true });
    const served = await listenLog(ctLog, { host: '127.0.0.1', port: 0, logger: silentLogger });
    try {
      const before = measureLogFloor(floorSample);
      const elu0 = performance.eventLoopUtilization();
      const warmup = o.httpWarmup ?? o.warmup;
      const r = await drive({ url: `${served.url}/ct/v1/add-pre-chain`, bodies, concurrency, maxMs: o.seconds * 1000, warmup, expect: '"signature"' }, { cpuMs: processCpuMs });
      const elu = performance.eventLoopUtilization(elu0);
      const floor = meanFloor(before, measureLogFloor(floorSample));
      if (r.errors > 0) log(`http ${kind} c=${concurrency}: ${r.errors} errors, first: ${r.firstError}`);
      const perSecond = (r.done / r.ms) * 1000;
      const res: AppendResult = {
        kind,
        via: 'http',
        leafThread: true,
        concurrency,
        perSecond,
        latency: summarize(r.latencies),
        batches: summarize(b.batchSizes),
        count: r.done,
        errors: r.errors,
        floor,
        floorRatio: perSecond / floor.perSecond,
        // The log's CPU time in the timed phase (this process; the load generator is a child process), or without /proc its
        // main thread's busy time over the whole run (which on a shared core also counts time spent descheduled).
        cpuUsPerAppend: r.serverCpuMs !== undefined ? (r.serverCpuMs * 1000) / r.done : (elu.active * 1000) / (r.done + Math.min(warmup, bodies.length)),
      };
      log(`http add-pre-chain ${kind} c=${concurrency}: ${perSecond.toFixed(0)}/s, ${res.floorRatio.toFixed(3)} × the log floor of ${floor.perSecond.toFixed(0)}/s`);
      return res;
    } finally {
      await served.close();
    }
  } finally {
    await b.dispose();
  }
}
