// What a benchmark run is configured with (environment variables) and what it produces, shared by run.ts and report.ts.
import type { AppendBench } from './ct-appends.js';
import type { CryptoFloor } from './floor.js';
import type { IssuanceBench } from './issuance.js';
import type { Machine } from './machine.js';
import type { ProofResult } from './proofs.js';
import type { SignatureBench } from './signatures.js';
import type { TimestampBench } from './timestamps.js';
import { availableParallelism } from 'node:os';
import { envInt, envNum } from './util.js';

const list = (name: string, fallback: string): number[] =>
  (process.env[name] || fallback).split(',').map((s) => {
    const n = Number(s.trim());
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name}: bad entry ${JSON.stringify(s)}`);
    return n;
  });

export const settings = () => ({
  redisUrl: process.env['REDIS_URL'] || 'redis://127.0.0.1:6379',
  skip: new Set((process.env['BENCH_SKIP'] ?? '').split(',').map((s) => s.trim()).filter(Boolean)),
  seconds: envNum('BENCH_SECONDS', 2),
  ctChains: envInt('BENCH_CT_CHAINS', 40_000),
  ctHttpWarmup: envInt('BENCH_CT_HTTP_WARMUP', 2_000),
  ctConcurrency: list('BENCH_CT_CONCURRENCY', '1,64'),
  rawBatches: list('BENCH_RAW_BATCHES', '1,100'),
  proofSize: envInt('BENCH_PROOF_SIZE', 1_000_000),
  proofSmallSize: envInt('BENCH_PROOF_SMALL_SIZE', 1_000),
  redisProofSize: envInt('BENCH_REDIS_PROOF_SIZE', 100_000),
  proofQueries: envInt('BENCH_PROOF_QUERIES', 1_000),
  fillBatch: envInt('BENCH_FILL_BATCH', 10_000),
  redisFillBatch: envInt('BENCH_REDIS_FILL_BATCH', 2_000),
  caSeconds: envNum('BENCH_CA_SECONDS', 2.5),
  /** Untimed requests before each issuance row, so that every row measures code V8 has optimized. */
  caWarmup: envInt('BENCH_CA_WARMUP', 300),
  caConcurrency: list('BENCH_CA_CONCURRENCY', '1,16,64'),
  caRequests: list('BENCH_CA_REQUESTS', '1000,3000,6000'),
  caPacedRequests: envNum('BENCH_CA_PACED_REQUESTS', 13000),
  /** Time box of each open-loop row: long enough to hold the main thread's occasional mark-compact. */
  caPacedSeconds: envNum('BENCH_CA_PACED_SECONDS', 10),
  /** Untimed seconds at the open-loop rate before each open-loop row's timed ones (a fresh load generator's first second). */
  caPacedLeadIn: envNum('BENCH_CA_PACED_LEAD_IN', 1),
  /** `fulgor serve --workers N` issuance rows (default: the machine's core count, at least 2). */
  caWorkers: list('BENCH_CA_WORKERS', String(Math.max(2, availableParallelism()))),
  /** Iterations of each floor operation measured just before and just after each issuance row (bench/floor.ts). */
  rowFloorIterations: envInt('BENCH_ROW_FLOOR_ITERATIONS', 400),
  json: process.env['BENCH_JSON'],
});
export type Settings = ReturnType<typeof settings>;

export interface Results {
  readonly settings: Omit<Settings, 'skip'> & { skip: string[] };
  readonly machine: Machine;
  readonly redisSkipped?: string;
  readonly floor?: CryptoFloor;
  readonly appends?: AppendBench;
  readonly proofs: ProofResult[];
  readonly proofErrors: string[];
  readonly issuance?: IssuanceBench;
  readonly signatures?: SignatureBench;
  readonly timestamps?: TimestampBench;
  readonly totalSeconds: number;
  readonly loadAtEnd: number;
  readonly errors: string[];
}

