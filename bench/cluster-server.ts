// `fulgor serve --workers N` for the issuance benchmark: a real process (node:cluster forks the command line, so it
// cannot run inside the benchmark), production mode with development keys, the companion log on a file store. Its
// output is kept in memory (shown if it fails to start); it is stopped with SIGTERM (graceful) at the end.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cleanup } from './util.js';

const BIN = fileURLToPath(new URL('../bin/fulgor.js', import.meta.url));

/** Starts the cluster with `args` (keys, identity config, storage); resolves once it listens. */
export async function startClusterServer(workers: number, args: readonly string[]): Promise<{ caUrl: string; close: () => Promise<void> }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--ct-port', '0', '--allow-dev-keys', '--workers', String(workers), ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let out = '';
  child.stderr!.on('data', (d: Buffer) => {
    // Only the start-up lines matter; the per-request lines are dropped.
    if (out.length < 64 * 1024) out += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = cleanup.add(`stop fulgor serve --workers ${workers}`, async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  });
  const caUrl = await new Promise<string>((resolve, reject) => {
    const poll = setInterval(() => {
      const m = /Fulgor CA listening on (\S+)/.exec(out);
      if (m) {
        clearInterval(poll);
        resolve(m[1]!);
      }
    }, 100);
    void exited.then(() => {
      clearInterval(poll);
      reject(new Error(`fulgor serve --workers ${workers} exited: ${out}`));
    });
  }).catch(async (e: unknown) => {
    await close();
    throw e;
  });
  return { caUrl, close };
}
