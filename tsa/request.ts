// TimeStampReq (RFC 3161 §2.4.1), from DER or from the JSON body sigstore/timestamp-authority accepts, into one
// checked TimestampRequest. Every refusal is a TsaRejection with the PKIFailureInfo a client can act on:
// badDataFormat (not a TimeStampReq, a digest of the wrong length), badRequest (version), badAlg (a hash other
// than SHA-256/384/512), unacceptedPolicy, unacceptedExtension.
import { children, decodeOid, derNull, DerError, encodeOid, octetString, parse, sequence, Tag, tlv, type Node } from '../lib/der.js';
import { HASH_OID, HASHES, type HashName } from './oids.js';
import { TsaRejection } from './rejection.js';

export interface TimestampRequest {
  readonly hash: HashName;
  /** The MessageImprint SEQUENCE, DER, echoed into TSTInfo as received. */
  readonly messageImprint: Buffer;
  readonly digest: Buffer;
  /** The requested policy OID, if any. */
  readonly policy?: string;
  /** The nonce INTEGER, DER (tag, length, value), echoed into TSTInfo as received. */
  readonly nonce?: Buffer;
  readonly certReq: boolean;
}

const EXTENSIONS_TAG = 0xa0;
/** A nonce longer than this is not a nonce (RFC 3161 suggests 64 bits; allow 512). */
const MAX_NONCE_BYTES = 64;

/** The accepted hash OIDs by their encoded content (hex), so that the hot path decodes no OID. */
const HASH_BY_CONTENT = new Map(Object.keys(HASHES).map((oid) => [encodeOid(oid).subarray(2).toString('hex'), oid]));

const malformed = (what: string) => new TsaRejection('badDataFormat', `malformed TimeStampReq: ${what}`);

function expect(node: Node | undefined, tag: number, what: string): Node {
  if (!node || node.tag !== tag) throw malformed(`expected ${what}`);
  return node;
}

/** Two's-complement INTEGER content must be minimal and non-empty (X.690 8.3.2). */
function checkInteger(n: Node, what: string): void {
  const c = n.content;
  if (c.length === 0) throw malformed(`empty ${what}`);
  if (c.length > 1 && ((c[0] === 0 && (c[1]! & 0x80) === 0) || (c[0] === 0xff && (c[1]! & 0x80) !== 0)))
    throw malformed(`non-minimal ${what}`);
}

/** The hash named by an AlgorithmIdentifier and the digest length it implies. */
function checkImprint(algorithm: string, digest: Buffer): HashName {
  const hash = HASHES[algorithm];
  if (!hash) throw new TsaRejection('badAlg', `unsupported hash algorithm ${algorithm} (use SHA-256, SHA-384 or SHA-512)`);
  if (digest.length !== hash.length)
    throw new TsaRejection('badDataFormat', `a ${hash.name} digest is ${hash.length} bytes, not ${digest.length}`);
  return hash.name;
}

function checkPolicy(policy: string | undefined, accepted: readonly string[]): void {
  if (policy !== undefined && !accepted.includes(policy))
    throw new TsaRejection('unacceptedPolicy', `policy ${policy} is not offered by this TSA (offered: ${accepted.join(', ')})`);
}

function parseStructure(der: Buffer): Omit<TimestampRequest, 'hash'> & { algorithm: string } {
  const fields = children(expect(parse(der), Tag.SEQUENCE, 'a SEQUENCE'));
  const [versionNode, imprintNode, ...rest] = fields;
  const version = expect(versionNode, Tag.INTEGER, 'version');
  checkInteger(version, 'version');
  if (version.content.length !== 1 || version.content[0] !== 1) throw new TsaRejection('badRequest', 'only TimeStampReq version 1 is supported');

  const imprint = expect(imprintNode, Tag.SEQUENCE, 'messageImprint');
  const [algNode, digestNode, extra] = children(imprint);
  if (extra) throw malformed('trailing field in messageImprint');
  const [oidNode, params, more] = children(expect(algNode, Tag.SEQUENCE, 'hashAlgorithm'));
  if (more || (params && !params.raw.equals(derNull()))) throw malformed('hash AlgorithmIdentifier parameters must be absent or NULL');
  const oidContent = expect(oidNode, Tag.OID, 'hash algorithm OID').content;
  const algorithm = HASH_BY_CONTENT.get(oidContent.toString('hex')) ?? decodeOid(oidContent);
  const digest = expect(digestNode, Tag.OCTET_STRING, 'hashedMessage').content;

  let i = 0;
  let policy: string | undefined;
  let nonce: Buffer | undefined;
  let certReq = false;
  if (rest[i]?.tag === Tag.OID) policy = decodeOid(rest[i++]!.content);
  if (rest[i]?.tag === Tag.INTEGER) {
    const n = rest[i++]!;
    checkInteger(n, 'nonce');
    if (n.content.length > MAX_NONCE_BYTES) throw malformed(`nonce longer than ${MAX_NONCE_BYTES} bytes`);
    nonce = n.raw;
  }
  if (rest[i]?.tag === Tag.BOOLEAN) {
    const b = rest[i++]!;
    if (b.content.length !== 1) throw malformed('certReq');
    // DER never writes the DEFAULT FALSE, but some clients do: read it rather than refuse the request.
    certReq = b.content[0] !== 0;
  }
  if (rest[i]?.tag === EXTENSIONS_TAG) {
    const exts = children(rest[i++]!);
    if (exts.length > 0) throw new TsaRejection('unacceptedExtension', 'this TSA accepts no request extensions');
  }
  if (i !== rest.length) throw malformed('unexpected field');
  return { algorithm, messageImprint: imprint.raw, digest, ...(policy ? { policy } : {}), ...(nonce ? { nonce } : {}), certReq };
}

/** Parses and checks a DER TimeStampReq. Throws TsaRejection. */
export function parseTimestampQuery(der: Buffer, acceptedPolicies: readonly string[]): TimestampRequest {
  let parsed: ReturnType<typeof parseStructure>;
  try {
    parsed = parseStructure(der);
  } catch (e) {
    if (e instanceof TsaRejection) throw e;
    throw malformed(e instanceof DerError ? e.message : 'not DER');
  }
  const { algorithm, ...req } = parsed;
  const hash = checkImprint(algorithm, req.digest);
  checkPolicy(req.policy, acceptedPolicies);
  return { ...req, hash };
}

/** A JSON number too large for a double keeps its digits: read them from the text (a flat object, one `nonce`). */
function nonceDigits(raw: string, value: unknown): string {
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return value;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TsaRejection('badDataFormat', 'nonce must be an integer');
  if (Number.isSafeInteger(value)) return String(value);
  const literals = [...raw.matchAll(/"nonce"\s*:\s*(-?\d+)\s*[,}]/g)];
  if (literals.length !== 1) throw new TsaRejection('badDataFormat', 'nonce must be an integer');
  return literals[0]![1]!;
}

/** A decimal integer as a DER INTEGER (two's complement, minimal). */
function integerFromDecimal(digits: string): Buffer {
  let v = BigInt(digits);
  const negative = v < 0n;
  const bytes: number[] = [];
  if (negative) v = -v - 1n; // one's complement of the magnitude, then invert each byte
  do {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (v > 0n);
  if (negative) for (let k = 0; k < bytes.length; k++) bytes[k] = ~bytes[k]! & 0xff;
  if (!negative && bytes[0]! & 0x80) bytes.unshift(0);
  if (negative && !(bytes[0]! & 0x80)) bytes.unshift(0xff);
  if (bytes.length > MAX_NONCE_BYTES) throw new TsaRejection('badDataFormat', `nonce longer than ${MAX_NONCE_BYTES} bytes`);
  return tlv(Tag.INTEGER, Buffer.from(bytes));
}

/**
 * sigstore/timestamp-authority's JSON request: `{artifactHash: base64 digest, hashAlgorithm: "sha256"|"sha384"|
 * "sha512", nonce?: integer, certificates?: boolean, tsaPolicyOID?: "1.2.3"}`; other fields are ignored, as that
 * service's decoder ignores them. Throws TsaRejection.
 */
export function parseJsonRequest(text: string, acceptedPolicies: readonly string[]): TimestampRequest {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new TsaRejection('badDataFormat', 'the request body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new TsaRejection('badDataFormat', 'the request body must be a JSON object');
  const o = body as Record<string, unknown>;
  if (typeof o['hashAlgorithm'] !== 'string') throw new TsaRejection('badAlg', 'hashAlgorithm must be "sha256", "sha384" or "sha512"');
  const name = o['hashAlgorithm'].toLowerCase();
  const algorithm = HASH_OID[name as HashName];
  if (!algorithm) throw new TsaRejection('badAlg', `unsupported hashAlgorithm ${JSON.stringify(o['hashAlgorithm'].slice(0, 20))} (use sha256, sha384 or sha512)`);
  const b64 = o['artifactHash'];
  if (typeof b64 !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0)
    throw new TsaRejection('badDataFormat', 'artifactHash must be the base64 digest of the artifact');
  const digest = Buffer.from(b64, 'base64');
  const hash = checkImprint(algorithm, digest);
  const certReq = o['certificates'] ?? false;
  if (typeof certReq !== 'boolean') throw new TsaRejection('badDataFormat', 'certificates must be a boolean');
  let policy: string | undefined;
  if (o['tsaPolicyOID'] !== undefined && o['tsaPolicyOID'] !== '') {
    const p = o['tsaPolicyOID'];
    if (typeof p !== 'string' || !/^[0-2](\.\d{1,9}){1,40}$/.test(p)) throw new TsaRejection('badDataFormat', 'tsaPolicyOID must be a dotted OID');
    encodeOid(p);
    policy = p;
  }
  checkPolicy(policy, acceptedPolicies);
  const nonce = o['nonce'] === undefined || o['nonce'] === null ? undefined : integerFromDecimal(nonceDigits(text, o['nonce']));
  const messageImprint = sequence(sequence(encodeOid(algorithm)), octetString(digest));
  return { hash, messageImprint, digest, ...(policy ? { policy } : {}), ...(nonce ? { nonce } : {}), certReq };
}
