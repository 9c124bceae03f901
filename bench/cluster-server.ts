// `fulgor serve --workers N` for the issuance benchmark: a real process (node:cluster forks the command line, so it
// cannot run inside the benchmark), production mode with development keys, the companion log on a file store. Its
// log lines go to a file in `workDir`, as under a service manager (a pipe read by the benchmark would make each
// worker's writes wait on this process); it is stopped with SIGTERM (graceful) at the end. BENCH_CLUSTER_NODE_ARGS
// (space-separated) go to node before the script, and so to every worker (cluster forks with the primary's execArgv):
// `--cpu-prof --cpu-prof-dir=DIR` profiles the primary and each worker (Node refuses --cpu-prof in NODE_OPTIONS).
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanup } from './util.js';

const BIN = fileURLToPath(new URL('../bin/fulgor.js', import.meta.url));

/** Starts the cluster with `args` (keys, identity config, storage); resolves once it listens. */
export async function startClusterServer(workers: number, workDir: string, args: readonly string[]): Promise<{ caUrl: string; pid: number; close: () => Promise<void> }> {
  const nodeArgs = (process.env['BENCH_CLUSTER_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
  const logPath = join(workDir, 'serve.log');
  const logFd = openSync(logPath, 'a');
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'serve', '--port', '0', '--ct-port', '0', '--allow-dev-keys', '--workers', String(workers), ...args], {
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  const output = () => readFileSync(logPath, 'utf8');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = cleanup.add(`stop fulgor serve --workers ${workers}`, async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  });
  const caUrl = await new Promise<string>((resolve, reject) => {
    const poll = setInterval(() => {
      const m = /Fulgor CA listening on (\S+)/.exec(output());
      if (m) {
        clearInterval(poll);
        resolve(m[1]!);
      }
    }, 100);
    void exited.then(() => {
      clearInterval(poll);
      reject(new Error(`fulgor serve --workers ${workers} exited: ${output()}`));
    });
  }).catch(async (e: unknown) => {
    await close();
    throw e;
  });
  return { caUrl, pid: child.pid as number, close };
}
