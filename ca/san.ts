// The leaf's single SubjectAltName, always critical (the subject is empty).
import { encodeOid, explicit, implicitPrimitive, sequence, tlv, utf8String } from '../lib/der.js';
import { FulgorError } from '../lib/errors.js';
import { OTHERNAME_USERNAME_OID } from '../lib/fulcio-extensions.js';
import type { SubjectAltName } from '../oidc/principal.js';
import { extension } from './extension.js';
import { OID } from './oids.js';

/** IA5String holds ASCII only: non-ASCII characters are percent-encoded as UTF-8, as a URL serializer would. */
const asciiUri = (uri: string): string => uri.replace(/[^\p{ASCII}]/gu, (c) => encodeURIComponent(c));

function generalName(san: SubjectAltName): Buffer {
  switch (san.kind) {
    case 'uri':
      return implicitPrimitive(6, Buffer.from(asciiUri(san.value), 'ascii'));
    case 'email':
      if (/[^\p{ASCII}]/u.test(san.value)) throw new FulgorError('INVALID_CLAIM', 'the email address must be ASCII');
      return implicitPrimitive(1, Buffer.from(san.value, 'ascii'));
    case 'otherName':
      // otherName [0] IMPLICIT SEQUENCE { type-id OID, value [0] EXPLICIT UTF8String }
      return tlv(0xa0, [encodeOid(OTHERNAME_USERNAME_OID), explicit(0, utf8String(san.value))]);
  }
}

export function sanExtension(san: SubjectAltName): Buffer {
  if (!san.value) throw new FulgorError('MISSING_CLAIM', 'the certificate needs a subject alternative name');
  return extension(OID.subjectAltName, sequence(generalName(san)), true);
}

