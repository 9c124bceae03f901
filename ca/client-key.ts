// The keys this CA certifies, as Fulcio's defaults allow: RSA 2048/3072/4096 (PKCS#1 v1.5, SHA-256), ECDSA
// P-256/SHA-256, P-384/SHA-384, P-521/SHA-512, and pure Ed25519. Anything else is refused as insecure.
import { createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { FulgorError } from '../lib/errors.js';
import { parsePemBlocks } from '../lib/pem.js';

export interface ClientKey {
  readonly key: KeyObject;
  /** Canonical DER SubjectPublicKeyInfo, as it goes into the certificate. */
  readonly spki: Buffer;
  /** The hash this key's signatures must use (null for Ed25519). */
  readonly hash: 'sha256' | 'sha384' | 'sha512' | null;
  readonly description: string;
}

const EC_HASH: Record<string, ClientKey['hash']> = { prime256v1: 'sha256', secp384r1: 'sha384', secp521r1: 'sha512' };

export function checkClientKey(key: KeyObject): ClientKey {
  const insecure = (what: string) =>
    new FulgorError('INSECURE_PUBLIC_KEY', `The public key supplied in the request is insecure: ${what}`);
  const spki = key.export({ type: 'spki', format: 'der' });
  switch (key.asymmetricKeyType) {
    case 'rsa': {
      const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
      if (![2048, 3072, 4096].includes(bits)) throw insecure(`RSA keys must be 2048, 3072 or 4096 bits, not ${bits}`);
      return { key, spki, hash: 'sha256', description: `RSA-${bits}` };
    }
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve ?? 'unknown';
      const hash = EC_HASH[curve];
      if (!hash) throw insecure(`EC curve ${curve} is not one of P-256, P-384, P-521`);
      return { key, spki, hash, description: `ECDSA ${curve}` };
    }
    case 'ed25519':
      return { key, spki, hash: null, description: 'Ed25519' };
    default:
      throw insecure(`${key.asymmetricKeyType ?? 'unknown'} keys are not accepted`);
  }
}

/** A PEM public key (SPKI `PUBLIC KEY` or PKCS#1 `RSA PUBLIC KEY`), or, as Fulcio falls back, DER SPKI bytes. */
export function parseClientKey(content: string | Buffer): ClientKey {
  const unparsable = (cause?: unknown) =>
    new FulgorError('INVALID_PUBLIC_KEY', 'The public key supplied in the request could not be parsed', { cause });
  if (content.length === 0) throw new FulgorError('MISSING_PUBLIC_KEY', 'The public key supplied in the request could not be parsed: it is empty');
  let key: KeyObject;
  try {
    const text = Buffer.isBuffer(content) ? content.toString('latin1') : content;
    const block = text.includes('-----BEGIN') ? parsePemBlocks(text)[0] : undefined;
    if (block?.label === 'PUBLIC KEY') key = createPublicKey({ key: block.der, format: 'der', type: 'spki' });
    else if (block?.label === 'RSA PUBLIC KEY') key = createPublicKey({ key: block.der, format: 'der', type: 'pkcs1' });
    else if (block) throw unparsable();
    else key = createPublicKey({ key: Buffer.isBuffer(content) ? content : Buffer.from(content, 'latin1'), format: 'der', type: 'spki' });
  } catch (e) {
    throw e instanceof FulgorError ? e : unparsable(e);
  }
  return checkClientKey(key);
}

/** Verifies `signature` over `message` with the key's own scheme. ECDSA signatures may be DER or raw r||s. */
export function verifyWithClientKey(k: ClientKey, message: Buffer, signature: Buffer): boolean {
  try {
    if (k.key.asymmetricKeyType === 'ec') {
      if (nodeVerify(k.hash, message, { key: k.key, dsaEncoding: 'der' }, signature)) return true;
      return (
        signature.length % 2 === 0 &&
        signature.length <= 132 &&
        nodeVerify(k.hash, message, { key: k.key, dsaEncoding: 'ieee-p1363' }, signature)
      );
    }
    return nodeVerify(k.hash, message, k.key, signature);
  } catch {
    return false;
  }
}
