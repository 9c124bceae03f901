// Proof of possession: the requester signs the principal's name (email for email issuers, sub otherwise).
import { decodeBase64 } from '../lib/base64.js';
import { FulgorError } from '../lib/errors.js';
import { importEcPoint, readClientKey, verifyWithClientKey, type CertifiedKey, type ClientKey } from './client-key.js';
import { verifyOnPopThread } from './pop-thread.js';

/** Decodes protobuf-JSON `bytes`: standard or URL-safe base64, padded or not. */
export function decodeBase64Bytes(value: string, field: string): Buffer {
  const bytes = decodeBase64(value, { form: 'protobuf' });
  if (bytes === undefined) throw new FulgorError('BAD_REQUEST', `${field} is not valid base64`);
  return bytes;
}

const refused = () =>
  new FulgorError(
    'INVALID_PROOF_OF_POSSESSION',
    'The signature supplied in the request could not be verified: the proof of possession must be a signature over the token subject with the requested key',
  );

export async function checkProofOfPossession(key: ClientKey, name: string, proof: Buffer): Promise<void> {
  if (proof.length === 0 || !(await verifyWithClientKey(key, Buffer.from(name, 'utf8'), proof))) throw refused();
}

/**
 * The submitted public key (PEM or DER), read and checked, with its proof of possession verified: an EC point is
 * imported and verified on ca/pop-thread.ts's thread, any other key here (its verify on libuv's pool). The errors
 * are parseClientKey's, then INVALID_PROOF_OF_POSSESSION.
 */
export async function checkKeyAndProof(content: string | Buffer, name: string, proof: Buffer): Promise<CertifiedKey> {
  const read = readClientKey(content);
  if ('key' in read) {
    await checkProofOfPossession(read.key, name, proof);
    return read.key;
  }
  const verdict = await verifyOnPopThread(read.point, name, proof);
  if (verdict === 'not-on-curve') importEcPoint(read.point); // throws its INVALID_PUBLIC_KEY
  if (verdict !== 'verified') throw refused();
  return read.point;
}
