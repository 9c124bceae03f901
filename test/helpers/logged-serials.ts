// What a stopped companion log (file store) holds, as certificate serial numbers: process tests compare it with the
// certificates the CA returned (every returned certificate's precertificate is logged).
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { openFileStore } from '../../ct/file-store.js';
import { parseMerkleTreeLeaf } from '../../ct/structures.js';
import { children, parse } from '../../lib/der.js';

/** The serial number of a logged precertificate, from its TBS. */
export const loggedSerial = (leafInput: Buffer): bigint => {
  const { entry } = parseMerkleTreeLeaf(leafInput);
  assert.equal(entry.type, 'precert');
  return BigInt(`0x${children(parse(entry.type === 'precert' ? entry.tbsCertificate : Buffer.alloc(0)))[1]!.content.toString('hex')}`);
};

/** The serial number of a certificate (PEM), as the log's entries give it. */
export const certificateSerial = (pem: string): bigint => BigInt(`0x${new X509Certificate(pem).serialNumber}`);

/** Opens the file store in `dir` (the server must be stopped: it holds the lock) and reads every entry's serial. */
export async function loggedSerials(dir: string): Promise<{ size: number; serials: Set<bigint> }> {
  const store = await openFileStore(dir);
  try {
    const size = await store.size();
    return { size, serials: new Set((await store.getEntries(0, size)).map((e) => loggedSerial(e.leafInput))) };
  } finally {
    await store.close();
  }
}
