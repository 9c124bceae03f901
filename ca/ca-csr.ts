// A PKCS#10 certification request (RFC 2986) for an issuing CA key (`fulgor ca csr`), signed through a Signer so the
// key may sit in a file or a token. It asks, in an extensionRequest attribute (RFC 2985 §5.4.2), for the issuing CA
// profile of ca-profile.ts: CA with pathLen 0, keyCertSign + cRLSign, EKU codeSigning, and the key's SKI.
import { encodeOid, explicit, sequence, set, smallInteger } from '../lib/der.js';
import type { Signer } from '../lib/signer.js';
import { CA_KEY_USAGE, caBasicConstraints, CODE_SIGNING_EKU, subjectKeyIdExtension } from './ca-profile.js';
import { signTbs } from './tbs.js';

const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';

/** DER CertificationRequest for `signer`'s key with the DER Name `subject`. */
export async function createCaCsr(o: { subject: Buffer; signer: Signer }): Promise<Buffer> {
  const extensions = sequence(CA_KEY_USAGE, CODE_SIGNING_EKU, caBasicConstraints(0), subjectKeyIdExtension(o.signer.spki));
  const attribute = sequence(encodeOid(EXTENSION_REQUEST), set(extensions));
  // attributes [0] IMPLICIT SET OF Attribute: the context tag replaces the SET's, around the one attribute.
  const info = sequence(smallInteger(0), o.subject, o.signer.spki, explicit(0, attribute));
  // SEQUENCE { info, signatureAlgorithm, BIT STRING signature }: a CertificationRequest has a certificate's shape.
  return signTbs(info, o.signer);
}
