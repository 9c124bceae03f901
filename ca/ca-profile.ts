// The certificate profiles of the CAs Fulgor creates (Fulcio's certificate specification, docs/certificate-specification.md):
// - a root: self-signed, critical keyUsage keyCertSign + cRLSign, critical basicConstraints cA (pathLen when asked), SKI, no EKU;
// - an issuing CA: issued by a root (or a policy CA), critical keyUsage keyCertSign + cRLSign, EKU codeSigning (Go
//   verifiers nest EKUs, so the leaves' codeSigning must be allowed above them), critical basicConstraints cA
//   pathLen 0 (it issues leaves only), SKI, and AKI = its issuer's SKI; it never outlives its issuer.
// Serials are 160 random bits, positive. Signing goes through a Signer, so the key may live in a file or a token.
import { randomBytes } from 'node:crypto';
import { boolean, encodeOid, expectTag, implicitPrimitive, octetString, parse, sequence, smallInteger, Tag, tlv, unsignedInteger } from '../lib/der.js';
import type { Signer } from '../lib/signer.js';
import { findExtension, parseCertificate } from '../lib/x509.js';
import { extension } from './extension.js';
import { keyIdentifier } from './key-id.js';
import { OID } from './oids.js';
import { encodeTbs, signTbs } from './tbs.js';

export interface Validity {
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** keyUsage keyCertSign (bit 5) + cRLSign (bit 6), critical: one byte 0x06 with one unused bit. */
export const CA_KEY_USAGE = extension(OID.keyUsage, tlv(Tag.BIT_STRING, Buffer.from([1, 0x06])), true);
/** extendedKeyUsage codeSigning. */
export const CODE_SIGNING_EKU = extension(OID.extKeyUsage, sequence(encodeOid(OID.codeSigning)));

/** Critical basicConstraints cA TRUE, with a pathLenConstraint when given. */
export function caBasicConstraints(pathLen?: number): Buffer {
  const items = [boolean(true)];
  if (pathLen !== undefined) items.push(smallInteger(pathLen));
  return extension(OID.basicConstraints, sequence(...items), true);
}

export const subjectKeyIdExtension = (spki: Buffer): Buffer => extension(OID.subjectKeyIdentifier, octetString(keyIdentifier(spki)));
export const authorityKeyIdExtension = (keyId: Buffer): Buffer =>
  extension(OID.authorityKeyIdentifier, sequence(implicitPrimitive(0, keyId)));

/** A positive 160-bit serial (RFC 5280 §4.1.2.2 allows 20 octets; the top bit is cleared, the next set). */
export function caSerial(): Buffer {
  const b = randomBytes(20);
  b[0] = ((b[0] as number) & 0x7f) | 0x40;
  return unsignedInteger(b);
}

/** The extensions of the issuing CA profile for `spki`, issued under the key `issuerKeyId`. */
export function issuingCaExtensions(spki: Buffer, issuerKeyId: Buffer): Buffer[] {
  return [CA_KEY_USAGE, CODE_SIGNING_EKU, caBasicConstraints(0), subjectKeyIdExtension(spki), authorityKeyIdExtension(issuerKeyId)];
}

function checkValidity(v: Validity, what: string): void {
  if (!(v.notAfter.getTime() > v.notBefore.getTime())) throw new Error(`${what}: notAfter must be after notBefore`);
}

/** A self-signed root certificate. `pathLen` limits the CA certificates below it (unset: no limit). */
export async function createRootCertificate(o: { subject: Buffer; signer: Signer; validity: Validity; pathLen?: number }): Promise<Buffer> {
  checkValidity(o.validity, 'the root certificate');
  return signTbs(
    encodeTbs({
      serial: caSerial(),
      signatureAlgorithm: o.signer.algorithmIdentifier,
      issuer: o.subject,
      notBefore: o.validity.notBefore,
      notAfter: o.validity.notAfter,
      subject: o.subject,
      spki: o.signer.spki,
      extensions: [CA_KEY_USAGE, caBasicConstraints(o.pathLen), subjectKeyIdExtension(o.signer.spki)],
    }),
    o.signer,
  );
}

/** The issuer's subject key identifier (its SKI extension, else computed from its key). */
export function issuerKeyId(issuer: ReturnType<typeof parseCertificate>): Buffer {
  const ski = findExtension(issuer, OID.subjectKeyIdentifier);
  return ski ? expectTag(parse(ski.value), Tag.OCTET_STRING, 'SubjectKeyIdentifier').content : keyIdentifier(issuer.spki);
}

/**
 * An issuing CA certificate for `spki`, signed by `issuerSigner` whose certificate is `issuerCert` (DER). Refuses a
 * validity outside the issuer's, and a signer that is not the issuer certificate's key.
 */
/** A certificate for `spki` to be signed by `issuerSigner`, whose certificate is `issuerCert` (DER). */
export interface UnderIssuer {
  readonly subject: Buffer;
  readonly spki: Buffer;
  readonly issuerCert: Buffer;
  readonly issuerSigner: Signer;
  readonly validity: Validity;
}

export async function createIssuingCaCertificate(o: UnderIssuer): Promise<Buffer> {
  return signUnderIssuer(o, 'the issuing CA', (issuerKey) => issuingCaExtensions(o.spki, issuerKey));
}

/**
 * Signs a certificate for `o.spki` under `o.issuerCert` with the extensions `extensionsFor(issuer's key id)` gives,
 * after checking that the signer holds the issuer's key and that the validity nests in the issuer's. `what` names the
 * certificate in errors.
 */
export async function signUnderIssuer(
  o: UnderIssuer,
  what: string,
  extensionsFor: (issuerKeyId: Buffer) => Buffer[],
): Promise<Buffer> {
  checkValidity(o.validity, `${what} certificate`);
  const issuer = parseCertificate(o.issuerCert);
  if (!issuer.spki.equals(o.issuerSigner.spki)) throw new Error('the issuer key does not match the issuer certificate');
  if (o.validity.notAfter > issuer.notAfter)
    throw new Error(`${what} would outlive its issuer (${o.validity.notAfter.toISOString()} is after ${issuer.notAfter.toISOString()}); shorten its validity`);
  if (o.validity.notBefore < issuer.notBefore) throw new Error(`${what} would start before its issuer (${issuer.notBefore.toISOString()})`);
  return signTbs(
    encodeTbs({
      serial: caSerial(),
      signatureAlgorithm: o.issuerSigner.algorithmIdentifier,
      issuer: issuer.subject,
      notBefore: o.validity.notBefore,
      notAfter: o.validity.notAfter,
      subject: o.subject,
      spki: o.spki,
      extensions: extensionsFor(issuerKeyId(issuer)),
    }),
    o.issuerSigner,
  );
}
