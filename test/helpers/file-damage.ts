// Damaging files on purpose, for tests of what a store does with a corrupted byte.
import { open } from 'node:fs/promises';

/** XORs the byte at `offset` of `path` with 0x5a, in place. */
export async function flipByte(path: string, offset: number): Promise<void> {
  const fh = await open(path, 'r+');
  const b = Buffer.alloc(1);
  await fh.read(b, 0, 1, offset);
  b[0] = b[0]! ^ 0x5a;
  await fh.write(b, 0, 1, offset);
  await fh.close();
}
