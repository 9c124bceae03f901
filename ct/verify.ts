// Verification of what a log signs: SCTs over the leaf a submission produces, and STHs. Used by the client and by
// anyone holding the log's public key (RFC 6962 §3.2, §3.5).
import { verify } from 'node:crypto';
import { parseCertificate, precertTbs, publicKeyFromSpki } from './certificate.js';
import {
  decodeDigitallySigned,
  issuerKeyHash,
  logIdFor,
  sctSignatureInput,
  treeHeadSignatureInput,
  type Sct,
  type SignedEntry,
} from './structures.js';

const HASH_SHA256 = 0x04;

/** The signed entry an add-chain (x509) or add-pre-chain (precert) submission of `chainDer` produces. */
export function signedEntryForChain(chainDer: readonly Buffer[], type: SignedEntry['type']): SignedEntry {
  const [leafDer, issuerDer] = chainDer;
  if (!leafDer) throw new Error('chain is empty');
  if (type === 'x509') return { type, certificate: leafDer };
  if (!issuerDer) throw new Error('a precertificate chain needs its issuer at chain[1]');
  return {
    type,
    issuerKeyHash: issuerKeyHash(parseCertificate(issuerDer).spki),
    tbsCertificate: precertTbs(parseCertificate(leafDer)),
  };
}

/** Verifies a TLS DigitallySigned (SHA-256, ECDSA or RSA) over `data` with the key in `spki`. */
export function verifyDigitallySigned(data: Buffer, digitallySigned: Buffer, spki: Buffer): boolean {
  try {
    const ds = decodeDigitallySigned(digitallySigned);
    if (ds.hashAlgorithm !== HASH_SHA256) return false;
    return verify('sha256', data, { key: publicKeyFromSpki(spki), dsaEncoding: 'der' }, ds.signature);
  } catch {
    return false;
  }
}

/** Whether `sct` is the log's (log ID matches `logSpki`) and its signature covers `entry`. */
export function verifySct(sct: Sct, entry: SignedEntry, logSpki: Buffer): boolean {
  if (sct.version !== 0 || !sct.logId.equals(logIdFor(logSpki))) return false;
  const input = sctSignatureInput({ timestamp: sct.timestamp, entry, extensions: sct.extensions });
  return verifyDigitallySigned(input, sct.signature, logSpki);
}

export interface TreeHead {
  readonly treeSize: number;
  readonly timestamp: number;
  readonly rootHash: Buffer;
  readonly signature: Buffer;
}

export const verifySth = (sth: TreeHead, logSpki: Buffer): boolean =>
  sth.rootHash.length === 32 &&
  verifyDigitallySigned(treeHeadSignatureInput(sth.timestamp, sth.treeSize, sth.rootHash), sth.signature, logSpki);
