// Runs `fulgor serve` as a real child process (port 0, memory CT storage) for tests about processes: signals,
// reloads, and requests that must not stall the process.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const BIN = join(process.cwd(), 'dist/bin/fulgor.js');

/** Polls `probe` every 100 ms until it gives a value; throws after `ms`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface ServeProcess {
  readonly child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** The CA's URL once it listens. */
  readonly ready: Promise<string>;
}

/** Spawns `fulgor serve --port 0 --ct-port 0 --ct-storage memory ...args`. */
export function spawnServe(args: string[]): ServeProcess {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--ct-port', '0', '--ct-storage', 'memory', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const output = () => out;
  const ready = until('serve to listen', () => /Fulgor CA listening on (\S+)/.exec(out)?.[1]);
  return { child, output, ready };
}

/** SIGTERM, then SIGKILL if the process has not exited after `graceMs` (a stalled process cannot run its handler). */
export function stopProcess(child: ChildProcess, graceMs = 5_000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
