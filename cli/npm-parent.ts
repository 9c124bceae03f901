// Under npm (`npm start`, `npx fulgor ...`): npm forwards SIGINT and SIGTERM to its child but not SIGHUP, which
// kills npm itself and would leave the server running, orphaned. `watchNpmParent` calls `gone` once npm is gone: the
// parent process changed (npm start execs node, so npm is the parent), or, when the parent is the shell npm ran
// the command in (npx), that shell's parent changed (read from /proc; elsewhere only the parent is watched).
import { readFileSync } from 'node:fs';

const CHECK_MS = 500;

/** The command name and parent pid of `pid` from /proc/PID/stat, or undefined where there is no /proc. */
function procStat(pid: number): { comm: string; ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const ppid = Number(stat.slice(close + 2).split(' ')[1]);
    return Number.isInteger(ppid) ? { comm: stat.slice(stat.indexOf('(') + 1, close), ppid } : undefined;
  } catch {
    return undefined;
  }
}

const SHELLS = new Set(['sh', 'dash', 'bash', 'zsh', 'ash']);

/** Starts watching when npm started this process (npm_lifecycle_event is set); returns a function that stops it. */
export function watchNpmParent(gone: () => void, env: NodeJS.ProcessEnv = process.env): () => void {
  if (env['npm_lifecycle_event'] === undefined) return () => undefined;
  const parent = process.ppid;
  const stat = procStat(parent);
  const grandparent = stat && SHELLS.has(stat.comm) ? stat.ppid : undefined;
  const timer = setInterval(() => {
    if (process.ppid !== parent || (grandparent !== undefined && procStat(parent)?.ppid !== grandparent)) {
      clearInterval(timer);
      gone();
    }
  }, CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}
