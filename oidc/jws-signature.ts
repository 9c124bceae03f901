// The JWS signature check of identity tokens: node:crypto's one-shot `verify` against a KeyObject kept per key.
// jose finds the key (oidc/discovery.ts, oidc/static-jwks.ts: kid, kty, crv, alg, use, refetch on an unknown kid)
// and hands back a CryptoKey it imported for the token's alg; jose's own verify would then call WebCrypto's
// subtle.verify, which runs as a libuv thread-pool job per token and costs several times the synchronous verify of
// an already-parsed KeyObject. The KeyObject is made once per CryptoKey (a WeakMap: a reloaded key set brings new
// CryptoKeys and the old entries go with them). Each algorithm names the key type (and curve) it needs, so a key
// jose's lookup should never have returned for the alg is still refused here, not used with another scheme.
import { constants, createPublicKey, KeyObject, verify, type JsonWebKey, type webcrypto } from 'node:crypto';

interface JwsAlgorithm {
  /** node:crypto's digest; null for EdDSA, which hashes inside the scheme. */
  readonly hash: 'sha256' | 'sha384' | 'sha512' | null;
  readonly keyType: 'rsa' | 'ec' | 'ed25519';
  /** For ECDSA: the curve as node:crypto names it (`asymmetricKeyDetails.namedCurve`). */
  readonly curve?: string;
  /** RSASSA-PSS with MGF1 over `hash` and a salt as long as the hash (RFC 7518 §3.5), instead of PKCS #1 v1.5. */
  readonly pssSaltLength?: number;
  /** The exact signature length: ECDSA's raw r||s (RFC 7518 §3.4, not DER) and Ed25519's. */
  readonly signatureBytes?: number;
}

const rsa = (hash: 'sha256' | 'sha384' | 'sha512', pssSaltLength?: number): JwsAlgorithm => ({ hash, keyType: 'rsa', ...(pssSaltLength ? { pssSaltLength } : {}) });
const ecdsa = (hash: 'sha256' | 'sha384' | 'sha512', curve: string, fieldBytes: number): JwsAlgorithm => ({ hash, keyType: 'ec', curve, signatureBytes: 2 * fieldBytes });

/** Fulcio's token algorithms (oidc/discovery.ts SUPPORTED_TOKEN_ALGORITHMS); nothing else is ever verified here. */
const ALGORITHMS: ReadonlyMap<string, JwsAlgorithm> = new Map([
  ['RS256', rsa('sha256')],
  ['RS384', rsa('sha384')],
  ['RS512', rsa('sha512')],
  ['PS256', rsa('sha256', 32)],
  ['PS384', rsa('sha384', 48)],
  ['PS512', rsa('sha512', 64)],
  ['ES256', ecdsa('sha256', 'prime256v1', 32)],
  ['ES384', ecdsa('sha384', 'secp384r1', 48)],
  ['ES512', ecdsa('sha512', 'secp521r1', 66)],
  ['EdDSA', { hash: null, keyType: 'ed25519', signatureBytes: 64 }],
]);

/** RSA keys under this many bits are refused for every RS and PS algorithm, as jose refuses them (RFC 7518 §3.3). */
const MIN_RSA_BITS = 2048;

const keyObjects = new WeakMap<object, KeyObject>();

// Node 20 has a global CryptoKey but its types do not declare one; jose recognizes CryptoKeys by this tag too.
const isCryptoKey = (key: object): key is webcrypto.CryptoKey => (key as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === 'CryptoKey';

/** The KeyObject for what a jose key lookup returns (a CryptoKey; a KeyObject or public JWK are taken too), made once per key. */
function keyObjectOf(key: unknown): KeyObject {
  if (key instanceof KeyObject) return key;
  if (typeof key !== 'object' || key === null || key instanceof Uint8Array) throw new TypeError('the key for a token signature must be a public key');
  let k = keyObjects.get(key);
  if (!k) {
    k = isCryptoKey(key) ? KeyObject.from(key) : createPublicKey({ key: key as JsonWebKey, format: 'jwk' });
    keyObjects.set(key, k);
  }
  return k;
}

/**
 * Whether `signature` is `alg`'s signature over `signingInput` (the token's ASCII `header.payload`) by `key`.
 * False for any signature that does not verify, including one of the wrong length or encoding (a DER ECDSA
 * signature is not a JWS one). Throws a TypeError when the key cannot be used with `alg` at all (not public, another
 * key type or curve, an RSA modulus under 2048 bits): that is the key set's fault, not the token's.
 */
export function verifyJwsSignature(alg: string, key: unknown, signingInput: Buffer, signature: Uint8Array): boolean {
  const a = ALGORITHMS.get(alg);
  if (!a) throw new TypeError(`${JSON.stringify(alg)} is not a supported token algorithm`);
  const k = keyObjectOf(key);
  if (k.type !== 'public') throw new TypeError(`the key for ${alg} must be a public key, not ${k.type}`);
  if (k.asymmetricKeyType !== a.keyType) throw new TypeError(`the key for ${alg} must be ${a.keyType}, not ${k.asymmetricKeyType}`);
  const details = k.asymmetricKeyDetails ?? {};
  if (a.curve !== undefined && details.namedCurve !== a.curve) throw new TypeError(`the key for ${alg} must be on ${a.curve}, not ${details.namedCurve}`);
  if (a.keyType === 'rsa' && !((details.modulusLength ?? 0) >= MIN_RSA_BITS)) throw new TypeError(`${alg} requires an RSA key of at least ${MIN_RSA_BITS} bits`);
  if (a.signatureBytes !== undefined && signature.length !== a.signatureBytes) return false;
  // RFC 8017 §8.1.2 and Go's crypto/rsa: exactly the modulus's length. OpenSSL checks this for PKCS #1 v1.5 but not
  // for PSS, where it reads a shorter signature as the same integer: one with its leading zero byte dropped (1 in 256)
  // would verify.
  if (a.keyType === 'rsa' && signature.length !== Math.ceil((details.modulusLength ?? 0) / 8)) return false;
  try {
    if (a.pssSaltLength !== undefined)
      return verify(a.hash, signingInput, { key: k, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: a.pssSaltLength }, signature);
    if (a.keyType === 'ec') return verify(a.hash, signingInput, { key: k, dsaEncoding: 'ieee-p1363' }, signature);
    return verify(a.hash, signingInput, k, signature);
  } catch {
    // OpenSSL refuses some malformed signatures outright (e.g. an RSA signature longer than the modulus).
    return false;
  }
}
