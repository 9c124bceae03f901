// Runs a POST load generator (bench/issuance-client.ts) in a child process of its own, so that it shares neither the
// event loop nor the V8 heap and GC threads of the server it measures (a worker thread did both: its garbage was
// collected on the server process's GC threads and counted as the server's CPU); optionally reads the server's CPU
// time, and its threads' waits for a CPU, at the start and the end of the timed phase.
import { fork } from 'node:child_process';
import { waitedMs, type RunQueueWaits } from './cpu-time.js';
import type { ClientJob, ClientResult } from './issuance-client.js';
import { TIMED } from './util.js';

/** How to read the server's CPU time (ms) and its threads' waits for a CPU (bench/cpu-time.ts); undefined where they cannot be read. */
export interface ServerCpu {
  cpuMs(): number | undefined;
  runQueueWaits?(): RunQueueWaits | undefined;
}

/** What the load generator measured, with the server's CPU time and its threads' waits for a CPU in the timed phase (ms) when `server` gave them. */
export type Driven = ClientResult & { serverCpuMs?: number; serverWaitMs?: number };

/** Runs `job` in the load generator's child process and resolves with what it measured. */
export function drive(job: ClientJob, server?: ServerCpu): Promise<Driven> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./issuance-client.js', import.meta.url), { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let atStart: number | undefined;
    let waitsAtStart: RunQueueWaits | undefined;
    let result: Driven | undefined;
    child.on('message', (m: ClientResult | typeof TIMED) => {
      if (m === TIMED) {
        atStart = server?.cpuMs();
        waitsAtStart = server?.runQueueWaits?.();
        return;
      }
      const atEnd = server?.cpuMs();
      const waitsAtEnd = server?.runQueueWaits?.();
      result = {
        ...m,
        ...(atStart !== undefined && atEnd !== undefined ? { serverCpuMs: atEnd - atStart } : {}),
        ...(waitsAtStart !== undefined && waitsAtEnd !== undefined ? { serverWaitMs: waitedMs(waitsAtStart, waitsAtEnd) } : {}),
      };
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
