// CPU time from Linux's /proc (utime + stime, in clock ticks of 10 ms): what a server spent per certificate, whatever
// else the machine was doing. On a shared machine throughput and latency follow the other tenants' load, while CPU
// time per request stays close to the work the request needs, so "floor / server CPU per certificate" is the ratio to
// read there. Also each thread's wait for a CPU (schedstat), the part of latency that went on waiting for a core.
// Elsewhere (no /proc) every reading is undefined and the report shows "–".
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

/** A process and, recursively, its children (a node:cluster primary and its workers): their pids. */
function processTree(pid: number): number[] {
  const children = list(() => readdirSync(`/proc/${pid}/task`)).flatMap((tid) =>
    list(() => readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean)),
  );
  return [pid, ...children.flatMap((child) => processTree(Number(child)))];
}

/** CPU time of a process and, recursively, its children. */
export function processTreeCpuMs(pid: number): number | undefined {
  if (statCpuMs(`/proc/${pid}/stat`) === undefined) return undefined;
  return processTree(pid).reduce((total, p) => total + (statCpuMs(`/proc/${p}/stat`) ?? 0), 0);
}

/**
 * How long each thread has been runnable but waiting for a CPU, in ns (the second field of Linux's
 * /proc/PID/task/TID/schedstat), keyed by "pid/tid": on a machine whose cores the load generator and the server's
 * threads share, the part of a request's latency spent waiting for a core rather than working.
 */
export type RunQueueWaits = ReadonlyMap<string, number>;

/** The waits of every thread of `pid` (and, with `tree`, of its children's); undefined without schedstat. */
export function runQueueWaits(pid: number, tree = false): RunQueueWaits | undefined {
  const waits = new Map<string, number>();
  for (const p of tree ? processTree(pid) : [pid])
    for (const tid of list(() => readdirSync(`/proc/${p}/task`))) {
      const wait = list(() => readFileSync(`/proc/${p}/task/${tid}/schedstat`, 'utf8').trim().split(' '))[1];
      if (wait !== undefined) waits.set(`${p}/${tid}`, Number(wait));
    }
  return waits.size > 0 ? waits : undefined;
}

/** The ms that the threads present in both readings waited for a CPU between them. */
export function waitedMs(before: RunQueueWaits, after: RunQueueWaits): number {
  let ns = 0;
  for (const [thread, wait] of after) {
    const was = before.get(thread);
    if (was !== undefined) ns += wait - was;
  }
  return ns / 1e6;
}

/** What `read` lists, or nothing if it throws (a thread or process that has just gone). */
function list(read: () => string[]): string[] {
  try {
    return read();
  } catch {
    return [];
  }
}
