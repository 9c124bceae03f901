// Runs `fulgor serve` as a real child process (port 0, memory CT storage) for tests about processes: signals,
// reloads, and requests that must not stall the process.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
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

/** Spawns `fulgor serve --port 0 --ct-port 0 ...args`, with `--ct-storage memory` unless args name a storage. */
export function spawnServe(args: string[]): ServeProcess {
  const storage = args.includes('--ct-storage') ? [] : ['--ct-storage', 'memory'];
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--ct-port', '0', ...storage, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const output = () => out;
  // Generous: a start is a few hundred ms alone, and many seconds on a shared machine under load (--workers forks N).
  const ready = until('serve to listen', () => /Fulgor CA listening on (\S+)/.exec(out)?.[1], 30_000);
  return { child, output, ready };
}

/** Starts `fulgor serve` (as spawnServe); resolves once it listens, rejects with its output if it exits first. */
export function startServe(args: string[]): Promise<{ child: ChildProcess; caUrl: string; output: () => string }> {
  const p = spawnServe(args);
  const early = new Promise<never>((_, reject) =>
    p.child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${p.output()}`))),
  );
  return Promise.race([p.ready, early]).then((caUrl) => ({ child: p.child, caUrl, output: p.output }));
}

/** Resolves with the exit code and signal of `child` (at once if it has already exited). */
export const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => {
    if (child.exitCode !== null || child.signalCode !== null) r({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => r({ code, signal }));
  });

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

/** Spawns `fulgor serve ...args` exactly as given (no added ports or storage) with `env`; resolves once it listens. */
export async function startServeWith(args: string[], env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; caUrl: string; output: () => string }> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const early = exited(child).then(({ code }) => Promise.reject(new Error(`serve exited with ${code}: ${out}`)));
  const caUrl = await Promise.race([until('serve to listen', () => /Fulgor CA listening on (\S+)/.exec(out)?.[1], 20_000), early]);
  return { child, caUrl, output: () => out };
}

/** A TCP port nothing listens on right now (for tests that must name the port a server will take). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}
