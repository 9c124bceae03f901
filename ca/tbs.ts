// TBSCertificate and Certificate assembly from already-encoded parts.
import { encode, explicit, pending, pendingBitString, sequence, smallInteger, Tag, time, tlv } from '../lib/der.js';
import { FulgorError } from '../lib/errors.js';
import type { Signer } from '../lib/signer.js';

export interface TbsParts {
  readonly serial: Buffer; // DER INTEGER
  readonly signatureAlgorithm: Buffer; // DER AlgorithmIdentifier
  readonly issuer: Buffer; // DER Name, byte-for-byte the issuing CA's subject
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly subject: Buffer; // DER Name
  readonly spki: Buffer; // DER SubjectPublicKeyInfo
  readonly extensions: readonly Buffer[]; // DER Extension each, in order
}

/** version [0] EXPLICIT INTEGER 2 (v3). */
const VERSION_3 = explicit(0, smallInteger(2));

/** The TBSCertificate's fields before the extensions (version to subjectPublicKeyInfo), encoded one after another. */
export function encodeTbsHead(p: Omit<TbsParts, 'extensions'>): Buffer {
  return Buffer.concat([VERSION_3, p.serial, p.signatureAlgorithm, p.issuer, sequence(time(p.notBefore), time(p.notAfter)), p.subject, p.spki]);
}

/** A TBSCertificate from its encoded head (encodeTbsHead) and its extensions, each already DER: one allocation. */
export function tbsWith(head: Uint8Array, extensions: readonly Uint8Array[]): Buffer {
  return encode(pending(Tag.SEQUENCE, [head, pending(0xa3, [pending(Tag.SEQUENCE, extensions)])]));
}

export const encodeTbs = (p: TbsParts): Buffer => tbsWith(encodeTbsHead(p), p.extensions);

/** A signer that fails (a key it cannot use, a closed HSM session) is SIGNING_FAILED: our fault, its cause logged only. */
export async function signTbs(tbs: Buffer, signer: Signer): Promise<Buffer> {
  let signature: Buffer;
  try {
    signature = await signer.sign(tbs);
  } catch (e) {
    throw new FulgorError('SIGNING_FAILED', 'the CA could not sign the certificate', { cause: e });
  }
  return encode(pending(Tag.SEQUENCE, [tbs, signer.algorithmIdentifier, pendingBitString(signature)]));
}

export const EMPTY_NAME = tlv(0x30, Buffer.alloc(0));
