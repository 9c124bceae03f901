// An advisory directory lock so two processes never open the same file store: a LOCK file holding the owner's pid,
// created atomically with its content (link(2) of a temp file, which fails if LOCK exists). A LOCK whose pid is not
// alive is stale (the owner crashed) and is taken over. A LOCK with our own pid that this process does not hold is
// left from an earlier run in a fresh pid namespace (containers often run as pid 1), so it is stale too.
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from '../lib/log.js';

const heldHere = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const ignoreMissing = (e: unknown): undefined => {
  if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  return undefined;
};

/** Takes the lock on `dir` or throws; resolves to its release function. */
export async function lockDirectory(dir: string, logger: Logger): Promise<() => Promise<void>> {
  const key = resolve(dir);
  const path = join(dir, 'LOCK');
  if (heldHere.has(key)) throw new Error(`CT log directory ${dir} is already open in this process`);
  const tmp = join(dir, `LOCK.${process.pid}.${Date.now()}.tmp`);
  await writeFile(tmp, `${process.pid}\n`, { flush: true });
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await link(tmp, path);
        heldHere.add(key);
        return async () => {
          heldHere.delete(key);
          const owner = await readFile(path, 'utf8').catch(ignoreMissing);
          if (owner?.trim() === String(process.pid)) await unlink(path).catch(ignoreMissing);
        };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const content = await readFile(path, 'utf8').catch(ignoreMissing);
      if (content === undefined) continue;
      const pid = Number(content.trim());
      if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid))
        throw new Error(
          `CT log directory ${dir} is in use by process ${pid} (${path}); two processes must never write one log. ` +
            `If that process is not a Fulgor log, stop the other log or remove ${path}.`,
        );
      logger.log('warn', 'taking over a stale CT log directory lock', { dir, stalePid: content.trim() });
      await unlink(path).catch(ignoreMissing);
    }
    throw new Error(`could not lock CT log directory ${dir}: ${path} keeps reappearing`);
  } finally {
    await unlink(tmp).catch(ignoreMissing);
  }
}
