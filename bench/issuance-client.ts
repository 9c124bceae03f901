// Worker thread that drives POST /api/v2/signingCert, so the load generator does not share the server's event loop.
import { parentPort, workerData } from 'node:worker_threads';
import { runConcurrent } from './util.js';

export interface ClientJob {
  readonly url: string;
  readonly bodies: string[];
  readonly concurrency: number;
  readonly maxMs: number;
  readonly warmup: number;
}

export interface ClientResult {
  readonly done: number;
  readonly ms: number;
  readonly latencies: number[];
  readonly errors: number;
  readonly firstError?: string;
}

const job = workerData as ClientJob;

async function post(body: string): Promise<void> {
  const res = await fetch(job.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await res.text();
  if (res.status !== 200 || !text.includes('signedCertificateEmbeddedSct')) throw new Error(`HTTP ${res.status}: ${text.slice(0, 300)}`);
}

const r = await runConcurrent(job.bodies, { concurrency: job.concurrency, maxMs: job.maxMs, warmup: job.warmup }, post);
const result: ClientResult = {
  done: r.done,
  ms: r.ms,
  latencies: r.latencies,
  errors: r.errors,
  ...(r.firstError !== undefined ? { firstError: String(r.firstError) } : {}),
};
parentPort!.postMessage(result);
