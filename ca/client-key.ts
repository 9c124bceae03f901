// The keys this CA certifies, as Fulcio's defaults allow: RSA 2048/3072/4096 (PKCS#1 v1.5, SHA-256), ECDSA
// P-256/SHA-256, P-384/SHA-384, P-521/SHA-512, and pure Ed25519. Anything else is refused as insecure.
// One gate, `readSpki`, serves PEM keys and CSRs alike: it refuses keys whose "signatures" need no private key (RSA
// e=1 or even e, Ed25519 points of small order) and hands back the canonical SPKI the certificate carries. An EC
// point it leaves to import (`importEcPoint`, which checks it is on the curve): on the event loop for CSRs and
// `parseClientKey`, on ca/pop-thread.ts's thread for the signing routes' keys (ca/ec-point.ts's `verifyWithEcPoint`).
import { createPublicKey, verify as nodeVerify, type KeyObject, type VerifyKeyObjectInput } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bitString, children, decodeOid, derNull, encodeOid, expectTag, parse, sequence, Tag, unsignedInteger, type Node } from '../lib/der.js';
import { FulgorError } from '../lib/errors.js';
import { parsePemBlocks } from '../lib/pem.js';
import { ecdsaEncodings, ecKeyObject, type EcCurve, type EcPointCoordinates } from './ec-point.js';

/** What the certificate and the audit line need of a checked key. */
export interface CertifiedKey {
  /** Canonical DER SubjectPublicKeyInfo, as it goes into the certificate (EC: named curve, uncompressed point). */
  readonly spki: Buffer;
  /** The hash this key's signatures must use (null for Ed25519). */
  readonly hash: 'sha256' | 'sha384' | 'sha512' | null;
  readonly description: string;
}

export interface ClientKey extends CertifiedKey {
  readonly key: KeyObject;
}

/**
 * An EC key on a named curve with an uncompressed point, read from its DER but not imported yet: the import (which
 * checks that the point is on the curve) is `importEcPoint`, here or on another thread (ca/pop-thread.ts).
 */
export interface EcPoint extends CertifiedKey, EcPointCoordinates {
  readonly hash: EcPointCoordinates['hash'];
}

const ID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';
/** Each curve's OID, hash and coordinate size in bytes. */
const EC_CURVES: Record<string, { readonly oid: string; readonly hash: EcPointCoordinates['hash']; readonly name: EcCurve; readonly size: number }> = {
  prime256v1: { oid: '1.2.840.10045.3.1.7', hash: 'sha256', name: 'P-256', size: 32 },
  secp384r1: { oid: '1.3.132.0.34', hash: 'sha384', name: 'P-384', size: 48 },
  secp521r1: { oid: '1.3.132.0.35', hash: 'sha512', name: 'P-521', size: 66 },
};
const RSA_ENCRYPTION = sequence(encodeOid('1.2.840.113549.1.1.1'), derNull());
const ED25519 = sequence(encodeOid('1.3.101.112'));
const RSA_BITS = [2048, 3072, 4096];
/** Go's crypto/rsa (cosign, policy-controller) refuses exponents above 2^31-1, so a certificate with one is useless. */
const RSA_MAX_EXPONENT = 2n ** 31n - 1n;

const insecure = (why: string) => new FulgorError('INSECURE_PUBLIC_KEY', `The public key supplied in the request is insecure: ${why}`);
const invalid = (why: string, cause?: unknown) =>
  new FulgorError('INVALID_PUBLIC_KEY', `The public key supplied in the request could not be parsed: ${why}`, { cause });
const jwkBytes = (value: string | undefined) => Buffer.from(value ?? '', 'base64url');

// The certificate's SPKI is always built from the key's numbers (as read by OpenSSL), never copied from the request:
// OpenSSL would re-export a compressed EC point compressed and explicit curve parameters explicit.

function checkRsa(key: KeyObject): ClientKey {
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (!RSA_BITS.includes(bits)) throw insecure(`RSA keys must be 2048, 3072 or 4096 bits, not ${bits}`);
  const e = key.asymmetricKeyDetails?.publicExponent ?? 0n;
  // e = 1 makes the PKCS#1 encoding of any hash its own signature; an even e is not an RSA key at all.
  if (e < 3n || e % 2n === 0n || e > RSA_MAX_EXPONENT)
    throw insecure(`the RSA public exponent must be odd, at least 3 and at most 2^31-1 (65537 is usual), not ${e}`);
  const jwk = key.export({ format: 'jwk' });
  const n = jwkBytes(jwk.n);
  if (((n[n.length - 1] ?? 0) & 1) === 0) throw insecure('the RSA modulus is even, so anyone can factor it');
  const spki = sequence(RSA_ENCRYPTION, bitString(sequence(unsignedInteger(n), unsignedInteger(jwkBytes(jwk.e)))));
  return { key, spki, hash: 'sha256', description: `RSA-${bits}` };
}

function checkEc(key: KeyObject, algorithm: readonly Node[]): ClientKey {
  const curveName = key.asymmetricKeyDetails?.namedCurve ?? 'unknown';
  const curve = EC_CURVES[curveName];
  if (!curve) throw insecure(`EC curve ${curveName} is not one of P-256, P-384, P-521`);
  const [type, params] = algorithm;
  if (type?.tag !== Tag.OID || decodeOid(type.content) !== ID_EC_PUBLIC_KEY)
    throw invalid('EC keys must have the algorithm id-ecPublicKey');
  if (params?.tag !== Tag.OID || decodeOid(params.content) !== curve.oid)
    throw invalid(`EC keys must name their curve (${curve.name}) by OID; explicit curve parameters are not accepted`);
  // Compressed points are accepted; the certificate carries the uncompressed one (04 || x || y), as Go clients need.
  const jwk = key.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([4]), jwkBytes(jwk.x), jwkBytes(jwk.y)]);
  const spki = sequence(sequence(encodeOid(ID_EC_PUBLIC_KEY), encodeOid(curve.oid)), bitString(point));
  return { key, spki, hash: curve.hash, description: `ECDSA ${curve.name}` };
}

function checkEd25519(key: KeyObject): ClientKey {
  const encoded = jwkBytes(key.export({ format: 'jwk' }).x);
  let point;
  let canonical = true;
  try {
    point = ed25519.Point.fromBytes(encoded, false); // RFC 8032 decoding: y < p, and x = 0 only with sign 0
  } catch {
    canonical = false;
    try {
      point = ed25519.Point.fromBytes(encoded, true); // lenient, so non-canonical small-order encodings are named as such
    } catch (e) {
      throw invalid('the Ed25519 public key is not a point on the curve', e);
    }
  }
  // A point P with [8]P = identity (the identity itself among them) verifies forged signatures such as R = identity, S = 0.
  if (point.isSmallOrder()) throw insecure('the Ed25519 public key is a point of small order, which verifies signatures made without any private key');
  if (!canonical) throw invalid('the Ed25519 public key is not canonically encoded');
  return { key, spki: sequence(ED25519, bitString(encoded)), hash: null, description: 'Ed25519' };
}

/** Checks a parsed key; `algorithm` is the submitted AlgorithmIdentifier's fields (none for a PKCS#1 RSA key). */
function checkClientKey(key: KeyObject, algorithm: readonly Node[]): ClientKey {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return checkRsa(key);
    case 'ec':
      return checkEc(key, algorithm);
    case 'ed25519':
      return checkEd25519(key);
    default:
      throw insecure(`${key.asymmetricKeyType ?? 'unknown'} keys are not accepted`);
  }
}

/** Each curve's AlgorithmIdentifier as strict DER, so a submitted one is recognised by its bytes. */
const EC_ALGORITHMS = Object.values(EC_CURVES).map((curve) => ({ curve, der: sequence(encodeOid(ID_EC_PUBLIC_KEY), encodeOid(curve.oid)) }));

/**
 * The common case, an EC key on a named curve with an uncompressed point of its curve's size, read from its
 * coordinates: OpenSSL 3 imports a point (JWK or raw) in about half the time it decodes the same key from DER (the
 * largest part of a request's key cost), and the strict-DER submission is then byte for byte the canonical SPKI.
 * Anything else (null) takes the general path, where OpenSSL's DER decoder refuses a point of another length.
 */
function ecPointOf(spki: Buffer, fields: readonly Node[]): EcPoint | null {
  const [algorithm, bits] = fields;
  if (fields.length !== 2 || algorithm === undefined || bits?.tag !== Tag.BIT_STRING) return null;
  const curve = EC_ALGORITHMS.find((a) => a.der.equals(algorithm.raw))?.curve;
  if (curve === undefined) return null;
  const point = bits.content.subarray(1);
  const size = curve.size;
  if (bits.content[0] !== 0 || point[0] !== 4 || point.length !== 1 + 2 * size) return null;
  return {
    spki: Buffer.from(spki),
    hash: curve.hash,
    description: `ECDSA ${curve.name}`,
    curve: curve.name,
    x: point.subarray(1, 1 + size).toString('base64url'),
    y: point.subarray(1 + size).toString('base64url'),
  };
}

/** Imports a point read by `readClientKey`; the import checks that it is on its curve (else INVALID_PUBLIC_KEY). */
export function importEcPoint(p: EcPoint): ClientKey {
  let key: KeyObject;
  try {
    key = ecKeyObject(p);
  } catch (e) {
    throw invalid(`the point is not on ${p.curve}`, e);
  }
  return { key, spki: p.spki, hash: p.hash, description: p.description };
}

/** A DER SubjectPublicKeyInfo, read: an EC point still to import, or any other key imported and checked. */
function readSpki(spki: Buffer): { point: EcPoint } | { key: ClientKey } {
  let fields: Node[];
  let algorithm: Node[];
  try {
    fields = children(parse(spki));
    algorithm = children(expectTag(fields[0], Tag.SEQUENCE, 'AlgorithmIdentifier'));
  } catch (e) {
    throw invalid('not a strict-DER SubjectPublicKeyInfo', e);
  }
  const point = ecPointOf(spki, fields);
  if (point !== null) return { point };
  let key: KeyObject;
  try {
    key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } catch (e) {
    throw invalid('not a strict-DER SubjectPublicKeyInfo', e);
  }
  return { key: checkClientKey(key, algorithm) };
}

/** The one gate for a DER SubjectPublicKeyInfo, from a PEM `PUBLIC KEY`, raw DER, or a CSR. */
export function clientKeyFromSpki(spki: Buffer): ClientKey {
  const read = readSpki(spki);
  return 'key' in read ? read.key : importEcPoint(read.point);
}

/**
 * A PEM public key (SPKI `PUBLIC KEY` or PKCS#1 `RSA PUBLIC KEY`), or, as Fulcio falls back, DER SPKI bytes, read:
 * an EC point still to import (`importEcPoint`), or any other key imported and checked. Malformed input throws here.
 */
export function readClientKey(content: string | Buffer): { point: EcPoint } | { key: ClientKey } {
  if (content.length === 0) throw new FulgorError('MISSING_PUBLIC_KEY', 'The public key supplied in the request could not be parsed: it is empty');
  const text = Buffer.isBuffer(content) ? content.toString('latin1') : content;
  if (!text.includes('-----BEGIN')) return readSpki(Buffer.isBuffer(content) ? content : Buffer.from(content, 'latin1'));
  let block;
  try {
    block = parsePemBlocks(text)[0];
  } catch (e) {
    throw invalid('malformed PEM', e);
  }
  if (block?.label === 'PUBLIC KEY') return readSpki(block.der);
  if (block?.label !== 'RSA PUBLIC KEY') throw invalid('expected a PEM PUBLIC KEY or RSA PUBLIC KEY');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: block.der, format: 'der', type: 'pkcs1' });
  } catch (e) {
    throw invalid('not a DER RSAPublicKey', e);
  }
  return { key: checkClientKey(key, []) };
}

/** The same, imported and checked. */
export function parseClientKey(content: string | Buffer): ClientKey {
  const read = readClientKey(content);
  return 'key' in read ? read.key : importEcPoint(read.point);
}

/** One verification on libuv's thread pool, so the event loop does not wait for it; false for any error. */
function verifyOffThread(hash: ClientKey['hash'], message: Buffer, key: KeyObject | VerifyKeyObjectInput, signature: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      nodeVerify(hash, message, key, signature, (err, ok) => resolve(err === null && ok));
    } catch {
      resolve(false);
    }
  });
}

/**
 * Verifies `signature` over `message` with the key's own scheme, on libuv's thread pool (a client key's signature is
 * the dearest check a request makes on the CA's event loop). ECDSA signatures may be DER or raw r||s.
 */
export async function verifyWithClientKey(k: ClientKey, message: Buffer, signature: Buffer): Promise<boolean> {
  if (k.key.asymmetricKeyType !== 'ec') return verifyOffThread(k.hash, message, k.key, signature);
  for (const dsaEncoding of ecdsaEncodings(signature)) if (await verifyOffThread(k.hash, message, { key: k.key, dsaEncoding }, signature)) return true;
  return false;
}
