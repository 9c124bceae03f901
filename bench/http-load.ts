// Runs a POST load generator (bench/issuance-client.ts) in a worker thread, so that it does not share the event loop
// of the server it measures.
import { Worker } from 'node:worker_threads';
import type { ClientJob, ClientResult } from './issuance-client.js';

export function drive(job: ClientJob): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./issuance-client.js', import.meta.url), { workerData: job });
    worker.once('message', (m: ClientResult) => resolve(m));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`load client exited with ${code}`));
    });
  });
}
