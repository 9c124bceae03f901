// The timestamp authority certificate profile (RFC 3161 §2.3), shared by the development TSA (ca/dev-tsa.ts) and the
// production one (`fulgor ca init`): not a CA (critical empty basicConstraints), critical keyUsage digitalSignature,
// critical extendedKeyUsage timeStamping as its only purpose, SKI, and AKI = the issuer's SKI. It never outlives its
// issuer. Signing goes through a Signer, so the issuer key may live in a file or a token.
import { encodeOid, sequence, tlv, Tag } from '../lib/der.js';
import { authorityKeyIdExtension, signUnderIssuer, subjectKeyIdExtension, type UnderIssuer } from './ca-profile.js';
import { extension } from './extension.js';
import { OID } from './oids.js';

/** keyUsage digitalSignature (bit 0), critical: one byte 0x80 with seven unused bits. */
const TSA_KEY_USAGE = extension(OID.keyUsage, tlv(Tag.BIT_STRING, Buffer.from([7, 0x80])), true);

/** The extensions of the TSA profile for `spki`, issued under the key `issuerKeyIdentifier`. */
export function tsaExtensions(spki: Buffer, issuerKeyIdentifier: Buffer): Buffer[] {
  return [
    TSA_KEY_USAGE,
    extension(OID.extKeyUsage, sequence(encodeOid(OID.timeStamping)), true),
    extension(OID.basicConstraints, sequence(), true),
    subjectKeyIdExtension(spki),
    authorityKeyIdExtension(issuerKeyIdentifier),
  ];
}

/**
 * A TSA certificate for `spki`, signed by `issuerSigner` whose certificate is `issuerCert` (DER). Refuses a validity
 * outside the issuer's, and a signer that is not the issuer certificate's key.
 */
export async function createTsaCertificate(o: UnderIssuer): Promise<Buffer> {
  return signUnderIssuer(o, 'the TSA', (issuerKey) => tsaExtensions(o.spki, issuerKey));
}
