// Proof of possession: the requester signs the principal's name (email for email issuers, sub otherwise).
import { decodeBase64 } from '../lib/base64.js';
import { FulgorError } from '../lib/errors.js';
import { verifyWithClientKey, type ClientKey } from './client-key.js';

/** Decodes protobuf-JSON `bytes`: standard or URL-safe base64, padded or not. */
export function decodeBase64Bytes(value: string, field: string): Buffer {
  const bytes = decodeBase64(value, { form: 'protobuf' });
  if (bytes === undefined) throw new FulgorError('BAD_REQUEST', `${field} is not valid base64`);
  return bytes;
}

export async function checkProofOfPossession(key: ClientKey, name: string, proof: Buffer): Promise<void> {
  if (proof.length === 0 || !(await verifyWithClientKey(key, Buffer.from(name, 'utf8'), proof)))
    throw new FulgorError(
      'INVALID_PROOF_OF_POSSESSION',
      'The signature supplied in the request could not be verified: the proof of possession must be a signature over the token subject with the requested key',
    );
}
