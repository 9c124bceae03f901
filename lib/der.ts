// Strict DER: a small encoder and a strict reader. Certificates, SCT extensions and CT chain checks are built
// on these few functions so that every byte we emit is minimal and definite (RFC 6962 verifiers re-encode TBS).

export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

export class DerError extends Error {
  override readonly name = 'DerError';
}

const lengthBytes = (len: number): number => (len < 0x80 ? 0 : len < 0x100 ? 1 : len < 0x10000 ? 2 : len < 0x1000000 ? 3 : 4);

/** Writes tag and definite length into `out` at `at`; returns where the value starts. */
function writeHeader(out: Buffer, at: number, tag: number, len: number, lenBytes: number): number {
  out[at] = tag;
  let off = at + 1;
  if (lenBytes === 0) out[off++] = len;
  else {
    out[off++] = 0x80 | lenBytes;
    // At most 4 length bytes, so len < 2^32 and an unsigned shift reads each byte (a power per byte showed in profiles).
    for (let i = lenBytes - 1; i >= 0; i--) out[off++] = (len >>> (8 * i)) & 0xff;
  }
  return off;
}

/** One TLV. `content` may be a list of already-encoded children. Written into one allocation (the hot path of
 * every certificate, SCT and timestamp). */
export const tlv = (tag: number, content: Uint8Array | readonly Uint8Array[]): Buffer =>
  encode(pending(tag, content instanceof Uint8Array ? [content] : content));

/**
 * A TLV whose bytes are not written yet: its parts (encoded bytes or other pending TLVs) and its value's length. A
 * structure built of these is written by `encode` into one allocation, each byte copied once, where nesting `tlv`
 * calls copies a value again at every level that encloses it (a certificate's extensions sit four levels deep).
 */
export interface PendingTlv {
  readonly tag: number;
  readonly parts: readonly DerPart[];
  /** The value's length in bytes (the parts' encoded lengths summed). */
  readonly valueLength: number;
}

export type DerPart = Uint8Array | PendingTlv;

function encodedLength(p: DerPart): number {
  return p instanceof Uint8Array ? p.length : 2 + lengthBytes(p.valueLength) + p.valueLength;
}

/** A TLV around `parts`, written later by `encode` (or by an enclosing one's). */
export function pending(tag: number, parts: readonly DerPart[]): PendingTlv {
  let valueLength = 0;
  for (const p of parts) valueLength += encodedLength(p);
  return { tag, parts, valueLength };
}

function writePart(out: Buffer, off: number, p: DerPart): number {
  if (p instanceof Uint8Array) {
    out.set(p, off);
    return off + p.length;
  }
  const lenBytes = lengthBytes(p.valueLength);
  let at = writeHeader(out, off, p.tag, p.valueLength, lenBytes);
  for (const child of p.parts) at = writePart(out, at, child);
  return at;
}

/** The DER of `part`, in one allocation. */
export function encode(part: DerPart): Buffer {
  if (part instanceof Uint8Array) return Buffer.from(part);
  const out = Buffer.allocUnsafe(encodedLength(part));
  writePart(out, 0, part);
  return out;
}

/** The tag and length octets of a TLV whose value, `length` bytes, the caller writes after them. */
export function tlvHeader(tag: number, length: number): Buffer {
  const lenBytes = lengthBytes(length);
  const out = Buffer.allocUnsafe(2 + lenBytes);
  writeHeader(out, 0, tag, length, lenBytes);
  return out;
}

export const sequence = (...items: Uint8Array[]): Buffer => tlv(Tag.SEQUENCE, items);
export const set = (...items: Uint8Array[]): Buffer => tlv(Tag.SET, items);
export const octetString = (b: Uint8Array): Buffer => tlv(Tag.OCTET_STRING, b);
export const utf8String = (s: string): Buffer => tlv(Tag.UTF8_STRING, Buffer.from(s, 'utf8'));
export const ia5String = (s: string): Buffer => tlv(Tag.IA5_STRING, Buffer.from(s, 'ascii'));
export const printableString = (s: string): Buffer => tlv(Tag.PRINTABLE_STRING, Buffer.from(s, 'ascii'));
export const derNull = (): Buffer => Buffer.from([Tag.NULL, 0]);
export const boolean = (v: boolean): Buffer => Buffer.from([Tag.BOOLEAN, 1, v ? 0xff : 0x00]);
const NO_UNUSED_BITS = Buffer.from([0]);
/** BIT STRING with no unused bits, pending (to be written with the structure that holds it). */
export const pendingBitString = (b: Uint8Array): PendingTlv => pending(Tag.BIT_STRING, [NO_UNUSED_BITS, b]);
/** BIT STRING with no unused bits. */
export const bitString = (b: Uint8Array): Buffer => encode(pendingBitString(b));
/** Context-specific constructed [n] (EXPLICIT tagging). */
export const explicit = (n: number, inner: Uint8Array): Buffer => tlv(0xa0 | n, inner);
/** Context-specific primitive [n] (IMPLICIT tagging of a primitive type). */
export const implicitPrimitive = (n: number, content: Uint8Array): Buffer => tlv(0x80 | n, content);

/** A non-negative INTEGER from big-endian magnitude bytes (leading zeros stripped, sign byte added when needed). */
export function unsignedInteger(magnitude: Uint8Array): Buffer {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  let body = Buffer.from(magnitude.subarray(i));
  if (body.length === 0) body = Buffer.from([0]);
  if ((body[0] as number) & 0x80) body = Buffer.concat([Buffer.from([0]), body]);
  return tlv(Tag.INTEGER, body);
}

export const smallInteger = (n: number): Buffer => {
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return unsignedInteger(Buffer.from(bytes));
};

export function encodeOid(oid: string): Buffer {
  const parts = oid.split('.').map((p) => {
    if (!/^\d+$/.test(p)) throw new DerError(`bad OID ${oid}`);
    return BigInt(p);
  });
  if (parts.length < 2) throw new DerError(`bad OID ${oid}`);
  const arcs = [parts[0]! * 40n + parts[1]!, ...parts.slice(2)];
  const out: number[] = [];
  for (const arc of arcs) {
    const chunk: number[] = [];
    let v = arc;
    do {
      chunk.unshift(Number(v & 0x7fn));
      v >>= 7n;
    } while (v > 0n);
    for (let i = 0; i < chunk.length - 1; i++) chunk[i]! |= 0x80;
    out.push(...chunk);
  }
  return tlv(Tag.OID, Buffer.from(out));
}

/** Arcs are read as numbers while they stay exact (below 2^53), as BigInt beyond (e.g. 2.25 UUID arcs). */
const EXACT_LIMIT = 2 ** 46; // v * 128 + 127 stays below 2^53

/** Throws what decodeOid throws on malformed OID content (empty, truncated, a non-minimal arc), without decoding it. */
export function checkOid(content: Uint8Array, start = 0, end = content.length): void {
  if (end <= start) throw new DerError('empty OID');
  let arcStart = true;
  for (let i = start; i < end; i++) {
    const b = content[i] as number;
    if (arcStart && b === 0x80) throw new DerError('non-minimal OID arc');
    arcStart = (b & 0x80) === 0;
  }
  if (!arcStart) throw new DerError('truncated OID');
}

/**
 * Decoded OIDs by their content bytes (as a latin1 string). A certificate names a few dozen OIDs drawn from a small
 * set, and decoding builds a string arc by arc: the cache turns each repeat into one short key and a lookup. Only
 * OIDs that decoded without error are kept, at most OID_CACHE_MAX of them (then it starts over), so hostile input
 * cannot grow it without bound.
 */
const oidCache = new Map<string, string>();
const OID_CACHE_MAX = 4096;
const OID_CACHE_KEY_MAX = 32;

export function decodeOid(content: Uint8Array): string {
  if (content.length > OID_CACHE_KEY_MAX) return decodeOidArcs(content);
  const key = (Buffer.isBuffer(content) ? content : Buffer.from(content.buffer, content.byteOffset, content.byteLength)).toString('latin1');
  const hit = oidCache.get(key);
  if (hit !== undefined) return hit;
  const oid = decodeOidArcs(content);
  if (oidCache.size >= OID_CACHE_MAX) oidCache.clear();
  oidCache.set(key, oid);
  return oid;
}

function decodeOidArcs(content: Uint8Array): string {
  const arcs: Array<number | bigint> = [];
  let v = 0;
  let big: bigint | undefined;
  for (let i = 0; i < content.length; i++) {
    const b = content[i] as number;
    if (v === 0 && big === undefined && b === 0x80) throw new DerError('non-minimal OID arc');
    if (big !== undefined) big = (big << 7n) | BigInt(b & 0x7f);
    else if (v >= EXACT_LIMIT) big = (BigInt(v) << 7n) | BigInt(b & 0x7f);
    else v = v * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      arcs.push(big ?? v);
      v = 0;
      big = undefined;
    } else if (i === content.length - 1) {
      throw new DerError('truncated OID');
    }
  }
  if (arcs.length === 0) throw new DerError('empty OID');
  const first = arcs[0]!;
  let head: string;
  if (typeof first === 'bigint') head = `2.${first - 80n}`;
  else head = first < 40 ? `0.${first}` : first < 80 ? `1.${first - 40}` : `2.${first - 80}`;
  let out = head;
  for (let i = 1; i < arcs.length; i++) out += `.${arcs[i]}`;
  return out;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** RFC 5280: UTCTime through 2049, GeneralizedTime from 2050; always whole seconds, always Z. */
export function time(date: Date): Buffer {
  const y = date.getUTCFullYear();
  if (y < 1950 || y >= 2050) return generalizedTime(date);
  return tlv(Tag.UTC_TIME, Buffer.from(pad2(y % 100) + secondsZ(date), 'ascii'));
}

/** MMDDhhmmssZ of `date` in UTC. */
const secondsZ = (date: Date): string =>
  pad2(date.getUTCMonth() + 1) + pad2(date.getUTCDate()) + pad2(date.getUTCHours()) + pad2(date.getUTCMinutes()) + pad2(date.getUTCSeconds()) + 'Z';

/** GeneralizedTime in whole seconds, always Z (RFC 3161 genTime, RFC 5280 dates from 2050). */
export function generalizedTime(date: Date): Buffer {
  return tlv(Tag.GENERALIZED_TIME, Buffer.from(String(date.getUTCFullYear()).padStart(4, '0') + secondsZ(date), 'ascii'));
}

/** Two decimal digits at `at`, or NaN. The high bit of each byte is ignored, as Node's 'ascii' decoding does. */
function digits2(b: Buffer, at: number): number {
  const hi = (b[at]! & 0x7f) - 0x30;
  const lo = (b[at + 1]! & 0x7f) - 0x30;
  return hi >= 0 && hi <= 9 && lo >= 0 && lo <= 9 ? hi * 10 + lo : NaN;
}

/** UTCTime YYMMDDhhmmssZ or GeneralizedTime YYYYMMDDhhmmssZ, whole seconds (RFC 5280 §4.1.2.5). */
export function decodeTime(node: Node): Date {
  const c = node.content;
  const century = node.tag === Tag.GENERALIZED_TIME ? 2 : node.tag === Tag.UTC_TIME ? 0 : -1;
  // Read off the bytes (this runs for every certificate the CT log checks): the same format a regular expression
  // over the text would accept, without making the text.
  if (century >= 0 && c.length === 13 + century && (c[12 + century]! & 0x7f) === 0x5a) {
    let year = digits2(c, 0);
    if (century) year = year * 100 + digits2(c, 2);
    else year += year >= 50 ? 1900 : 2000;
    const month = digits2(c, century + 2);
    const day = digits2(c, century + 4);
    const hour = digits2(c, century + 6);
    const minute = digits2(c, century + 8);
    const second = digits2(c, century + 10);
    if (!Number.isNaN(year + month + day + hour + minute + second)) return new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  }
  throw new DerError(`bad time ${JSON.stringify(c.toString('ascii'))}`);
}

/** A parsed TLV: `raw` is the whole encoding, `content` its value bytes (both views into the input). */
export interface Node {
  readonly tag: number;
  readonly raw: Buffer;
  readonly content: Buffer;
}

/** A Node whose views are made when first read: a parse touches most nodes' bytes through only one of the two. */
class DerNode implements Node {
  private rawView: Buffer | undefined;
  private contentView: Buffer | undefined;
  constructor(
    readonly tag: number,
    private readonly buf: Buffer,
    private readonly start: number,
    private readonly valueStart: number,
    /** Offset just past the TLV in `buf`. */
    readonly end: number,
  ) {}
  get raw(): Buffer {
    return (this.rawView ??= this.buf.subarray(this.start, this.end));
  }
  get content(): Buffer {
    return (this.contentView ??= this.buf.subarray(this.valueStart, this.end));
  }
}

/** Reads one strict-DER TLV at `offset`. Rejects indefinite, non-minimal and overlong lengths. */
export function readNode(buf: Buffer, offset = 0): Node {
  return readDerNode(buf, offset);
}

/** Where a TLV sits in its buffer, as readTlv finds it. Hot loops reuse one. */
export interface TlvPosition {
  tag: number;
  /** Offset of the value (just past tag and length). */
  valueStart: number;
  /** Offset just past the TLV. */
  end: number;
}

/**
 * Reads the tag and length of the strict-DER TLV at `offset`, which must end by `limit` (the end of its parent), into
 * `into`, allocating nothing: the checks of readNode, for code that walks many TLVs and keeps only offsets.
 */
export function readTlv(buf: Buffer, offset: number, into: TlvPosition, limit = buf.length): TlvPosition {
  if (offset + 2 > limit) throw new DerError('truncated DER');
  const tag = buf[offset] as number;
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not supported');
  let len = buf[offset + 1] as number;
  let header = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) throw new DerError('indefinite length is not DER');
    if (n > 4) throw new DerError('length too large');
    if (offset + 2 + n > limit) throw new DerError('truncated DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[offset + 2 + i] as number);
    if (buf[offset + 2] === 0 || len < 0x80) throw new DerError('non-minimal DER length');
    header += n;
  }
  const end = offset + header + len;
  if (end > limit) throw new DerError('DER value runs past the end of its input');
  into.tag = tag;
  into.valueStart = offset + header;
  into.end = end;
  return into;
}

const nodeScratch: TlvPosition = { tag: 0, valueStart: 0, end: 0 };

function readDerNode(buf: Buffer, offset: number): DerNode {
  const { tag, valueStart, end } = readTlv(buf, offset, nodeScratch);
  return new DerNode(tag, buf, offset, valueStart, end);
}

/** Parses `buf` as exactly one TLV, with no trailing bytes. */
export function parse(buf: Uint8Array): Node {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const node = readDerNode(b, 0);
  if (node.end !== b.length) throw new DerError('trailing bytes after DER value');
  return node;
}

/** The children of a constructed node. */
export function children(node: Node): Node[] {
  if ((node.tag & 0x20) === 0) throw new DerError('not a constructed value');
  const content = node.content;
  const out: Node[] = [];
  let off = 0;
  while (off < content.length) {
    const child = readDerNode(content, off);
    out.push(child);
    off = child.end;
  }
  return out;
}

export function expectTag(node: Node | undefined, tag: number, what: string): Node {
  if (!node || node.tag !== tag) throw new DerError(`expected ${what}`);
  return node;
}
