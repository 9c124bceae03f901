// The configured CA chain, checked at start as Fulcio does: it verifies up to its last certificate, the first is a
// CA, an intermediate carries EKU codeSigning (Go verifiers nest EKUs), and the signer's key matches the first.
import { X509Certificate } from 'node:crypto';
import { expectTag, parse, Tag } from '../lib/der.js';
import { findExtension, parseCertificate, type Certificate } from '../lib/x509.js';
import type { Signer } from '../lib/signer.js';
import { OID } from './oids.js';

export interface IssuingCa {
  /** [issuing CA, ..., root], DER. */
  readonly chain: readonly Buffer[];
  /** The issuing CA's subject Name, byte for byte (becomes the leaf's issuer). */
  readonly subject: Buffer;
  /** The issuing CA's subject key identifier (becomes the leaf's AKI). */
  readonly keyId: Buffer;
  readonly signer: Signer;
}

function subjectKeyId(cert: Certificate): Buffer | undefined {
  const ext = findExtension(cert, OID.subjectKeyIdentifier);
  return ext ? expectTag(parse(ext.value), Tag.OCTET_STRING, 'SubjectKeyIdentifier').content : undefined;
}

export function createIssuingCa(chain: readonly Buffer[], signer: Signer): IssuingCa {
  if (chain.length === 0) throw new Error('the CA chain is empty');
  const certs = chain.map((der) => new X509Certificate(der));
  certs.forEach((cert, i) => {
    const issuer = certs[i + 1] ?? cert;
    if (!cert.verify(issuer.publicKey)) throw new Error(`CA chain certificate ${i} is not signed by the next one`);
    if (!cert.ca) throw new Error(`CA chain certificate ${i} is not a CA`);
  });
  const first = certs[0] as X509Certificate;
  if (certs.length > 1 && !(first.keyUsage ?? []).includes(OID.codeSigning))
    throw new Error('the issuing intermediate must carry EKU codeSigning');
  const certKey = first.publicKey.export({ type: 'spki', format: 'der' });
  if (!certKey.equals(signer.spki)) throw new Error('the CA signing key does not match the issuing CA certificate');
  const issuing = parseCertificate(chain[0] as Buffer);
  const subject = issuing.subject;
  const keyId = subjectKeyId(issuing);
  if (!keyId) throw new Error('the issuing CA certificate needs a subject key identifier');
  return { chain, subject, keyId, signer };
}
