// What a Fulcio-style certificate says about who it was issued to, read back from its DER: the SANs, the OIDC issuer
// (.8, else the deprecated .1), every Fulcio extension by field name and by OID, the serial, validity and the
// public-key fingerprint. Works on a whole certificate or on a bare TBSCertificate (what a CT precertificate entry
// logs). Shared by everything that looks at issued certificates after the fact: search, the identity monitor, audits.
import { createHash } from 'node:crypto';
import { children, decodeOid, expectTag, parse, readTlv, Tag, type Node, type TlvPosition } from './der.js';
import { FULCIO_ARC, FULCIO_EXTENSIONS, OTHERNAME_USERNAME_OID, type FulcioField } from './fulcio-extensions.js';
import { findExtension, parseCertificate, parseTbsCertificate, type TbsCertificate } from './x509.js';

const SAN_OID = '2.5.29.17';

export type SanType = 'email' | 'dns' | 'uri' | 'ip' | 'otherName';

export interface SubjectAltNameValue {
  readonly type: SanType;
  readonly value: string;
  /** otherName only: its type-id (Fulcio's username SAN is 1.3.6.1.4.1.57264.1.7). */
  readonly typeId?: string;
}

export interface CertificateIdentity {
  /** Lower-case hex of the serial number's content octets. */
  readonly serial: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Every SAN, in certificate order. */
  readonly sans: readonly SubjectAltNameValue[];
  /** The first SAN's value (Fulcio certificates have exactly one). */
  readonly san: string | undefined;
  /** The OIDC issuer: extension .8, else the deprecated .1. */
  readonly issuer: string | undefined;
  /** Fulcio extension values by field name (.8 wins over .1 for `issuer`; the deprecated .2-.6 fill fields of their own). */
  readonly extensions: Readonly<Partial<Record<FulcioField, string>>>;
  /** Every extension under Fulcio's arc, by OID, decoded as text. */
  readonly extensionsByOid: Readonly<Record<string, string>>;
  /** SHA-256 of the SubjectPublicKeyInfo DER, lower-case hex. */
  readonly keyFingerprint: string;
}

const BY_OID = new Map(FULCIO_EXTENSIONS.map((e) => [e.oid, e]));
const UNDER_FULCIO_ARC = `${FULCIO_ARC}.`;

function ipText(b: Buffer): string {
  if (b.length === 4) return [...b].join('.');
  if (b.length === 16) return Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2).toString(16)).join(':');
  return b.toString('hex');
}

function generalName(node: Node): SubjectAltNameValue | undefined {
  switch (node.tag) {
    case 0x81:
      return { type: 'email', value: node.content.toString('latin1') };
    case 0x82:
      return { type: 'dns', value: node.content.toString('latin1') };
    case 0x86:
      return { type: 'uri', value: node.content.toString('latin1') };
    case 0x87:
      return { type: 'ip', value: ipText(node.content) };
    case 0xa0: {
      const [id, wrapped] = children(node);
      const typeId = decodeOid(expectTag(id, Tag.OID, 'otherName type-id').content);
      const inner = wrapped === undefined ? undefined : children(wrapped)[0];
      const value = inner === undefined ? '' : inner.content.toString('utf8');
      return { type: 'otherName', value, typeId };
    }
    default:
      return undefined;
  }
}

function subjectAltNames(tbs: IdentityFields): SubjectAltNameValue[] {
  const ext = findExtension(tbs, SAN_OID);
  if (ext === undefined) return [];
  return children(expectTag(parse(ext.value), Tag.SEQUENCE, 'GeneralNames'))
    .map(generalName)
    .filter((n): n is SubjectAltNameValue => n !== undefined);
}

const scratchTlv: TlvPosition = { tag: 0, valueStart: 0, end: 0 };

/** .1-.6 hold the raw UTF-8 bytes; .8 and up a DER UTF8String (anything else is shown as its raw bytes). */
function extensionText(oid: string, value: Buffer): string {
  const arc = Number(oid.slice(FULCIO_ARC.length + 1));
  if (arc < 8) return value.toString('utf8');
  // One TLV read in place (no node, no view of its content): this runs for each of a certificate's dozen extensions.
  try {
    const tlv = readTlv(value, 0, scratchTlv);
    if (tlv.end === value.length && tlv.tag === Tag.UTF8_STRING) return value.toString('utf8', tlv.valueStart, tlv.end);
  } catch {
    // not DER: its raw bytes
  }
  return value.toString('utf8');
}

/** The fields of a certificate or a bare TBS that name the identity. */
type IdentityFields = Pick<TbsCertificate, 'serial' | 'notBefore' | 'notAfter' | 'spki' | 'extensions'>;

function identityOf(tbs: IdentityFields): CertificateIdentity {
  const byOid: Record<string, string> = {};
  const byField: Partial<Record<FulcioField, string>> = {};
  for (const e of tbs.extensions) {
    if (!e.oid.startsWith(UNDER_FULCIO_ARC)) continue;
    const text = extensionText(e.oid, e.value);
    byOid[e.oid] = text;
    const row = BY_OID.get(e.oid);
    // The V2 issuer (.8) is the one that counts; .1 only fills in when .8 is absent.
    if (row !== undefined && (byField[row.field] === undefined || row.arc === 8)) byField[row.field] = text;
  }
  const sans = subjectAltNames(tbs);
  return {
    serial: tbs.serial.toString('hex'),
    notBefore: tbs.notBefore,
    notAfter: tbs.notAfter,
    sans,
    san: sans[0]?.value,
    issuer: byField.issuer,
    extensions: byField,
    extensionsByOid: byOid,
    keyFingerprint: createHash('sha256').update(tbs.spki).digest('hex'),
  };
}

/** The identity a DER certificate was issued to. Throws on malformed DER. */
export const certificateIdentity = (der: Buffer): CertificateIdentity => identityOf(parseCertificate(der));

/** The identity a bare DER TBSCertificate names (a CT precertificate entry). Throws on malformed DER. */
export const tbsIdentity = (tbs: Buffer): CertificateIdentity => identityOf(parseTbsCertificate(tbs));

/** Is this the Fulcio username SAN (`sub!domain` in an otherName)? */
export const isUsernameSan = (san: SubjectAltNameValue): boolean => san.type === 'otherName' && san.typeId === OTHERNAME_USERNAME_OID;
