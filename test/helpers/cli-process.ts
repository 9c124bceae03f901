// Runs one `fulgor` command as a real child process and collects its exit code and output.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BIN } from './serve-process.js';

const execFileP = promisify(execFile);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment without any FULGOR_* variable (so that the runner's own settings cannot change a test). */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FULGOR_')));
  return { ...env, ...extra };
}

/** Runs `fulgor ...args` in `cwd` with `env` (default: cleanEnv()); never rejects on a non-zero exit. */
export async function fulgorWith(o: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }, ...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await execFileP(process.execPath, [BIN, ...args], {
      ...(o.cwd ? { cwd: o.cwd } : {}),
      env: o.env ?? cleanEnv(),
      timeout: o.timeoutMs ?? 0,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

/** Runs `fulgor ...args`; resolves with the exit code and output (never rejects on a non-zero exit). */
export const fulgor = (...args: string[]): Promise<CliResult> => fulgorWith({ env: process.env }, ...args);
