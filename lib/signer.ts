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

/**
 * Whether one signature with this key costs more than handing it to libuv's thread pool. An ECDSA P-256 or Ed25519
 * signature takes tens of µs, less than the hop and the wake-up. A P-384 or P-521 signature takes ~0.5–2 ms and an
 * RSA one ~1 ms or more: signed on the calling thread, that is an event loop blocked for every certificate, and one
 * core used where the pool has several (DESIGN.md "Where a CA signature runs").
 */
export function signsOnPool(key: KeyObject): boolean {
  const type = key.asymmetricKeyType;
  if (type === 'ed25519') return false;
  return !(type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1');
}

/** A Signer over an in-process private key: on the calling thread, or on libuv's pool when that pays (signsOnPool). */
export function keySigner(privateKey: KeyObject): Signer {
  const scheme = schemeFor(privateKey);
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const key = { key: privateKey, dsaEncoding: 'der' } as const;
  return {
    spki,
    algorithmIdentifier: scheme.algorithmIdentifier,
    sign: signsOnPool(privateKey)
      ? (data) =>
          new Promise<Buffer>((resolve, reject) => {
            // With a callback node:crypto signs on libuv's pool, with a copy of `data`.
            nodeSign(scheme.hash, data, key, (error, signature) => (error ? reject(error) : resolve(signature)));
          })
      : async (data) => nodeSign(scheme.hash, data, key),
  };
}

export const signerFromPem = (pem: string): Signer => keySigner(createPrivateKey(pem));
