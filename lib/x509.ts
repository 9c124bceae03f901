// Minimal strict-DER X.509 reading (RFC 5280 §4.1): raw TBS and name bytes, validity, SPKI, extensions, EKU,
// basicConstraints and keyUsage.
// Shared by the CA (checking its configured chain) and the CT log (checking submissions).
import { checkOid, children, decodeOid, decodeTime, DerError, encodeOid, expectTag, parse, readTlv, Tag, type Node, type TlvPosition } from './der.js';

const EKU_OID = '2.5.29.37';
export const BASIC_CONSTRAINTS_OID = '2.5.29.19';
export const KEY_USAGE_OID = '2.5.29.15';
/** KeyUsage bit number of keyCertSign (RFC 5280 §4.2.1.3). */
export const KEY_CERT_SIGN = 5;
const EXTENSIONS_TAG = 0xa3;
/** The DER of every ECDSA P-256 SubjectPublicKeyInfo up to its point: id-ecPublicKey, prime256v1, a 66-byte BIT STRING. */
const P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');

/** Whether `spki` is an ECDSA P-256 SubjectPublicKeyInfo with an uncompressed point (its last 64 bytes are x || y). */
export const isUncompressedP256Spki = (spki: Buffer): boolean =>
  spki.length === P256_SPKI_PREFIX.length + 65 && spki[P256_SPKI_PREFIX.length] === 0x04 && spki.subarray(0, P256_SPKI_PREFIX.length).equals(P256_SPKI_PREFIX);
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

/**
 * Numbers per extension in ExtensionList.at: offsets of the Extension's start and end, of its OID's and its value's
 * content, and its critical flag (1 or 0).
 */
const STRIDE = 7;

/**
 * A certificate's extensions, checked in full when it is parsed but made into Extension objects only when read: a
 * certificate carries ~20 of them, and the CT log reads two (the poison and the EKU) of every leaf it checks, found
 * by their encoded OID. `at` holds STRIDE offsets into `list` (the Extensions SEQUENCE's content) per extension.
 */
class ExtensionList {
  private made: (Extension | undefined)[] | undefined;
  private every: readonly Extension[] | undefined;
  constructor(
    private readonly list: Buffer,
    private readonly at: readonly number[],
  ) {}

  get length(): number {
    return this.at.length / STRIDE;
  }

  /** Extension i; `oid`, when the caller knows it (found by its encoding, which DER makes unique), is not decoded again. */
  get(i: number, oid?: string): Extension {
    const made = (this.made ??= new Array<Extension | undefined>(this.length));
    let e = made[i];
    if (e === undefined) {
      const { at, list } = this;
      const k = i * STRIDE;
      e = made[i] = {
        oid: oid ?? decodeOid(list.subarray(at[k + 2], at[k + 3])),
        critical: at[k + 6] === 1,
        value: list.subarray(at[k + 4], at[k + 5]),
        raw: list.subarray(at[k], at[k + 1]),
      };
    }
    return e;
  }

  all(): readonly Extension[] {
    return (this.every ??= Array.from({ length: this.length }, (_, i) => this.get(i)));
  }

  /** The index of the extension whose OID content is `oid`, or -1. */
  indexOf(oid: Buffer): number {
    for (let i = 0; i < this.length; i++) if (sameBytes(this.list, this.at[i * STRIDE + 2]!, this.at[i * STRIDE + 3]!, oid, 0, oid.length)) return i;
    return -1;
  }

  /** Throws on an extension that appears twice (by OID). */
  checkUnique(): void {
    const { at, list } = this;
    for (let i = 0; i < at.length; i += STRIDE)
      for (let j = 0; j < i; j += STRIDE)
        if (sameBytes(list, at[i + 2]!, at[i + 3]!, list, at[j + 2]!, at[j + 3]!))
          throw new Error(`duplicate extension ${decodeOid(list.subarray(at[i + 2], at[i + 3]))}`);
  }

  /** The encoded extensions without extension i, as one or two consecutive runs of the original bytes. */
  without(i: number): Buffer[] {
    const start = this.at[i * STRIDE]!;
    const end = this.at[i * STRIDE + 1]!;
    return [this.list.subarray(0, start), this.list.subarray(end)].filter((b) => b.length > 0);
  }
}

function sameBytes(a: Buffer, aStart: number, aEnd: number, b: Buffer, bStart: number, bEnd: number): boolean {
  if (aEnd - aStart !== bEnd - bStart) return false;
  // Back to front: OIDs of one certificate share their leading arcs.
  for (let k = aEnd - aStart - 1; k >= 0; k--) if (a[aStart + k] !== b[bStart + k]) return false;
  return true;
}

const NO_EXTENSIONS = new ExtensionList(Buffer.alloc(0), []);
/** Where readExtensions collects offsets before copying them into a list of the right size. */
const scratch: number[] = [];
/** Tag, value start and end of an Extension's first three children. */
const child = [0, 0, 0, 0, 0, 0, 0, 0, 0];

/**
 * Reads and checks the Extensions SEQUENCE's content `list` (RFC 5280 §4.1: extnID, critical DEFAULT FALSE in DER,
 * extnValue OCTET STRING; no extension twice), with the checks and messages a parse into Nodes made, keeping only
 * offsets.
 */
function readExtensions(list: Buffer): ExtensionList {
  const p: TlvPosition = { tag: 0, valueStart: 0, end: 0 };
  const at = scratch;
  let n = 0;
  // First every Extension's TLV (a malformed one is refused before any content is looked at), then their contents.
  for (let off = 0; off < list.length; off = p.end, n += STRIDE) {
    readTlv(list, off, p);
    at[n] = off;
    at[n + 1] = p.end;
    at[n + 2] = p.tag;
    at[n + 3] = p.valueStart;
  }
  for (let i = 0; i < n; i += STRIDE) {
    const end = at[i + 1]!;
    if (at[i + 2] !== Tag.SEQUENCE) throw new DerError('expected Extension');
    let count = 0;
    for (let off = at[i + 3]!; off < end; off = p.end, count++) {
      readTlv(list, off, p, end);
      if (count < 3) {
        child[count * 3] = p.tag;
        child[count * 3 + 1] = p.valueStart;
        child[count * 3 + 2] = p.end;
      }
    }
    if (count === 0 || child[0] !== Tag.OID) throw new DerError('expected extension OID');
    const oidStart = child[1]!;
    const oidEnd = child[2]!;
    checkOid(list, oidStart, oidEnd);
    const oid = (): string => decodeOid(list.subarray(oidStart, oidEnd));
    let isCritical = false;
    let value = 1; // which child is extnValue
    if (count > 1 && child[3] === Tag.BOOLEAN) {
      // DER: the DEFAULT FALSE is never encoded, and TRUE is exactly 0xff.
      if (child[5]! - child[4]! !== 1 || list[child[4]!] !== 0xff) throw new Error(`extension ${oid()}: critical must be omitted or DER TRUE`);
      isCritical = true;
      value = 2;
    } else if (count > 2) {
      throw new Error(`extension ${oid()}: unexpected field`);
    }
    if (count > 3 || (isCritical && count < 3)) throw new Error(`extension ${oid()}: malformed`);
    if (count <= value || child[value * 3] !== Tag.OCTET_STRING) throw new DerError(`expected extension ${oid()} value`);
    at[i + 2] = oidStart;
    at[i + 3] = oidEnd;
    at[i + 4] = child[value * 3 + 1]!;
    at[i + 5] = child[value * 3 + 2]!;
    at[i + 6] = isCritical ? 1 : 0;
  }
  const extensions = new ExtensionList(list, at.slice(0, n));
  if (n > 1024) scratch.length = 0; // an odd certificate's many extensions are not kept hold of
  return extensions;
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

/** The TBSCertificate's byte fields as parsed. */
interface TbsNodes {
  readonly tbs: Node;
  readonly serial: Node;
  readonly innerAlgorithm: Node;
  readonly issuer: Node;
  readonly subject: Node;
  readonly spki: Node;
}

/**
 * A parsed TBSCertificate: its byte fields are views made when first read (the CT log reads few of a leaf's), its
 * extensions as ExtensionList reads them.
 */
class ParsedTbs implements TbsCertificate {
  constructor(
    protected readonly nodes: TbsNodes,
    readonly notBefore: Date,
    readonly notAfter: Date,
    readonly extensionList: ExtensionList,
  ) {}
  get tbs(): Buffer {
    return this.nodes.tbs.raw;
  }
  get serial(): Buffer {
    return this.nodes.serial.content;
  }
  get innerAlgorithm(): Buffer {
    return this.nodes.innerAlgorithm.raw;
  }
  get issuer(): Buffer {
    return this.nodes.issuer.raw;
  }
  get subject(): Buffer {
    return this.nodes.subject.raw;
  }
  get spki(): Buffer {
    return this.nodes.spki.raw;
  }
  get extensions(): readonly Extension[] {
    return this.extensionList.all();
  }
}

class ParsedCertificate extends ParsedTbs implements Certificate {
  constructor(
    tbs: ParsedTbs,
    readonly der: Buffer,
    readonly signatureAlgorithm: string,
    readonly signature: Buffer,
  ) {
    super(tbs['nodes'], tbs.notBefore, tbs.notAfter, tbs.extensionList);
  }
}

function readTbs(tbsNode: Node | undefined): ParsedTbs {
  const tbsFields = children(expectTag(tbsNode, Tag.SEQUENCE, 'TBSCertificate'));
  let i = tbsFields[0]?.tag === VERSION_TAG ? 1 : 0;
  const serial = expectTag(tbsFields[i++], Tag.INTEGER, 'serial number');
  const innerAlg = expectTag(tbsFields[i++], Tag.SEQUENCE, 'TBS signature algorithm');
  const issuer = expectTag(tbsFields[i++], Tag.SEQUENCE, 'issuer');
  const validity = children(expectTag(tbsFields[i++], Tag.SEQUENCE, 'validity'));
  const subject = expectTag(tbsFields[i++], Tag.SEQUENCE, 'subject');
  const spki = expectTag(tbsFields[i++], Tag.SEQUENCE, 'subjectPublicKeyInfo');
  let extensions = NO_EXTENSIONS;
  for (; i < tbsFields.length; i++) {
    const field = tbsFields[i]!;
    if (field.tag === EXTENSIONS_TAG) {
      const [list, more] = children(field);
      if (more !== undefined) throw new Error('malformed extensions');
      extensions = readExtensions(expectTag(list, Tag.SEQUENCE, 'Extensions').content);
    } else if (field.tag !== 0x81 && field.tag !== 0x82) {
      throw new Error(`unexpected TBSCertificate field tag 0x${field.tag.toString(16)}`);
    }
  }
  extensions.checkUnique();
  const [notBefore, notAfter] = validity;
  if (!notBefore || !notAfter || validity.length !== 2) throw new Error('malformed validity');
  const nodes = { tbs: tbsNode!, serial, innerAlgorithm: innerAlg, issuer, subject, spki };
  return new ParsedTbs(nodes, decodeTime(notBefore), decodeTime(notAfter), extensions);
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
  return new ParsedCertificate(tbs, der, signatureAlgorithmOf(alg), sigBits.subarray(1));
}

/** The AlgorithmIdentifier's OID, decoded once per distinct encoding (a log sees the same two or three). */
const algorithmOids = new Map<string, string>();
function signatureAlgorithmOf(alg: Node): string {
  const raw = alg.raw;
  const key = raw.length <= 64 ? raw.toString('latin1') : undefined;
  let oid = key === undefined ? undefined : algorithmOids.get(key);
  if (oid === undefined) {
    oid = decodeOid(expectTag(children(alg)[0], Tag.OID, 'algorithm OID').content);
    if (key !== undefined && algorithmOids.size < 64) algorithmOids.set(key, oid);
  }
  return oid;
}

/** OID content bytes per dotted string, for findExtension (callers pass a few constants). */
const encodedOids = new Map<string, Buffer | null>();
function oidContent(oid: string): Buffer | null {
  let bytes = encodedOids.get(oid);
  if (bytes === undefined) {
    try {
      bytes = parse(encodeOid(oid)).content;
    } catch {
      bytes = null; // not an OID: no extension has it
    }
    if (encodedOids.size < 256) encodedOids.set(oid, bytes);
  }
  return bytes;
}

export function findExtension(cert: Pick<Certificate, 'extensions'>, oid: string): Extension | undefined {
  if (!(cert instanceof ParsedTbs)) return cert.extensions.find((e) => e.oid === oid);
  const bytes = oidContent(oid);
  const i = bytes === null ? -1 : cert.extensionList.indexOf(bytes);
  return i < 0 ? undefined : cert.extensionList.get(i, oid);
}

/**
 * The DER of a certificate's extensions other than `oid` (each Extension as encoded, in order), as consecutive runs
 * of the original bytes; undefined when it has no `oid` extension.
 */
export function extensionsWithout(cert: Pick<Certificate, 'extensions'>, oid: string): Buffer[] | undefined {
  if (!(cert instanceof ParsedTbs)) {
    const kept = cert.extensions.filter((e) => e.oid !== oid);
    return kept.length === cert.extensions.length ? undefined : kept.map((e) => e.raw);
  }
  const bytes = oidContent(oid);
  const i = bytes === null ? -1 : cert.extensionList.indexOf(bytes);
  return i < 0 ? undefined : cert.extensionList.without(i);
}

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
