// Worker thread that drives POST /api/v1/timestamp with one DER TimeStampReq, so the load generator does not share
// the TSA's event loop. node:http with keep-alive rather than fetch: at this request rate fetch's own cost (undici,
// web streams) would be what the row measures.
import { Agent, request } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
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

const agent = new Agent({ keepAlive: true, maxSockets: job.concurrency });
const headers = { 'content-type': 'application/timestamp-query', 'content-length': String(body.length) };
const GRANTED = Buffer.from('3003020100', 'hex'); // PKIStatusInfo { status granted }

function post(): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(job.url, { method: 'POST', headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const reply = Buffer.concat(chunks);
        if (res.statusCode !== 201 || reply.indexOf(GRANTED) !== 2 + (reply[1]! & 0x80 ? reply[1]! & 0x7f : 0)) reject(new Error(`HTTP ${res.statusCode}`));
        else resolve();
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const r = await runConcurrent(Array.from({ length: job.requests }, () => 0), { concurrency: job.concurrency, maxMs: job.maxMs, warmup: job.warmup }, post);
const result: TimestampClientResult = {
  done: r.done,
  ms: r.ms,
  latencies: r.latencies,
  errors: r.errors,
  ...(r.firstError !== undefined ? { firstError: String(r.firstError) } : {}),
};
agent.destroy();
parentPort!.postMessage(result);
