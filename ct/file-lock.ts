// Exactly one process writes a file store. The kernel decides who: an exclusive open-file-description lock (fcntl
// F_OFD_SETLK, through fs-native-extensions) on DIR/LOCK, taken without waiting and held by a descriptor that stays
// open for the life of the store. The kernel drops it when that descriptor is closed, by close() or by the death of
// the process however it dies, so there is never a stale lock to judge or take over, and pids (which mean nothing
// across pid namespaces: two containers on one volume are both pid 1) decide nothing. The lock is per open file
// description, so a second open of the same directory in this process would be refused too; the set below only makes
// that message clearer.
// After taking the lock the holder writes its pid, hostname and start time into LOCK, only so that a refused process
// can name it. LOCK itself is never deleted: unlinking a lock file lets a waiter lock the old inode while a newcomer
// locks a new one.
import { hostname } from 'node:os';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from '../lib/log.js';

const heldHere = new Set<string>();

/** The holder details written into LOCK (informational; the kernel lock decides). */
interface Holder {
  readonly pid: number;
  readonly hostname: string;
  readonly since: string;
}

function describeHolder(content: string): string {
  try {
    const h = JSON.parse(content) as Partial<Holder> | null;
    if (typeof h?.pid === 'number' && typeof h.hostname === 'string')
      return `process ${h.pid} on host ${h.hostname}${typeof h.since === 'string' ? ` (holding it since ${h.since})` : ''}`;
  } catch {
    // not written by this version, or being written right now: say what is there
  }
  const text = content.trim();
  return text === ''
    ? 'another process (it has not written its details into the lock file yet)'
    : `another process (the lock file says ${JSON.stringify(text.slice(0, 200))})`;
}

/** Takes the lock without waiting: true when granted, false when another open file description holds it. */
async function takeLock(fh: FileHandle): Promise<boolean> {
  // Loaded here, so only a file store needs the native addon (the memory and Redis stores never load it).
  const { tryLock } = await import('fs-native-extensions');
  try {
    return tryLock(fh.fd, 0, 0);
  } catch (e) {
    // POSIX allows EACCES as well as EAGAIN for a conflicting lock.
    if ((e as NodeJS.ErrnoException).code === 'EACCES') return false;
    throw e;
  }
}

/** Takes the lock on `dir` or throws naming its holder; resolves to its release function. */
export async function lockDirectory(dir: string, logger: Logger): Promise<() => Promise<void>> {
  const key = resolve(dir);
  const path = join(dir, 'LOCK');
  if (heldHere.has(key)) throw new Error(`CT log directory ${dir} is already open in this process`);
  heldHere.add(key); // reserved now, so a concurrent open in this process gets the message above
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, constants.O_RDWR | constants.O_CREAT, 0o644);
    let granted: boolean;
    try {
      granted = await takeLock(fh);
    } catch (e) {
      throw new Error(
        `could not lock CT log directory ${dir} (${path}): ${(e as Error).message}; the file store needs a file ` +
          `system with working fcntl locks`,
        { cause: e },
      );
    }
    if (!granted) {
      const holder = describeHolder(await fh.readFile('utf8'));
      throw new Error(
        `CT log directory ${dir} is in use by ${holder}: it holds the lock on ${path}, and two processes must ` +
          `never write one log. Stop that process first (its lock is released the moment it exits).`,
      );
    }
    const previous = await fh.readFile('utf8');
    if (previous.trim() !== '')
      logger.log('info', 'CT log directory lock taken; its previous holder ended without closing the store', {
        dir,
        previous: describeHolder(previous),
      });
    const me: Holder = { pid: process.pid, hostname: hostname(), since: new Date().toISOString() };
    const info = Buffer.from(JSON.stringify(me) + '\n');
    await fh.truncate(0);
    await fh.write(info, 0, info.length, 0);
  } catch (e) {
    await fh?.close();
    heldHere.delete(key);
    throw e;
  }
  const held = fh;
  let released: Promise<void> | undefined;
  return () =>
    (released ??= (async () => {
      try {
        await held.truncate(0); // still ours: nobody else can be writing LOCK
      } finally {
        await held.close().finally(() => heldHere.delete(key)); // closing releases the kernel lock
      }
    })());
}
