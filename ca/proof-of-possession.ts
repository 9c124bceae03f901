// Proof of possession: the requester signs the principal's name (email for email issuers, sub otherwise).
import { FulgorError } from '../lib/errors.js';
import { verifyWithClientKey, type ClientKey } from './client-key.js';

/** Decodes protobuf-JSON `bytes`: standard or URL-safe base64, padded or not. */
export function decodeBase64Bytes(value: string, field: string): Buffer {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) throw new FulgorError('BAD_REQUEST', `${field} is not valid base64`);
  return Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

export function checkProofOfPossession(key: ClientKey, name: string, proof: Buffer): void {
  if (proof.length === 0 || !verifyWithClientKey(key, Buffer.from(name, 'utf8'), proof))
    throw new FulgorError(
      'INVALID_PROOF_OF_POSSESSION',
      'The signature supplied in the request could not be verified: the proof of possession must be a signature over the token subject with the requested key',
    );
}
