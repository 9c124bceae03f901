// Child process (bench/http-load.ts) that drives POST /api/v2/signingCert (or, given `expect`, another JSON POST route: the CT log's
// add-pre-chain), so the load generator does not share the server's event loop:
// a closed loop (`concurrency` requests in flight), or an open loop at a fixed arrival rate (`rate` requests/s, as
// many in flight as it takes), whose latencies count from each request's scheduled start (no coordinated omission).
import { setTimeout as sleep } from 'node:timers/promises';
import { processCpuMs } from './cpu-time.js';
import { httpPoster } from './http-post.js';
import { now, runConcurrent, TIMED, type RunResult } from './util.js';

export interface ClientJob {
  readonly url: string;
  readonly bodies: string[];
  readonly concurrency: number;
  readonly maxMs: number;
  /** Untimed requests first (the open loop sends them on its schedule, then goes on timing the rest). */
  readonly warmup: number;
  /** Open loop: requests per second, started on schedule whatever is in flight (`concurrency` is then ignored). */
  readonly rate?: number;
  /** A 200 answer must contain this; default the signing route's signedCertificateEmbeddedSct. */
  readonly expect?: string;
}

export interface ClientResult {
  /** This process's CPU time during the timed phase (ms; undefined without /proc): the load generator's own. */
  readonly clientCpuMs?: number;
  readonly done: number;
  readonly ms: number;
  readonly latencies: number[];
  /** The open loop: when each timed request was due, ms from the timed start, in the order of `latencies`. */
  readonly dueMs?: number[];
  readonly errors: number;
  readonly firstError?: string;
}

/** The job arrives as the parent's first message. */
const job = await new Promise<ClientJob>((resolve) => process.once('message', (m) => resolve(m as ClientJob)));
const tell = (m: unknown): void => void process.send!(m);

const poster = httpPoster(job.url, { 'content-type': 'application/json' }, job.rate === undefined ? job.concurrency : Infinity);

async function post(body: string): Promise<void> {
  const { status, body: reply } = await poster.post(Buffer.from(body));
  const text = reply.toString();
  if (status !== 200 || !text.includes(job.expect ?? 'signedCertificateEmbeddedSct')) throw new Error(`HTTP ${status}: ${text.slice(0, 300)}`);
}

/**
 * The open loop: `leadIn` requests on the same schedule first, untimed (this process's first second: its code not yet
 * optimized, its new connections, the garbage of the job it was sent), then the timed ones for `maxMs`.
 */
async function runPaced(bodies: readonly string[], rate: number, maxMs: number, leadIn: number): Promise<RunResult> {
  const latencies: number[] = [];
  const dueMs: number[] = [];
  const inFlight = new Set<Promise<void>>();
  let errors = 0;
  let firstError: unknown;
  const first = Math.min(leadIn, bodies.length);
  const t0 = now();
  const timedFrom = t0 + (first * 1000) / rate;
  if (first === 0) onTimed();
  for (let i = 0; i < bodies.length && ((i - first) * 1000) / rate < maxMs; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - now();
    if (wait >= 1) await sleep(wait);
    if (i === first && first > 0) onTimed();
    const timed = i >= first;
    const p: Promise<void> = post(bodies[i]!).then(
      () => {
        if (!timed) return;
        latencies.push(now() - due);
        dueMs.push(due - timedFrom);
      },
      (e: unknown) => {
        if (!timed) return; // as a closed loop's warm-up errors: not counted
        errors++;
        firstError ??= e;
      },
    );
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }
  await Promise.all(inFlight);
  return { done: latencies.length, ms: now() - timedFrom, latencies, dueMs, errors, ...(firstError !== undefined ? { firstError } : {}) };
}

let cpuAtStart: number | undefined;
function onTimed(): void {
  cpuAtStart = processCpuMs();
  tell(TIMED);
}

const r =
  job.rate === undefined
    ? await runConcurrent(job.bodies, { concurrency: job.concurrency, maxMs: job.maxMs, warmup: job.warmup, onTimed }, post)
    : await runPaced(job.bodies, job.rate, job.maxMs, job.warmup);
const cpuAtEnd = processCpuMs();
const result: ClientResult = {
  ...(cpuAtStart !== undefined && cpuAtEnd !== undefined ? { clientCpuMs: cpuAtEnd - cpuAtStart } : {}),
  done: r.done,
  ms: r.ms,
  latencies: r.latencies,
  ...(r.dueMs ? { dueMs: r.dueMs } : {}),
  errors: r.errors,
  ...(r.firstError !== undefined ? { firstError: String(r.firstError) } : {}),
};
poster.close();
tell(result);
