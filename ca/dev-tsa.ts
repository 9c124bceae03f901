// A development timestamp-authority certificate, issued by the development root: critical EKU timeStamping (the
// only purpose, RFC 3161 §2.3), critical KU digitalSignature, not a CA. Written by ca/dev-keys.ts as tsa.pem (the
// root stays in root-ca.pem) and tsa.key.pem; production TSAs bring their own certificate.
import { createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { encodeOid, implicitPrimitive, octetString, sequence, tlv, unsignedInteger } from '../lib/der.js';
import { keySigner } from '../lib/signer.js';
import { parseCertificate } from '../lib/x509.js';
import { extension } from './extension.js';
import { keyIdentifier } from './key-id.js';
import { encodeName } from './name.js';
import { OID } from './oids.js';
import { encodeTbs, signTbs } from './tbs.js';

const DAY = 86_400_000;
// KU digitalSignature (bit 0): one byte 0x80 with seven unused bits.
const TSA_KEY_USAGE = extension(OID.keyUsage, tlv(0x03, Buffer.from([7, 0x80])), true);

export interface DevTsa {
  readonly key: KeyObject;
  readonly cert: Buffer;
}

export async function createDevTsa(
  issuer: { readonly root: Buffer; readonly rootKeyPem: string },
  opts: { organization?: string; now?: Date; years?: number } = {},
): Promise<DevTsa> {
  const organization = opts.organization ?? 'Fulgor Development';
  const now = Math.floor((opts.now ?? new Date()).getTime() / 1000) * 1000;
  const root = parseCertificate(issuer.root);
  const rootSigner = keySigner(createPrivateKey(issuer.rootKeyPem));
  if (!rootSigner.spki.equals(root.spki)) throw new Error('the root key does not belong to the root certificate');
  const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  const tsaSigner = keySigner(key);
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x40;
  const notAfter = Math.min(now + (opts.years ?? 10) * 365 * DAY, root.notAfter.getTime());
  const cert = await signTbs(
    encodeTbs({
      serial: unsignedInteger(serial),
      signatureAlgorithm: rootSigner.algorithmIdentifier,
      issuer: root.subject,
      notBefore: new Date(Math.max(now - DAY, root.notBefore.getTime())),
      notAfter: new Date(notAfter),
      subject: encodeName({ organization, commonName: `${organization} Timestamp Authority` }),
      spki: tsaSigner.spki,
      extensions: [
        TSA_KEY_USAGE,
        extension(OID.extKeyUsage, sequence(encodeOid(OID.timeStamping)), true),
        extension(OID.basicConstraints, sequence(), true),
        extension(OID.subjectKeyIdentifier, octetString(keyIdentifier(tsaSigner.spki))),
        extension(OID.authorityKeyIdentifier, sequence(implicitPrimitive(0, keyIdentifier(root.spki)))),
      ],
    }),
    rootSigner,
  );
  return { key, cert };
}
