// RFC 6962 §3 TLS structures, byte for byte (layouts in shared/reference/ct-log.md §2): MerkleTreeLeaf (= the SCT
// signature input for v1), SCT and SCT list serialization, DigitallySigned, TreeHeadSignature input, extra_data.
import { createHash } from 'node:crypto';

export const EntryType = { x509: 0, precert: 1 } as const;
export type EntryTypeName = keyof typeof EntryType;

const HASH_SHA256 = 0x04;
const SIG_ECDSA = 0x03;
const SIGNATURE_TYPE_TREE_HASH = 0x01;

/** What a leaf certifies: a final certificate, or a precertificate's TBS (poison removed) under its issuer's key. */
export type SignedEntry =
  | { readonly type: 'x509'; readonly certificate: Buffer }
  | { readonly type: 'precert'; readonly issuerKeyHash: Buffer; readonly tbsCertificate: Buffer };

export interface TimestampedEntry {
  readonly timestamp: number;
  readonly entry: SignedEntry;
  readonly extensions: Buffer;
}

export interface Sct {
  readonly version: 0;
  readonly logId: Buffer;
  readonly timestamp: number;
  readonly extensions: Buffer;
  /** TLS DigitallySigned bytes: hash alg, signature alg, u16 length, DER signature. */
  readonly signature: Buffer;
}

export const u8 = (n: number): Buffer => Buffer.from([n]);
/** n, if it fits an unsigned field of `width` bytes (8: a safe integer, as every u64 here is); throws otherwise. */
function checked(n: number, width: 2 | 3 | 8): number {
  if (width === 8) {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${n} is not a valid u64 here`);
  } else if (!Number.isInteger(n) || n < 0 || n >= (width === 2 ? 0x10000 : 0x1000000)) {
    throw new RangeError(`${n} does not fit in ${8 * width} bits`);
  }
  return n;
}
export const u16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(checked(n, 2));
  return b;
};
export const u24 = (n: number): Buffer => {
  checked(n, 3);
  return Buffer.from([n >>> 16, (n >>> 8) & 0xff, n & 0xff]);
};
export const u64 = (n: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(checked(n, 8)));
  return b;
};
const vec16 = (b: Buffer): Buffer => Buffer.concat([u16(b.length), b]);

/** Log ID = SHA-256 of the log key's DER SubjectPublicKeyInfo. */
export const logIdFor = (spki: Uint8Array): Buffer => createHash('sha256').update(spki).digest();

/** issuer_key_hash = SHA-256 of the issuing CA's DER SubjectPublicKeyInfo. */
export const issuerKeyHash = (issuerSpki: Uint8Array): Buffer => createHash('sha256').update(issuerSpki).digest();

/** Writes n as a big-endian unsigned integer of `width` bytes; throws when it does not fit. */
function writeUint(out: Buffer, offset: number, width: 2 | 3 | 8, n: number): number {
  checked(n, width);
  if (width === 8) {
    out.writeUInt32BE(Math.floor(n / 2 ** 32), offset);
    out.writeUInt32BE(n >>> 0, offset + 4);
  } else {
    out.writeUIntBE(n, offset, width);
  }
  return offset + width;
}

/**
 * MerkleTreeLeaf (version v1, leaf_type timestamped_entry) = leaf_input. For v1 this is byte-identical to the SCT
 * signature input (version v1, signature_type certificate_timestamp), so the log signs exactly what it stores.
 * Written into one allocation (the log builds one per submission).
 */
export function merkleTreeLeaf(e: TimestampedEntry): Buffer {
  const { entry } = e;
  const body = entry.type === 'x509' ? entry.certificate : entry.tbsCertificate;
  return writeLeaf(0, e.timestamp, entry.type, entry.type === 'precert' ? entry.issuerKeyHash : undefined, [body], body.length, e.extensions);
}

/** A new entry's leaf as the log makes it: the certificate (x509) or the TBS (precert) given as consecutive parts. */
export type LeafBody =
  | { readonly type: 'x509'; readonly parts: readonly Buffer[] }
  | { readonly type: 'precert'; readonly issuerKeyHash: Buffer; readonly parts: readonly Buffer[] };

/** A MerkleTreeLeaf written one byte into its allocation, after RFC 6962's leaf-hash prefix. */
export interface PrefixedLeaf {
  /** The MerkleTreeLeaf. */
  readonly leafInput: Buffer;
  /** 0x00 ‖ leafInput, the same memory: SHA-256 of it is the leaf hash (merkle.ts hashPrefixedLeaf), with no copy. */
  readonly hashInput: Buffer;
}

/**
 * merkleTreeLeaf for a new entry, with its body's parts written once, straight into the leaf (a precertificate's
 * TBS is re-encoded from the submitted bytes as it is written), and the leaf-hash prefix before it.
 */
export function prefixedMerkleTreeLeaf(timestamp: number, body: LeafBody, extensions: Buffer): PrefixedLeaf {
  let length = 0;
  for (const part of body.parts) length += part.length;
  const hashInput = writeLeaf(1, timestamp, body.type, body.type === 'precert' ? body.issuerKeyHash : undefined, body.parts, length, extensions);
  return { leafInput: hashInput.subarray(1), hashInput };
}

/** A MerkleTreeLeaf after `prefix` zero bytes (0 or 1) of one new allocation, which is returned whole. */
function writeLeaf(
  prefix: 0 | 1,
  timestamp: number,
  type: EntryTypeName,
  issuerKeyHash: Buffer | undefined,
  body: readonly Buffer[],
  bodyLength: number,
  extensions: Buffer,
): Buffer {
  if (type === 'precert' && issuerKeyHash?.length !== 32) throw new RangeError('issuer_key_hash must be 32 bytes');
  checked(timestamp, 8);
  checked(bodyLength, 3);
  checked(extensions.length, 2);
  const out = Buffer.allocUnsafe(prefix + 2 + 8 + 2 + (type === 'precert' ? 32 : 0) + 3 + bodyLength + 2 + extensions.length);
  if (prefix === 1) out[0] = 0x00; // RFC 6962 §2.1: leaf hash = SHA-256(0x00 ‖ leaf)
  out[prefix] = 0; // version v1
  out[prefix + 1] = 0; // leaf_type timestamped_entry
  let at = writeUint(out, prefix + 2, 8, timestamp);
  at = writeUint(out, at, 2, EntryType[type]);
  if (issuerKeyHash !== undefined && type === 'precert') at += issuerKeyHash.copy(out, at);
  at = writeUint(out, at, 3, bodyLength);
  for (const part of body) at += part.copy(out, at);
  at = writeUint(out, at, 2, extensions.length);
  extensions.copy(out, at);
  return out;
}

export const sctSignatureInput = merkleTreeLeaf;

/** A byte reader that fails loudly on truncation. */
export class TlsReader {
  private offset = 0;
  constructor(private readonly buf: Buffer) {}
  get remaining(): number {
    return this.buf.length - this.offset;
  }
  bytes(n: number, what: string): Buffer {
    if (n > this.remaining) throw new Error(`truncated ${what}`);
    const out = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
  uint(width: 1 | 2 | 3 | 8, what: string): number {
    const b = this.bytes(width, what);
    if (width === 8) {
      const v = b.readBigUInt64BE();
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${what} out of range`);
      return Number(v);
    }
    return b.readUIntBE(0, width);
  }
  vec(lengthWidth: 2 | 3, what: string): Buffer {
    return this.bytes(this.uint(lengthWidth, `${what} length`), what);
  }
  end(what: string): void {
    if (this.remaining !== 0) throw new Error(`${this.remaining} trailing bytes after ${what}`);
  }
}

/** Parses leaf_input (a v1 MerkleTreeLeaf). */
export function parseMerkleTreeLeaf(buf: Buffer): TimestampedEntry {
  const r = new TlsReader(buf);
  if (r.uint(1, 'version') !== 0) throw new Error('unsupported MerkleTreeLeaf version');
  if (r.uint(1, 'leaf type') !== 0) throw new Error('unsupported MerkleLeafType');
  const timestamp = r.uint(8, 'timestamp');
  const type = r.uint(2, 'entry type');
  let entry: SignedEntry;
  if (type === EntryType.x509) entry = { type: 'x509', certificate: r.vec(3, 'certificate') };
  else if (type === EntryType.precert)
    entry = { type: 'precert', issuerKeyHash: r.bytes(32, 'issuer key hash'), tbsCertificate: r.vec(3, 'tbs') };
  else throw new Error(`unknown LogEntryType ${type}`);
  const extensions = r.vec(2, 'extensions');
  r.end('MerkleTreeLeaf');
  return { timestamp, entry, extensions };
}

/** TLS DigitallySigned for ECDSA with SHA-256: 04 03 ‖ u16 len ‖ DER signature. */
export function encodeDigitallySigned(derSignature: Buffer): Buffer {
  // One allocation (one per SCT the log signs), not one per field.
  const out = Buffer.allocUnsafe(4 + derSignature.length);
  out[0] = HASH_SHA256;
  out[1] = SIG_ECDSA;
  writeUint(out, 2, 2, derSignature.length);
  derSignature.copy(out, 4);
  return out;
}

export interface DigitallySigned {
  readonly hashAlgorithm: number;
  readonly signatureAlgorithm: number;
  readonly signature: Buffer;
}

export function decodeDigitallySigned(buf: Buffer): DigitallySigned {
  const r = new TlsReader(buf);
  const hashAlgorithm = r.uint(1, 'hash algorithm');
  const signatureAlgorithm = r.uint(1, 'signature algorithm');
  const signature = r.vec(2, 'signature');
  r.end('DigitallySigned');
  return { hashAlgorithm, signatureAlgorithm, signature };
}

/** The 50-byte TreeHeadSignature input (RFC 6962 §3.5). */
export function treeHeadSignatureInput(timestamp: number, treeSize: number, rootHash: Buffer): Buffer {
  if (rootHash.length !== 32) throw new RangeError('root hash must be 32 bytes');
  return Buffer.concat([u8(0), u8(SIGNATURE_TYPE_TREE_HASH), u64(timestamp), u64(treeSize), rootHash]);
}

/** SCT TLS encoding (RFC 6962 §3.2), as embedded in certificates. */
export function serializeSct(sct: Sct): Buffer {
  if (sct.version !== 0) throw new RangeError('only SCT v1 is supported');
  if (sct.logId.length !== 32) throw new RangeError('log ID must be 32 bytes');
  return Buffer.concat([u8(0), sct.logId, u64(sct.timestamp), vec16(sct.extensions), sct.signature]);
}

export function parseSct(buf: Buffer): Sct {
  const r = new TlsReader(buf);
  if (r.uint(1, 'SCT version') !== 0) throw new Error('unsupported SCT version');
  const logId = r.bytes(32, 'log ID');
  const timestamp = r.uint(8, 'timestamp');
  const extensions = r.vec(2, 'extensions');
  const signature = r.bytes(r.remaining, 'signature');
  decodeDigitallySigned(signature); // validates the remainder is exactly one DigitallySigned
  return { version: 0, logId, timestamp, extensions, signature };
}

/** SignedCertificateTimestampList: u16 total ‖ (u16 len ‖ SCT)+ (at least one SCT). */
export function serializeSctList(scts: readonly Sct[]): Buffer {
  if (scts.length === 0) throw new RangeError('an SCT list must hold at least one SCT');
  return vec16(Buffer.concat(scts.map((s) => vec16(serializeSct(s)))));
}

export function parseSctList(buf: Buffer): Sct[] {
  const outer = new TlsReader(buf);
  const list = new TlsReader(outer.vec(2, 'SCT list'));
  outer.end('SCT list');
  const out: Sct[] = [];
  while (list.remaining > 0) out.push(parseSct(list.vec(2, 'SCT')));
  if (out.length === 0) throw new Error('empty SCT list');
  return out;
}

/** u24-length-prefixed DER certificates, one after the other, after `head` bytes left for the caller. */
function chainBytes(head: number, chain: readonly Buffer[]): { out: Buffer; at: number } {
  let total = 0;
  for (const der of chain) total += 3 + checked(der.length, 3);
  checked(total, 3);
  const out = Buffer.allocUnsafe(head + 3 + total);
  let at = writeUint(out, head, 3, total);
  for (const der of chain) {
    at = writeUint(out, at, 3, der.length);
    at += der.copy(out, at);
  }
  return { out, at };
}

/** certificate_chain / precertificate_chain: u24 total ‖ (u24 len ‖ DER)*. */
export const certificateChain = (chain: readonly Buffer[]): Buffer => chainBytes(0, chain).out;

/** extra_data of an x509_entry: the chain above the leaf (issuer first, root last). */
export const x509ExtraData = (chainAboveLeaf: readonly Buffer[]): Buffer => certificateChain(chainAboveLeaf);

/** extra_data of a precert_entry: PrecertChainEntry = u24 len ‖ precert as submitted ‖ precertificate_chain. */
export function precertExtraData(precertificate: Buffer, chainAboveLeaf: readonly Buffer[]): Buffer {
  const head = 3 + checked(precertificate.length, 3);
  const { out } = chainBytes(head, chainAboveLeaf);
  writeUint(out, 0, 3, precertificate.length);
  precertificate.copy(out, 3);
  return out;
}
