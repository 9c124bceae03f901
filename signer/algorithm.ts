// The key algorithms Fulgor creates (`ca init --algorithm`), and the facts each backend needs about them.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { KeyError } from './errors.js';

export const KEY_ALGORITHMS = ['ecdsa-p256', 'ecdsa-p384', 'rsa-3072', 'rsa-4096'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

export type AlgorithmSpec =
  | { readonly kind: 'ec'; readonly nodeCurve: 'prime256v1' | 'secp384r1'; readonly curveOid: string }
  | { readonly kind: 'rsa'; readonly bits: 3072 | 4096 };

const SPECS: Record<KeyAlgorithm, AlgorithmSpec> = {
  'ecdsa-p256': { kind: 'ec', nodeCurve: 'prime256v1', curveOid: '1.2.840.10045.3.1.7' },
  'ecdsa-p384': { kind: 'ec', nodeCurve: 'secp384r1', curveOid: '1.3.132.0.34' },
  'rsa-3072': { kind: 'rsa', bits: 3072 },
  'rsa-4096': { kind: 'rsa', bits: 4096 },
};

export function parseKeyAlgorithm(name: string): KeyAlgorithm {
  if ((KEY_ALGORITHMS as readonly string[]).includes(name)) return name as KeyAlgorithm;
  throw new KeyError(`unknown key algorithm ${JSON.stringify(name)} (one of ${KEY_ALGORITHMS.join(', ')})`);
}

export const algorithmSpec = (algorithm: KeyAlgorithm): AlgorithmSpec => SPECS[algorithm];

/** A new private key in process memory (for keys kept in files). */
export function generateSoftwareKey(algorithm: KeyAlgorithm): KeyObject {
  const spec = SPECS[algorithm];
  return spec.kind === 'ec'
    ? generateKeyPairSync('ec', { namedCurve: spec.nodeCurve }).privateKey
    : generateKeyPairSync('rsa', { modulusLength: spec.bits, publicExponent: 65537 }).privateKey;
}
