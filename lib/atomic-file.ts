// Replacing a small file atomically and durably: write a temporary file next to it, fsync it, rename it over the
// target, fsync the directory. A crash leaves either the old file or the new one, never a torn one.
import { open, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** fsync a directory, so that a rename or a new file in it survives a crash. */
export async function fsyncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Replaces `path` with `data` atomically (temp file in the same directory, fsync, rename, fsync directory). */
export async function writeFileAtomically(path: string, data: string | Buffer, mode = 0o644): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `${basename(path)}.tmp`);
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  await fsyncDirectory(dir);
}
