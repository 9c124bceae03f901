// Worker thread that drives POST /api/v1/timestamp with one DER TimeStampReq, so the load generator does not share
// the TSA's event loop (node:http with keep-alive: bench/http-post.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { httpPoster } from './http-post.js';
import { runConcurrent } from './util.js';

export interface TimestampJob {
  readonly url: string;
  /** The DER TimeStampReq, hex. */
  readonly query: string;
  readonly requests: number;
  readonly concurrency: number;
  readonly maxMs: number;
  readonly warmup: number;
}

export interface TimestampClientResult {
  readonly done: number;
  readonly ms: number;
  readonly latencies: number[];
  readonly errors: number;
  readonly firstError?: string;
}

const job = workerData as TimestampJob;
const body = Buffer.from(job.query, 'hex');

const poster = httpPoster(job.url, { 'content-type': 'application/timestamp-query' }, job.concurrency);
const GRANTED = Buffer.from('3003020100', 'hex'); // PKIStatusInfo { status granted }

async function post(): Promise<void> {
  const { status, body: reply } = await poster.post(body);
  if (status !== 201 || reply.indexOf(GRANTED) !== 2 + (reply[1]! & 0x80 ? reply[1]! & 0x7f : 0)) throw new Error(`HTTP ${status}`);
}

const r = await runConcurrent(Array.from({ length: job.requests }, () => 0), { concurrency: job.concurrency, maxMs: job.maxMs, warmup: job.warmup }, post);
const result: TimestampClientResult = {
  done: r.done,
  ms: r.ms,
  latencies: r.latencies,
  errors: r.errors,
  ...(r.firstError !== undefined ? { firstError: String(r.firstError) } : {}),
};
poster.close();
parentPort!.postMessage(result);
