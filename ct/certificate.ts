// Certificates as the log checks them: precertificate poison (RFC 6962 §3.1), the CA constraints an issuer in a
// submitted chain must carry (RFC 5280 §4.2.1.9 basicConstraints, §4.2.1.3 keyUsage: read by lib/x509.ts), and
// issuer-signature checks with node:crypto. Certificate parsing itself lives in lib/x509.ts.
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { readTlv, Tag, tlvHeader, type TlvPosition } from '../lib/der.js';
import { extensionsWithout, findExtension, type Certificate } from '../lib/x509.js';

export {
  basicConstraints,
  BASIC_CONSTRAINTS_OID,
  extendedKeyUsages,
  findExtension,
  KEY_CERT_SIGN,
  KEY_USAGE_OID,
  keyUsageBits,
  parseCertificate,
} from '../lib/x509.js';
export type { BasicConstraints, Certificate, Extension } from '../lib/x509.js';

export const POISON_OID = '1.3.6.1.4.1.11129.2.4.3';
export const PRECERT_SIGNING_EKU = '1.3.6.1.4.1.11129.2.4.4';
export const CODE_SIGNING_EKU = '1.3.6.1.5.5.7.3.3';
const EXTENSIONS_TAG = 0xa3;
const ASN1_NULL = Buffer.from([0x05, 0x00]);
const EMPTY = Buffer.alloc(0);

/** Whether `cert` is a precertificate. A poison that is not critical or not exactly ASN.1 NULL is an error. */
export function isPrecertificate(cert: Certificate): boolean {
  const poison = findExtension(cert, POISON_OID);
  if (!poison) return false;
  if (!poison.critical) throw new Error('precertificate poison extension must be critical');
  if (!poison.value.equals(ASN1_NULL)) throw new Error('precertificate poison value must be ASN.1 NULL');
  return true;
}

/**
 * The TBSCertificate with the poison extension removed (RFC 6962 §3.2), spliced on the raw DER: every other byte
 * and the extension order are kept; only the enclosing lengths change. An emptied extension list is dropped.
 */
export const precertTbs = (cert: Certificate): Buffer => Buffer.concat(precertTbsParts(cert));

/**
 * precertTbs as consecutive byte runs, for a caller that writes them once where they go (the log writes them straight
 * into the MerkleTreeLeaf): the new TBS header, the fields before the extensions as they are (views of the submitted
 * bytes), then the kept extensions under new headers. No byte is copied here.
 */
export function precertTbsParts(cert: Certificate): Buffer[] {
  const kept = extensionsWithout(cert, POISON_OID);
  if (kept === undefined) throw new Error('certificate has no poison extension');
  // The fields are walked by offset: the certificate's parse checked them.
  const tbs = cert.tbs;
  const p: TlvPosition = { tag: 0, valueStart: 0, end: 0 };
  const parts: Buffer[] = [EMPTY];
  let length = 0;
  const push = (b: Buffer): void => {
    parts.push(b);
    length += b.length;
  };
  let run = readTlv(tbs, 0, p).valueStart; // start of the fields copied as they are, up to the next extensions field
  for (let at = run; at < tbs.length; at = p.end) {
    if (readTlv(tbs, at, p).tag !== EXTENSIONS_TAG) continue;
    if (at > run) push(tbs.subarray(run, at));
    run = p.end;
    if (kept.length > 0) {
      let keptLength = 0;
      for (const e of kept) keptLength += e.length;
      const list = tlvHeader(Tag.SEQUENCE, keptLength);
      push(tlvHeader(EXTENSIONS_TAG, list.length + keptLength));
      push(list);
      for (const e of kept) push(e);
    }
  }
  if (tbs.length > run) push(tbs.subarray(run));
  parts[0] = tlvHeader(Tag.SEQUENCE, length);
  return parts;
}
const HASH_BY_SIGNATURE_OID: Readonly<Record<string, string | null>> = {
  '1.2.840.10045.4.3.2': 'sha256', // ecdsa-with-SHA256
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.113549.1.1.11': 'sha256', // sha256WithRSAEncryption (PKCS#1 v1.5)
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.3.101.112': null, // Ed25519
};

const keyCache = new Map<string, KeyObject>();
const KEY_CACHE_LIMIT = 256;
/** The same, by the SPKI's Buffer: a cached issuer's parse hands out the same one with every submission. */
const keysBySpkiBuffer = new WeakMap<Buffer, KeyObject>();

/** A public key object for a DER SPKI, cached: the same CA keys come back with every submission. */
export function publicKeyFromSpki(spki: Buffer): KeyObject {
  let key = keysBySpkiBuffer.get(spki);
  if (key) return key;
  const id = spki.toString('base64');
  key = keyCache.get(id);
  if (!key) {
    key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.delete(keyCache.keys().next().value as string);
    keyCache.set(id, key);
  }
  keysBySpkiBuffer.set(spki, key);
  return key;
}

/** What a certificate's signature covers and is. */
export type SignedPart = Pick<Certificate, 'signatureAlgorithm' | 'tbs' | 'signature'>;

/** Whether `cert` carries a valid signature by the key in `issuerSpki`. Unknown algorithms and bad keys are false. */
export function isSignedBy(cert: SignedPart, issuerSpki: Buffer): boolean {
  const hash = HASH_BY_SIGNATURE_OID[cert.signatureAlgorithm];
  if (hash === undefined) return false;
  try {
    const key = publicKeyFromSpki(issuerSpki);
    if (hash === null && key.asymmetricKeyType !== 'ed25519') return false;
    if (cert.signatureAlgorithm.startsWith('1.2.840.10045.') && key.asymmetricKeyType !== 'ec') return false;
    if (cert.signatureAlgorithm.startsWith('1.2.840.113549.') && key.asymmetricKeyType !== 'rsa') return false;
    return verify(hash, cert.tbs, { key, dsaEncoding: 'der' }, cert.signature);
  } catch {
    return false;
  }
}
