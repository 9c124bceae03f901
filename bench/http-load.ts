// Runs a POST load generator (bench/issuance-client.ts) in a child process of its own, so that it shares neither the
// event loop nor the V8 heap and GC threads of the server it measures (a worker thread did both: its garbage was
// collected on the server process's GC threads and counted as the server's CPU); optionally reads the server's CPU
// time at the start and the end of the timed phase.
import { fork } from 'node:child_process';
import type { ClientJob, ClientResult } from './issuance-client.js';
import { TIMED } from './util.js';

/** How to read the server's CPU time (ms; undefined where it cannot be read). */
export interface ServerCpu {
  cpuMs(): number | undefined;
}

/** The load generator's result, with the server's CPU time in the timed phase (ms) when `server` was given and readable. */
export function drive(job: ClientJob, server?: ServerCpu): Promise<ClientResult & { serverCpuMs?: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./issuance-client.js', import.meta.url), { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let atStart: number | undefined;
    let result: (ClientResult & { serverCpuMs?: number }) | undefined;
    child.on('message', (m: ClientResult | typeof TIMED) => {
      if (m === TIMED) {
        atStart = server?.cpuMs();
        return;
      }
      const atEnd = server?.cpuMs();
      result = { ...m, ...(atStart !== undefined && atEnd !== undefined ? { serverCpuMs: atEnd - atStart } : {}) };
      child.disconnect();
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (result !== undefined) resolve(result);
      else reject(new Error(`load client exited with ${code} before reporting`));
    });
    child.send(job);
  });
}
