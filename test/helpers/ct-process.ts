// Starts the real `fulgor ct serve` (node dist/bin/fulgor.js) as a child process on port 0, optionally under a
// wrapper command (e.g. `unshare --pid --fork --mount-proc`), and resolves once it says where it listens.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const FULGOR_CLI = fileURLToPath(new URL('../../bin/fulgor.js', import.meta.url));

export interface LogProcess {
  /** The spawned process: `node`, or the wrapper when one is given. */
  readonly child: ChildProcess;
  readonly url: string;
  readonly stderr: () => string;
}

export interface StartLogOptions {
  /** A command line the `node fulgor.js ct serve ...` command is appended to. */
  readonly wrapper?: readonly string[];
  /** More `ct serve` flags (e.g. --ct-tls-cert-file). */
  readonly extraArgs?: readonly string[];
}

/** Starts a file-backed CT log on `dataDir`; rejects with its stderr if it exits before listening. */
export function startLog(dataDir: string, keysDir: string, rootsPem: string, opts: StartLogOptions = {}): Promise<LogProcess> {
  const args = [FULGOR_CLI, 'ct', 'serve', '--ct-storage', `file:${dataDir}`, '--keys-dir', keysDir, '--ct-port', '0', '--dev', '--ct-roots', rootsPem, ...(opts.extraArgs ?? [])];
  const [command, ...rest] = [...(opts.wrapper ?? []), process.execPath, ...args];
  const child = spawn(command!, rest, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the CT log did not start:\n${err}`)), 30_000);
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk;
      const m = /Fulgor CT log listening on (\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, stderr: () => err });
      }
    });
    child.once('close', (code, signal) => { // after its stderr is drained, so the message is whole
      clearTimeout(timer);
      reject(new Error(`the CT log exited (${code ?? signal}) before listening:\n${err}`));
    });
  });
}
