// Creates a CA shaped like the ones enterprises run: a self-signed root and an intermediate that issues leaves.
// Used for development keys (keys-dev/) and for tests; production CAs bring their own chain. signCaCertificate
// makes one CA certificate of such a chain (tests build deeper chains with it: root -> policy CA -> issuing CA).
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { DEV_CA_ORGANIZATION } from '../config/keys-dir.js';
import { boolean, encodeOid, implicitPrimitive, octetString, sequence, smallInteger, tlv, unsignedInteger } from '../lib/der.js';
import { keySigner, type Signer } from '../lib/signer.js';
import { extension } from './extension.js';
import { keyIdentifier } from './key-id.js';
import { encodeName } from './name.js';
import { OID } from './oids.js';
import { encodeTbs, signTbs } from './tbs.js';

export interface DevCa {
  readonly rootKey: KeyObject;
  readonly root: Buffer;
  readonly intermediateKey: KeyObject;
  readonly intermediate: Buffer;
}

const DAY = 86_400_000;
// KU keyCertSign (bit 5) + cRLSign (bit 6): one byte 0x06 with one unused bit.
const CA_KEY_USAGE = extension(OID.keyUsage, tlv(0x03, Buffer.from([1, 0x06])), true);

function basicConstraints(pathLen?: number): Buffer {
  const items = [boolean(true)];
  if (pathLen !== undefined) items.push(smallInteger(pathLen));
  return extension(OID.basicConstraints, sequence(...items), true);
}

const serial = () => {
  const b = randomBytes(16);
  b[0] = ((b[0] as number) & 0x7f) | 0x40;
  return unsignedInteger(b);
};

export interface CaCertificateSpec {
  /** The issuer's subject Name (DER) and signer; omitted for a self-signed root. */
  readonly issuer?: { readonly name: Buffer; readonly signer: Signer };
  readonly subject: Buffer;
  /** The subject's key (its signer signs a self-signed root). */
  readonly subjectSigner: Pick<Signer, 'spki'> & Partial<Signer>;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly pathLen?: number;
  /** The extendedKeyUsage purposes (OIDs); none: no EKU extension. Fulcio's issuing CAs carry codeSigning. */
  readonly extKeyUsages?: readonly string[];
  /** Leave out extensions (tests of what an issuing CA must contain). */
  readonly omit?: readonly ('keyUsage' | 'basicConstraints' | 'subjectKeyIdentifier')[];
}

/** One CA certificate: keyUsage keyCertSign+cRLSign, basicConstraints cA (pathLen), SKI, AKI under an issuer. */
export async function signCaCertificate(spec: CaCertificateSpec): Promise<Buffer> {
  const signer = spec.issuer?.signer ?? (spec.subjectSigner as Signer);
  const issuerName = spec.issuer?.name ?? spec.subject;
  const omit = new Set(spec.omit ?? []);
  const extensions = [
    ...(omit.has('keyUsage') ? [] : [CA_KEY_USAGE]),
    ...(spec.extKeyUsages?.length ? [extension(OID.extKeyUsage, sequence(...spec.extKeyUsages.map((o) => encodeOid(o))))] : []),
    ...(omit.has('basicConstraints') ? [] : [basicConstraints(spec.pathLen)]),
    ...(omit.has('subjectKeyIdentifier') ? [] : [extension(OID.subjectKeyIdentifier, octetString(keyIdentifier(spec.subjectSigner.spki)))]),
    ...(spec.issuer ? [extension(OID.authorityKeyIdentifier, sequence(implicitPrimitive(0, keyIdentifier(spec.issuer.signer.spki))))] : []),
  ];
  return signTbs(
    encodeTbs({
      serial: serial(),
      signatureAlgorithm: signer.algorithmIdentifier,
      issuer: issuerName,
      notBefore: spec.notBefore,
      notAfter: spec.notAfter,
      subject: spec.subject,
      spki: spec.subjectSigner.spki,
      extensions,
    }),
    signer,
  );
}

export async function createDevCa(opts: { organization?: string; now?: Date; years?: number } = {}): Promise<DevCa> {
  const organization = opts.organization ?? DEV_CA_ORGANIZATION;
  const now = Math.floor((opts.now ?? new Date()).getTime() / 1000) * 1000;
  const notBefore = new Date(now - DAY);
  const notAfter = new Date(now + (opts.years ?? 10) * 365 * DAY);
  const rootKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  const intermediateKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  const rootSigner = keySigner(rootKey);
  const rootName = encodeName({ organization, commonName: `${organization} Root CA` });
  const root = await signCaCertificate({ subject: rootName, subjectSigner: rootSigner, notBefore, notAfter });
  const intermediate = await signCaCertificate({
    issuer: { name: rootName, signer: rootSigner },
    subject: encodeName({ organization, commonName: `${organization} Intermediate CA` }),
    subjectSigner: keySigner(intermediateKey),
    notBefore,
    notAfter,
    pathLen: 0,
    extKeyUsages: [OID.codeSigning],
  });
  return { rootKey, root, intermediateKey, intermediate };
}
