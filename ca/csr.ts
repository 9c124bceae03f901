// PKCS#10 requests: only the key and the self-signature matter (subject and attributes are ignored, as in Fulcio).
import { verify as nodeVerify } from 'node:crypto';
import { children, decodeOid, parse, Tag } from '../lib/der.js';
import { FulgorError } from '../lib/errors.js';
import { parsePemBlocks } from '../lib/pem.js';
import { clientKeyFromSpki, type ClientKey } from './client-key.js';

const SIGNATURE_HASH: Record<string, 'sha256' | 'sha384' | 'sha512' | null> = {
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.3.101.112': null,
};

const unparsable = (why: string, cause?: unknown) =>
  new FulgorError('INVALID_CSR', `The certificate signing request could not be parsed: ${why}`, { cause });

/** `pemText` is the PEM of a CERTIFICATE REQUEST (v2 sends it base64-encoded; the caller decodes that layer). */
export function checkCsr(pemText: string): ClientKey {
  let der: Buffer;
  try {
    const block = parsePemBlocks(pemText)[0];
    if (!block || !['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'].includes(block.label))
      throw unparsable('expected a PEM CERTIFICATE REQUEST');
    der = block.der;
  } catch (e) {
    throw e instanceof FulgorError ? e : unparsable('malformed PEM', e);
  }
  let info, algOid: string, signature: Buffer, spkiDer: Buffer;
  try {
    const [i, alg, sig] = children(parse(der));
    if (!i || !alg || sig?.tag !== Tag.BIT_STRING) throw new Error('not a CertificationRequest');
    info = i;
    algOid = decodeOid(children(alg)[0]?.content ?? Buffer.alloc(0));
    signature = sig.content.subarray(1);
    const spki = children(info)[2];
    if (!spki) throw new Error('no public key');
    spkiDer = spki.raw;
  } catch (e) {
    throw unparsable('malformed DER', e);
  }
  const client = clientKeyFromSpki(spkiDer);
  if (!(algOid in SIGNATURE_HASH))
    throw new FulgorError('UNSUPPORTED_SIGNATURE_ALGORITHM', `unrecognized signature algorithm: ${algOid}`);
  const hash = SIGNATURE_HASH[algOid] ?? null;
  let ok: boolean;
  try {
    ok = nodeVerify(hash, info.raw, { key: client.key, dsaEncoding: 'der' }, signature);
  } catch {
    ok = false;
  }
  if (!ok) throw new FulgorError('INVALID_CSR_SIGNATURE', 'The signature supplied in the request could not be verified');
  if (hash !== client.hash)
    throw new FulgorError('UNSUPPORTED_SIGNATURE_ALGORITHM', `signing algorithm not permitted: ${client.description} with ${hash ?? 'no hash'}`);
  return client;
}
