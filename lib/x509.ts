// Minimal strict-DER X.509 reading (RFC 5280 §4.1): raw TBS and name bytes, validity, SPKI, extensions, EKU,
// basicConstraints and keyUsage.
// Shared by the CA (checking its configured chain) and the CT log (checking submissions).
import { children, decodeOid, decodeTime, expectTag, parse, Tag, type Node } from './der.js';

const EKU_OID = '2.5.29.37';
export const BASIC_CONSTRAINTS_OID = '2.5.29.19';
export const KEY_USAGE_OID = '2.5.29.15';
/** KeyUsage bit number of keyCertSign (RFC 5280 §4.2.1.3). */
export const KEY_CERT_SIGN = 5;
const EXTENSIONS_TAG = 0xa3;
const VERSION_TAG = 0xa0;

export interface Extension {
  readonly oid: string;
  readonly critical: boolean;
  /** Contents of extnValue (the bytes inside the OCTET STRING). */
  readonly value: Buffer;
  /** The whole Extension SEQUENCE. */
  readonly raw: Buffer;
}

/** A whole certificate: its TBS fields and the outer signature. */
export interface Certificate extends Omit<TbsCertificate, 'innerAlgorithm'> {
  readonly der: Buffer;
  readonly signatureAlgorithm: string;
  readonly signature: Buffer;
}

function parseExtension(node: Node): Extension {
  const [id, second, third, extra] = children(expectTag(node, Tag.SEQUENCE, 'Extension'));
  const oid = decodeOid(expectTag(id, Tag.OID, 'extension OID').content);
  let critical = false;
  let valueNode = second;
  if (second?.tag === Tag.BOOLEAN) {
    // DER: the DEFAULT FALSE is never encoded, and TRUE is exactly 0xff.
    if (second.content.length !== 1 || second.content[0] !== 0xff)
      throw new Error(`extension ${oid}: critical must be omitted or DER TRUE`);
    critical = true;
    valueNode = third;
  } else if (third !== undefined) {
    throw new Error(`extension ${oid}: unexpected field`);
  }
  if (extra !== undefined || (critical && third === undefined)) throw new Error(`extension ${oid}: malformed`);
  const value = expectTag(valueNode, Tag.OCTET_STRING, `extension ${oid} value`).content;
  return { oid, critical, value, raw: node.raw };
}

/** The fields of a TBSCertificate (RFC 5280 §4.1.2). */
export interface TbsCertificate {
  /** The whole TBSCertificate SEQUENCE, as in the input. */
  readonly tbs: Buffer;
  /** The serial number's content octets (two's complement, as encoded). */
  readonly serial: Buffer;
  /** The TBS signature AlgorithmIdentifier SEQUENCE. */
  readonly innerAlgorithm: Buffer;
  readonly issuer: Buffer;
  readonly subject: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** DER SubjectPublicKeyInfo. */
  readonly spki: Buffer;
  readonly extensions: readonly Extension[];
}

function readTbs(tbsNode: Node | undefined): TbsCertificate {
  const tbsFields = children(expectTag(tbsNode, Tag.SEQUENCE, 'TBSCertificate'));
  let i = tbsFields[0]?.tag === VERSION_TAG ? 1 : 0;
  const serial = expectTag(tbsFields[i++], Tag.INTEGER, 'serial number');
  const innerAlg = expectTag(tbsFields[i++], Tag.SEQUENCE, 'TBS signature algorithm');
  const issuer = expectTag(tbsFields[i++], Tag.SEQUENCE, 'issuer');
  const validity = children(expectTag(tbsFields[i++], Tag.SEQUENCE, 'validity'));
  const subject = expectTag(tbsFields[i++], Tag.SEQUENCE, 'subject');
  const spki = expectTag(tbsFields[i++], Tag.SEQUENCE, 'subjectPublicKeyInfo');
  let extensions: Extension[] = [];
  for (; i < tbsFields.length; i++) {
    const field = tbsFields[i]!;
    if (field.tag === EXTENSIONS_TAG) {
      const [list, more] = children(field);
      if (more !== undefined) throw new Error('malformed extensions');
      extensions = children(expectTag(list, Tag.SEQUENCE, 'Extensions')).map(parseExtension);
    } else if (field.tag !== 0x81 && field.tag !== 0x82) {
      throw new Error(`unexpected TBSCertificate field tag 0x${field.tag.toString(16)}`);
    }
  }
  const seen = new Set<string>();
  for (const e of extensions) {
    if (seen.has(e.oid)) throw new Error(`duplicate extension ${e.oid}`);
    seen.add(e.oid);
  }
  const [notBefore, notAfter] = validity;
  if (!notBefore || !notAfter || validity.length !== 2) throw new Error('malformed validity');
  return {
    tbs: tbsNode!.raw,
    serial: serial.content,
    innerAlgorithm: innerAlg.raw,
    issuer: issuer.raw,
    subject: subject.raw,
    notBefore: decodeTime(notBefore),
    notAfter: decodeTime(notAfter),
    spki: spki.raw,
    extensions,
  };
}

/** Parses a DER TBSCertificate on its own (a CT precertificate entry logs only this). Throws on malformed input. */
export const parseTbsCertificate = (tbs: Buffer): TbsCertificate => readTbs(parse(tbs));

/** Parses a DER certificate. Throws on anything that is not a well-formed strict-DER X.509 v3 structure. */
export function parseCertificate(der: Buffer): Certificate {
  const [tbsNode, algNode, sigNode, extra] = children(expectTag(parse(der), Tag.SEQUENCE, 'Certificate'));
  if (extra !== undefined) throw new Error('trailing fields in Certificate');
  const tbs = readTbs(tbsNode);
  const alg = expectTag(algNode, Tag.SEQUENCE, 'signature algorithm');
  if (!alg.raw.equals(tbs.innerAlgorithm)) throw new Error('signature algorithm differs from the TBS signature field');
  const sigBits = expectTag(sigNode, Tag.BIT_STRING, 'signature').content;
  if (sigBits[0] !== 0) throw new Error('signature BIT STRING has unused bits');
  return {
    tbs: tbs.tbs,
    serial: tbs.serial,
    issuer: tbs.issuer,
    subject: tbs.subject,
    notBefore: tbs.notBefore,
    notAfter: tbs.notAfter,
    spki: tbs.spki,
    extensions: tbs.extensions,
    der,
    signatureAlgorithm: decodeOid(expectTag(children(alg)[0], Tag.OID, 'algorithm OID').content),
    signature: sigBits.subarray(1),
  };
}

export const findExtension = (cert: Pick<Certificate, 'extensions'>, oid: string): Extension | undefined =>
  cert.extensions.find((e) => e.oid === oid);

/** The EKU OIDs, or null when the certificate has no EKU extension. */
export function extendedKeyUsages(cert: Certificate): string[] | null {
  const ext = findExtension(cert, EKU_OID);
  if (!ext) return null;
  return children(expectTag(parse(ext.value), Tag.SEQUENCE, 'ExtKeyUsageSyntax')).map((n) =>
    decodeOid(expectTag(n, Tag.OID, 'key purpose').content),
  );
}

export interface BasicConstraints {
  readonly ca: boolean;
  /** pathLenConstraint: how many non-leaf certificates may follow below this one; undefined = no limit. */
  readonly pathLen?: number;
}

/** The basicConstraints extension, or undefined when absent. Throws on a malformed one. */
export function basicConstraints(cert: Certificate): BasicConstraints | undefined {
  const ext = findExtension(cert, BASIC_CONSTRAINTS_OID);
  if (!ext) return undefined;
  const fields = children(expectTag(parse(ext.value), Tag.SEQUENCE, 'BasicConstraints'));
  let k = 0;
  let ca = false;
  if (fields[k]?.tag === Tag.BOOLEAN) {
    const v = fields[k++]!.content;
    // A DER encoder omits the DEFAULT FALSE; an explicit FALSE is tolerated (it is not a CA either way).
    if (v.length !== 1 || (v[0] !== 0x00 && v[0] !== 0xff)) throw new Error('basicConstraints cA is not a DER BOOLEAN');
    ca = v[0] === 0xff;
  }
  let pathLen: number | undefined;
  if (fields[k]?.tag === Tag.INTEGER) {
    const v = fields[k++]!.content;
    if (v.length === 0 || v.length > 4 || (v[0]! & 0x80) !== 0 || (v.length > 1 && v[0] === 0 && (v[1]! & 0x80) === 0))
      throw new Error('basicConstraints pathLenConstraint is not a small non-negative DER INTEGER');
    pathLen = v.readUIntBE(0, v.length);
  }
  if (k !== fields.length) throw new Error('basicConstraints has unexpected fields');
  return pathLen === undefined ? { ca } : { ca, pathLen };
}

/** The bit numbers set in the keyUsage extension, or null when absent. Throws on a malformed one. */
export function keyUsageBits(cert: Certificate): ReadonlySet<number> | null {
  const ext = findExtension(cert, KEY_USAGE_OID);
  if (!ext) return null;
  const bits = expectTag(parse(ext.value), Tag.BIT_STRING, 'KeyUsage').content;
  const unused = bits[0];
  if (unused === undefined || unused > 7 || (bits.length === 1 && unused !== 0)) throw new Error('keyUsage is not a valid BIT STRING');
  const set = new Set<number>();
  for (let i = 1; i < bits.length; i++)
    for (let b = 0; b < 8; b++) if ((bits[i]! << b) & 0x80) set.add((i - 1) * 8 + b);
  return set;
}
