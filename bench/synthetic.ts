// Synthetic log entries for filling stores fast: x509 MerkleTreeLeaf entries around small fake certificates (random
// bytes with the entry number written in, so every entry is distinct), with an empty chain as extra_data. The stores
// never parse these bytes, so their cost is that of any entry of the same size.
import { randomBytes } from 'node:crypto';
import { dedupKey } from '../ct/log.js';
import { hashLeaf } from '../ct/merkle.js';
import type { NewEntry } from '../ct/store.js';
import { merkleTreeLeaf, x509ExtraData } from '../ct/structures.js';

export const SYNTHETIC_CERT_BYTES = 256;
const template = randomBytes(SYNTHETIC_CERT_BYTES);
const NO_EXTENSIONS = Buffer.alloc(0);
const EMPTY_CHAIN = x509ExtraData([]);

/** Entry `i` of the synthetic series `series` (deterministic within a process: query leaf hashes are recomputed). */
export function syntheticEntry(series: number, i: number, baseTimestamp: number): NewEntry {
  const certificate = Buffer.from(template);
  certificate.writeUInt32BE(series >>> 0, 0);
  certificate.writeUInt32BE(i >>> 0, 4);
  const entry = { type: 'x509' as const, certificate };
  const timestamp = baseTimestamp + i;
  const leafInput = merkleTreeLeaf({ timestamp, entry, extensions: NO_EXTENSIONS });
  return { leafInput, extraData: EMPTY_CHAIN, leafHash: hashLeaf(leafInput), dedupKey: dedupKey(entry), timestamp };
}

export function syntheticBatch(series: number, start: number, count: number, baseTimestamp: number): NewEntry[] {
  const out: NewEntry[] = new Array(count);
  for (let k = 0; k < count; k++) out[k] = syntheticEntry(series, start + k, baseTimestamp);
  return out;
}
