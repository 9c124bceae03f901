// Public-key facts every backend needs: the signature scheme of a SubjectPublicKeyInfo, and ECDSA's two encodings.
import { createPublicKey } from 'node:crypto';
import { sequence, unsignedInteger } from '../lib/der.js';
import { schemeFor } from '../lib/signer.js';
import { KeyError } from './errors.js';

export interface SpkiScheme {
  /** node:crypto hash name for the data before signing (null: the algorithm hashes itself, Ed25519). */
  readonly hash: string | null;
  readonly algorithmIdentifier: Buffer;
  readonly keyType: 'ec' | 'rsa' | 'ed25519';
}

export function schemeForSpki(spki: Buffer, what: string): SpkiScheme {
  let key;
  try {
    key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } catch (e) {
    throw new KeyError(`${what}: its public key is not a valid SubjectPublicKeyInfo (${e instanceof Error ? e.message : String(e)})`);
  }
  try {
    return { ...schemeFor(key), keyType: key.asymmetricKeyType as SpkiScheme['keyType'] };
  } catch (e) {
    throw new KeyError(`${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** ECDSA r||s (IEEE P1363, what PKCS#11 CKM_ECDSA returns) to the DER Ecdsa-Sig-Value lib/signer.ts requires. */
export function rawEcdsaToDer(raw: Uint8Array): Buffer {
  if (raw.length === 0 || raw.length % 2 !== 0) throw new Error(`ECDSA signature of odd length ${raw.length}`);
  const half = raw.length / 2;
  return sequence(unsignedInteger(raw.subarray(0, half)), unsignedInteger(raw.subarray(half)));
}
