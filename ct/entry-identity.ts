// A logged entry read back as the identity it certifies: a final certificate (x509_entry) or a precertificate's
// TBS (precert_entry), with the SCT timestamp the log gave it. Search and the identity monitor index and match these.
import { tbsIdentity, certificateIdentity, type CertificateIdentity } from '../lib/certificate-identity.js';
import { parseMerkleTreeLeaf } from './structures.js';

export interface EntryIdentity {
  /** True for a precertificate entry (its TBS), false for a final certificate. */
  readonly precert: boolean;
  /** The entry's timestamp (ms since the epoch): the SCT's. */
  readonly timestamp: number;
  readonly identity: CertificateIdentity;
}

/** Decodes a MerkleTreeLeaf (get-entries' leaf_input). Throws on malformed input. */
export function entryIdentity(leafInput: Buffer): EntryIdentity {
  const leaf = parseMerkleTreeLeaf(leafInput);
  const precert = leaf.entry.type === 'precert';
  const identity = leaf.entry.type === 'precert' ? tbsIdentity(leaf.entry.tbsCertificate) : certificateIdentity(leaf.entry.certificate);
  return { precert, timestamp: leaf.timestamp, identity };
}
