// Worker thread that drives POST /api/v2/signingCert (or, given `expect`, another JSON POST route: the CT log's
// add-pre-chain), so the load generator does not share the server's event loop:
// a closed loop (`concurrency` requests in flight), or an open loop at a fixed arrival rate (`rate` requests/s, as
// many in flight as it takes), whose latencies count from each request's scheduled start (no coordinated omission).
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { now, runConcurrent, type RunResult } from './util.js';

export interface ClientJob {
  readonly url: string;
  readonly bodies: string[];
  readonly concurrency: number;
  readonly maxMs: number;
  readonly warmup: number;
  /** Open loop: requests per second, started on schedule whatever is in flight (`concurrency` is then ignored). */
  readonly rate?: number;
  /** A 200 answer must contain this; default the signing route's signedCertificateEmbeddedSct. */
  readonly expect?: string;
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
  if (res.status !== 200 || !text.includes(job.expect ?? 'signedCertificateEmbeddedSct')) throw new Error(`HTTP ${res.status}: ${text.slice(0, 300)}`);
}

async function runPaced(bodies: readonly string[], rate: number, maxMs: number): Promise<RunResult> {
  const latencies: number[] = [];
  const inFlight = new Set<Promise<void>>();
  let errors = 0;
  let firstError: unknown;
  const t0 = now();
  for (let i = 0; i < bodies.length && (i * 1000) / rate < maxMs; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - now();
    if (wait >= 1) await sleep(wait);
    const p: Promise<void> = post(bodies[i]!).then(
      () => void latencies.push(now() - due),
      (e: unknown) => {
        errors++;
        firstError ??= e;
      },
    );
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }
  await Promise.all(inFlight);
  return { done: latencies.length, ms: now() - t0, latencies, errors, ...(firstError !== undefined ? { firstError } : {}) };
}

const r =
  job.rate === undefined
    ? await runConcurrent(job.bodies, { concurrency: job.concurrency, maxMs: job.maxMs, warmup: job.warmup }, post)
    : await runPaced(job.bodies, job.rate, job.maxMs);
const result: ClientResult = {
  done: r.done,
  ms: r.ms,
  latencies: r.latencies,
  errors: r.errors,
  ...(r.firstError !== undefined ? { firstError: String(r.firstError) } : {}),
};
parentPort!.postMessage(result);
