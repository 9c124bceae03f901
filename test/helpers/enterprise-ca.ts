// An "enterprise PKI" made in tests (root -> policy CA -> issuing CA), with every CA property overridable so that a
// chain can break exactly one rule. Built with ca/'s DER pieces, signed with in-process keys.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { boolean, encodeOid, sequence, smallInteger, Tag, tlv } from '../../lib/der.js';
import { keySigner, type Signer } from '../../lib/signer.js';
import { parseCertificate } from '../../lib/x509.js';
import { authorityKeyIdExtension, caSerial, subjectKeyIdExtension } from '../../ca/ca-profile.js';
import { extension } from '../../ca/extension.js';
import { keyIdentifier } from '../../ca/key-id.js';
import { encodeName } from '../../ca/name.js';
import { OID } from '../../ca/oids.js';
import { encodeTbs, signTbs } from '../../ca/tbs.js';

const DAY = 86_400_000;

export interface CaSpec {
  readonly commonName: string;
  /** The subject's organization (default Acme Corp). */
  readonly organization?: string;
  /** `false` leaves the subjectKeyIdentifier out. */
  readonly ski?: false;
  /** basicConstraints cA (default true); `null` leaves the extension out. */
  readonly ca?: boolean | null;
  readonly pathLen?: number;
  /** keyUsage bits as one byte (default 0x06 = keyCertSign + cRLSign); `null` leaves the extension out. */
  readonly keyUsage?: number | null;
  /** EKU OIDs; `null` (default) leaves the extension out. */
  readonly eku?: readonly string[] | null;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** Flip a byte of the signature. */
  readonly breakSignature?: boolean;
}

export interface TestCa {
  readonly der: Buffer;
  readonly key: KeyObject;
  readonly signer: Signer;
}

function extensions(spec: CaSpec, spki: Buffer, issuerSpki: Buffer): Buffer[] {
  const out: Buffer[] = [];
  if (spec.keyUsage !== null) out.push(extension(OID.keyUsage, tlv(Tag.BIT_STRING, Buffer.from([1, spec.keyUsage ?? 0x06])), true));
  if (spec.eku) out.push(extension(OID.extKeyUsage, sequence(...spec.eku.map((o) => encodeOid(o)))));
  if (spec.ca !== null) {
    const items = spec.ca === false ? [] : [boolean(true)];
    if (spec.pathLen !== undefined) items.push(smallInteger(spec.pathLen));
    out.push(extension(OID.basicConstraints, sequence(...items), true));
  }
  if (spec.ski !== false) out.push(subjectKeyIdExtension(spki));
  out.push(authorityKeyIdExtension(keyIdentifier(issuerSpki)));
  return out;
}

const subjectName = (spec: CaSpec) => encodeName({ organization: spec.organization ?? 'Acme Corp', commonName: spec.commonName });

async function build(spec: CaSpec, subjectSpki: Buffer, issuer: { name: Buffer; signer: Signer }): Promise<Buffer> {
  const now = Date.now();
  const der = await signTbs(
    encodeTbs({
      serial: caSerial(),
      signatureAlgorithm: issuer.signer.algorithmIdentifier,
      issuer: issuer.name,
      notBefore: spec.notBefore ?? new Date(now - DAY),
      notAfter: spec.notAfter ?? new Date(now + 365 * DAY),
      subject: subjectName(spec),
      spki: subjectSpki,
      extensions: extensions(spec, subjectSpki, issuer.signer.spki),
    }),
    issuer.signer,
  );
  if (spec.breakSignature) der[der.length - 2]! ^= 0x01;
  return der;
}

const newKey = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;

export async function testRoot(spec: CaSpec = { commonName: 'Acme Root CA' }): Promise<TestCa> {
  const key = newKey();
  const signer = keySigner(key);
  const der = await build(spec, signer.spki, { name: subjectName(spec), signer });
  return { der, key, signer };
}

/** A CA certificate under `parent` for a new key, or for `spki` (then `key` is undefined: the key lives elsewhere). */
export async function testSubCa(parent: TestCa, spec: CaSpec, spki?: Buffer): Promise<{ der: Buffer; key?: KeyObject; signer?: Signer }> {
  const key = spki ? undefined : newKey();
  const signer = key ? keySigner(key) : undefined;
  const der = await build(spec, spki ?? signer!.spki, { name: parseCertificate(parent.der).subject, signer: parent.signer });
  return key ? { der, key, signer: signer! } : { der };
}

/** root -> policy CA -> issuing CA (for `issuingSpki`), each overridable. */
export async function enterpriseChain(
  issuingSpki: Buffer,
  over: { root?: Partial<CaSpec>; policy?: Partial<CaSpec>; issuing?: Partial<CaSpec> } = {},
): Promise<{ root: Buffer; chain: Buffer[] }> {
  const root = await testRoot({ commonName: 'Acme Root CA', ...over.root });
  const policy = (await testSubCa(root, { commonName: 'Acme Policy CA', pathLen: 1, ...over.policy })) as TestCa;
  const issuing = await testSubCa(policy, { commonName: 'Fulgor Issuing CA', pathLen: 0, eku: [OID.codeSigning], ...over.issuing }, issuingSpki);
  return { root: root.der, chain: [issuing.der, policy.der] };
}
