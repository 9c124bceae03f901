// An EC public key given by its curve and coordinates, and a signature checked with it: all that the proof-of-possession
// thread (ca/pop-thread.ts) runs. It needs node:crypto only, so the thread boots without the rest of ca/client-key.ts
// (its DER reader, its Ed25519 checks).
import { createPublicKey, KeyObject, verify as nodeVerify, webcrypto } from 'node:crypto';

export type EcCurve = 'P-256' | 'P-384' | 'P-521';

/** A point on a named curve, its coordinates base64url as a JWK carries them, and the hash its signatures use. */
export interface EcPointCoordinates {
  readonly curve: EcCurve;
  readonly x: string;
  readonly y: string;
  readonly hash: 'sha256' | 'sha384' | 'sha512';
}

/** What checking a signature by a point not yet imported found. */
export type PointVerdict = 'verified' | 'refused' | 'not-on-curve';

/** OpenSSL's import of the point, which checks that it is on its curve (throws if not). */
export const ecKeyObject = (p: EcPointCoordinates): KeyObject => createPublicKey({ key: { kty: 'EC', crv: p.curve, x: p.x, y: p.y }, format: 'jwk' });

/** The encodings an ECDSA signature of this length may be in, to try in order: DER, then raw r||s. */
export function ecdsaEncodings(signature: Buffer): ('der' | 'ieee-p1363')[] {
  return signature.length % 2 === 0 && signature.length <= 132 ? ['der', 'ieee-p1363'] : ['der'];
}

/**
 * The point imported in WebCrypto's raw form (04 || x || y), for a verify: OpenSSL decodes it with its coordinates
 * below the field's prime and on the curve, all a point on these prime-order curves must pass. Measured against
 * `ecKeyObject` (a JWK import, which also runs OpenSSL's whole key check), import and verify together: 140–150
 * against 170–190 µs per key (2026-12-06, DESIGN.md "Which signatures run off the CA's event loop"). Rejects if the
 * point is not on the curve.
 */
async function verifyingKey(p: EcPointCoordinates): Promise<KeyObject> {
  const raw = Buffer.concat([Buffer.of(4), Buffer.from(p.x, 'base64url'), Buffer.from(p.y, 'base64url')]);
  return KeyObject.from(await webcrypto.subtle.importKey('raw', raw, { name: 'ECDSA', namedCurve: p.curve }, false, ['verify']));
}

/** Imports the point and verifies `signature` over `message` with it, in this thread (ca/pop-thread.ts runs it on its own). */
export async function verifyWithEcPoint(p: EcPointCoordinates, message: Buffer, signature: Buffer): Promise<PointVerdict> {
  let key: KeyObject;
  try {
    key = await verifyingKey(p);
  } catch {
    return 'not-on-curve';
  }
  for (const dsaEncoding of ecdsaEncodings(signature)) {
    try {
      if (nodeVerify(p.hash, message, { key, dsaEncoding }, signature)) return 'verified';
    } catch {
      // a signature that is not in this encoding
    }
  }
  return 'refused';
}
