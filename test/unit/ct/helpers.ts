// Test PKI for the CT log: root -> intermediate -> leaf / precertificate, built with lib/der.ts and node:crypto.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  boolean,
  encodeOid,
  explicit,
  sequence,
  set,
  smallInteger,
  time,
  tlv,
  utf8String,
} from '../../../lib/der.js';
import { keySigner, type Signer } from '../../../lib/signer.js';
import { extension } from '../../../ca/extension.js';
import { signTbs } from '../../../ca/tbs.js';

export const CODE_SIGNING = '1.3.6.1.5.5.7.3.3';
export const PRECERT_SIGNING = '1.3.6.1.4.1.11129.2.4.4';
/** The exact poison extension (critical, NULL). */
export const POISON = Buffer.from('3013060a2b06010401d679020403' + '0101ff' + '04020500', 'hex');

export const newKey = (): KeyObject => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;

export const name = (cn: string): Buffer => sequence(set(sequence(encodeOid('2.5.4.3'), utf8String(cn))));

export { extension };

export const ekuExtension = (oids: readonly string[]): Buffer =>
  extension('2.5.29.37', sequence(...oids.map((o) => encodeOid(o))));

/** basicConstraints (critical): cA TRUE with an optional pathLenConstraint; `ca: false` leaves cA at its default. */
export const basicConstraintsExtension = (ca: boolean, pathLen?: number): Buffer =>
  extension('2.5.29.19', sequence(...(ca ? [boolean(true)] : []), ...(pathLen === undefined ? [] : [smallInteger(pathLen)])), true);

/** keyUsage (critical) from its first byte: 0x80 digitalSignature, 0x04 keyCertSign, 0x02 cRLSign. */
export const keyUsageExtension = (firstByte: number): Buffer => {
  let unused = 0;
  while (unused < 7 && ((firstByte >> unused) & 1) === 0) unused++;
  return extension('2.5.29.15', tlv(0x03, Buffer.from([unused, firstByte])), true);
};

const caExtension = (): Buffer => basicConstraintsExtension(true);

export interface CertSpec {
  readonly subject: string;
  readonly issuerName: Buffer;
  readonly issuerSigner: Signer;
  readonly subjectSpki: Buffer;
  readonly serial?: number;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  readonly ca?: boolean;
  /** EKU OIDs; undefined = no EKU extension. */
  readonly ekus?: readonly string[];
  /** Raw Extension DERs appended last (e.g. POISON). */
  readonly trailing?: readonly Buffer[];
  /** Raw Extension DERs to use instead of all of the above. */
  readonly exactExtensions?: readonly Buffer[];
}

export function buildTbs(spec: CertSpec): Buffer {
  const exts: Buffer[] = [];
  if (spec.ca) exts.push(caExtension());
  if (spec.ekus) exts.push(ekuExtension(spec.ekus));
  exts.push(extension('2.5.29.17', sequence(Buffer.concat([Buffer.from([0x86, 18]), Buffer.from('https://example.ok')]))));
  exts.push(...(spec.trailing ?? []));
  const extensions = spec.exactExtensions ?? exts;
  return sequence(
    explicit(0, smallInteger(2)),
    smallInteger(spec.serial ?? 1),
    spec.issuerSigner.algorithmIdentifier,
    spec.issuerName,
    sequence(time(spec.notBefore ?? new Date('2025-01-01T00:00:00Z')), time(spec.notAfter ?? new Date('2035-01-01T00:00:00Z'))),
    name(spec.subject),
    spec.subjectSpki,
    explicit(3, sequence(...extensions)),
  );
}

export { signTbs };

export const makeCert = async (spec: CertSpec): Promise<Buffer> => signTbs(buildTbs(spec), spec.issuerSigner);

export interface TestCa {
  readonly name: Buffer;
  readonly signer: Signer;
  readonly der: Buffer;
}

export interface TestPki {
  readonly root: TestCa;
  readonly intermediate: TestCa;
  readonly leafSpki: Buffer;
  /** The leaves' key (every leaf of this PKI carries leafSpki). */
  readonly leafSigner: Signer;
  /** A leaf (or, with trailing POISON, a precert) under the intermediate. */
  leaf(overrides?: Partial<CertSpec>): Promise<Buffer>;
  /** The leaf's TBS as buildTbs makes it (for comparisons). */
  leafTbs(overrides?: Partial<CertSpec>): Buffer;
}

let serial = 1000;

export async function makePki(opts: { intermediateEkus?: readonly string[] } = {}): Promise<TestPki> {
  const rootSigner = keySigner(newKey());
  const rootName = name('Test Root');
  const root = {
    name: rootName,
    signer: rootSigner,
    der: await makeCert({ subject: 'Test Root', issuerName: rootName, issuerSigner: rootSigner, subjectSpki: rootSigner.spki, ca: true }),
  };
  const interSigner = keySigner(newKey());
  const interName = name('Test Intermediate');
  const intermediate = {
    name: interName,
    signer: interSigner,
    der: await makeCert({
      subject: 'Test Intermediate',
      issuerName: rootName,
      issuerSigner: rootSigner,
      subjectSpki: interSigner.spki,
      ca: true,
      ...(opts.intermediateEkus ? { ekus: opts.intermediateEkus } : {}),
    }),
  };
  const leafSigner = keySigner(newKey());
  const leafSpki = leafSigner.spki;
  const spec = (o: Partial<CertSpec>): CertSpec => ({
    subject: 'leaf',
    issuerName: interName,
    issuerSigner: interSigner,
    subjectSpki: leafSpki,
    ekus: [CODE_SIGNING],
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 600_000),
    ...o,
  });
  return {
    root,
    intermediate,
    leafSpki,
    leafSigner,
    leaf: (o = {}) => makeCert(spec({ serial: serial++, ...o })),
    leafTbs: (o = {}) => buildTbs(spec(o)),
  };
}

export const logSigner = (): Signer => keySigner(newKey());
