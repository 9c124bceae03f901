// Signing keys sit behind a Signer so that file keys, ephemeral keys and (later) HSMs swap freely.
import { createPrivateKey, createPublicKey, sign as nodeSign, type KeyObject } from 'node:crypto';
import { derNull, encodeOid, sequence } from './der.js';

export interface Signer {
  /** DER SubjectPublicKeyInfo of the signing key. */
  readonly spki: Buffer;
  /** DER AlgorithmIdentifier of the signatures this signer makes (goes into certificates as-is). */
  readonly algorithmIdentifier: Buffer;
  /** Signs `data` (hashing as the algorithm requires); ECDSA signatures are DER. */
  sign(data: Uint8Array): Promise<Buffer>;
}

interface Scheme {
  readonly hash: string | null;
  readonly algorithmIdentifier: Buffer;
}

/** The signature scheme a CA or log key uses: the curve's own hash for ECDSA, SHA-256 for RSA, pure Ed25519. */
export function schemeFor(key: KeyObject): Scheme {
  const type = key.asymmetricKeyType;
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return { hash: 'sha256', algorithmIdentifier: sequence(encodeOid('1.2.840.10045.4.3.2')) };
    if (curve === 'secp384r1') return { hash: 'sha384', algorithmIdentifier: sequence(encodeOid('1.2.840.10045.4.3.3')) };
    if (curve === 'secp521r1') return { hash: 'sha512', algorithmIdentifier: sequence(encodeOid('1.2.840.10045.4.3.4')) };
    throw new Error(`unsupported EC curve ${curve}`);
  }
  if (type === 'rsa')
    return { hash: 'sha256', algorithmIdentifier: sequence(encodeOid('1.2.840.113549.1.1.11'), derNull()) };
  if (type === 'ed25519') return { hash: null, algorithmIdentifier: sequence(encodeOid('1.3.101.112')) };
  throw new Error(`unsupported signing key type ${type}`);
}

/** A Signer over an in-process private key. */
export function keySigner(privateKey: KeyObject): Signer {
  const scheme = schemeFor(privateKey);
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  return {
    spki,
    algorithmIdentifier: scheme.algorithmIdentifier,
    sign: async (data) => nodeSign(scheme.hash, data, { key: privateKey, dsaEncoding: 'der' }),
  };
}

export const signerFromPem = (pem: string): Signer => keySigner(createPrivateKey(pem));
