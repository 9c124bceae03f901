// CPU time from Linux's /proc (utime + stime, in clock ticks of 10 ms): what a server spent per certificate, whatever
// else the machine was doing. On a shared machine throughput and latency follow the other tenants' load, while CPU
// time per request stays close to the work the request needs, so "floor / server CPU per certificate" is the ratio to
// read there. Elsewhere (no /proc) every reading is undefined and the report shows "–".
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second (USER_HZ): 100 on Linux for x86-64 and arm64. */
const TICK_MS = 10;

/** utime + stime of a /proc/…/stat file, in ms; undefined if it cannot be read. */
function statCpuMs(path: string): number | undefined {
  try {
    const text = readFileSync(path, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count the fields after its closing one.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return undefined;
  }
}

/** Every thread of this process. */
export const processCpuMs = (): number | undefined => statCpuMs('/proc/self/stat');

/** This process's main thread (the event loop of a server running here). */
export const mainThreadCpuMs = (): number | undefined => statCpuMs(`/proc/self/task/${process.pid}/stat`);

/** The calling thread only (a worker thread measures itself). */
export const threadCpuMs = (): number | undefined => statCpuMs('/proc/thread-self/stat');

/** A process and, recursively, its children (a node:cluster primary and its workers). */
export function processTreeCpuMs(pid: number): number | undefined {
  const own = statCpuMs(`/proc/${pid}/stat`);
  if (own === undefined) return undefined;
  let total = own;
  for (const tid of list(() => readdirSync(`/proc/${pid}/task`)))
    for (const child of list(() => readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean)))
      total += processTreeCpuMs(Number(child)) ?? 0;
  return total;
}

/** What `read` lists, or nothing if it throws (a thread or process that has just gone). */
function list(read: () => string[]): string[] {
  try {
    return read();
  } catch {
    return [];
  }
}
