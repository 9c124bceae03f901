// Runs a POST load generator (bench/issuance-client.ts) in a worker thread, so that it does not share the event loop
// of the server it measures; optionally reads the server's CPU time at the start and the end of the timed phase.
import { Worker } from 'node:worker_threads';
import type { ClientJob, ClientResult } from './issuance-client.js';
import { TIMED } from './util.js';

/** How to read the server's CPU time (ms; undefined where it cannot be read). */
export interface ServerCpu {
  cpuMs(): number | undefined;
  /** The reading covers this process, load generator's thread included: its own CPU time is taken out. */
  readonly inProcess: boolean;
}

/** The load generator's result, with the server's CPU time in the timed phase (ms) when `server` was given and readable. */
export function drive(job: ClientJob, server?: ServerCpu): Promise<ClientResult & { serverCpuMs?: number }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./issuance-client.js', import.meta.url), { workerData: job });
    let atStart: number | undefined;
    worker.on('message', (m: ClientResult | typeof TIMED) => {
      if (m === TIMED) {
        atStart = server?.cpuMs();
        return;
      }
      const atEnd = server?.cpuMs();
      const own = server?.inProcess ? m.clientCpuMs : 0;
      const serverCpuMs = atStart !== undefined && atEnd !== undefined && own !== undefined ? atEnd - atStart - own : undefined;
      resolve({ ...m, ...(serverCpuMs !== undefined ? { serverCpuMs } : {}) });
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`load client exited with ${code}`));
    });
  });
}
