// Runs one `fulgor` command as a real child process and collects its exit code and output.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BIN } from './serve-process.js';

const execFileP = promisify(execFile);

/** Runs `fulgor ...args`; resolves with the exit code and output (never rejects on a non-zero exit). */
export async function fulgor(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileP(process.execPath, [BIN, ...args]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}
