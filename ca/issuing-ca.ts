// The configured CA chain, checked at start: every certificate is signed by the next and the last by itself (the
// root), every one is a CA whose pathLenConstraint allows the CAs below it, and the issuing CA (the first) carries
// what issuance needs (ISSUING_CA_RULES). Each failure is an IssuingCaError naming the rule and the certificate.
import { createPublicKey, X509Certificate } from 'node:crypto';
import { expectTag, parse, Tag } from '../lib/der.js';
import { basicConstraints, extendedKeyUsages, findExtension, KEY_CERT_SIGN, keyUsageBits, parseCertificate, type Certificate } from '../lib/x509.js';
import type { Signer } from '../lib/signer.js';
import { OID } from './oids.js';

export interface IssuingCa {
  /** [issuing CA, ..., root], DER. */
  readonly chain: readonly Buffer[];
  /** The issuing CA's subject Name, byte for byte (becomes the leaf's issuer). */
  readonly subject: Buffer;
  /** The issuing CA's subject key identifier (becomes the leaf's AKI). */
  readonly keyId: Buffer;
  readonly signer: Signer;
}

/** What the issuing CA certificate must contain (README "Production keys": the intermediate profile). */
export const ISSUING_CA_RULES = {
  chain: 'each certificate is signed by the next, the last by itself (the root)',
  ca: 'basicConstraints cA=TRUE (RFC 5280 4.2.1.9)',
  pathLen: 'pathLenConstraint leaves room for the CA certificates below it (RFC 5280 4.2.1.9)',
  keyCertSign: 'keyUsage present with keyCertSign (RFC 5280 4.2.1.3)',
  codeSigning: 'extendedKeyUsage, when present, includes codeSigning (verifiers nest EKUs down the chain)',
  ski: 'subjectKeyIdentifier present (it becomes every leaf\'s authorityKeyIdentifier)',
  validity: 'valid now (notBefore <= now <= notAfter)',
  keyMatch: 'the signing key is the issuing certificate\'s key',
} as const;

export type IssuingCaRule = keyof typeof ISSUING_CA_RULES;

export class IssuingCaError extends Error {
  override readonly name = 'IssuingCaError';
  constructor(
    readonly rule: IssuingCaRule,
    message: string,
  ) {
    super(`${message} (rule "${rule}": ${ISSUING_CA_RULES[rule]})`);
  }
}

function subjectKeyId(cert: Certificate): Buffer | undefined {
  const ext = findExtension(cert, OID.subjectKeyIdentifier);
  return ext ? expectTag(parse(ext.value), Tag.OCTET_STRING, 'SubjectKeyIdentifier').content : undefined;
}

const oneLine = (name: string) => name.replace(/\n/g, ', ');

export interface IssuingCaOptions {
  /** When the issuing CA must be valid (default: now). */
  readonly now?: Date;
}

export function createIssuingCa(chain: readonly Buffer[], signer: Signer, options: IssuingCaOptions = {}): IssuingCa {
  if (chain.length === 0) throw new Error('the CA chain is empty');
  const certs = chain.map((der) => new X509Certificate(der));
  const parsed = chain.map((der) => parseCertificate(der));
  const what = (i: number) =>
    `${i === 0 ? 'the issuing CA certificate' : i === certs.length - 1 ? 'the root certificate' : `CA chain certificate ${i}`} (${oneLine(certs[i]!.subject)})`;
  certs.forEach((cert, i) => {
    const issuer = certs[i + 1] ?? cert;
    if (!cert.verify(issuer.publicKey))
      throw new IssuingCaError('chain', `CA chain certificate ${i} (${oneLine(cert.subject)}) is not signed by ${i + 1 < certs.length ? `the next one (${oneLine(issuer.subject)})` : 'itself: the last certificate must be the root'}`);
    const bc = basicConstraints(parsed[i]!);
    if (!bc?.ca) throw new IssuingCaError('ca', `${what(i)} is not a CA`);
    // Certificate i has i CA certificates below it in this chain (the leaf is not counted).
    if (bc.pathLen !== undefined && i - 1 > bc.pathLen)
      throw new IssuingCaError('pathLen', `${what(i)} allows ${bc.pathLen} CA certificate(s) below it, the chain has ${i - 1}`);
  });
  const issuing = parsed[0]!;
  const first = what(0);
  if (!keyUsageBits(issuing)?.has(KEY_CERT_SIGN)) throw new IssuingCaError('keyCertSign', `${first} has no keyUsage keyCertSign`);
  const ekus = extendedKeyUsages(issuing);
  if (ekus && !ekus.includes(OID.codeSigning)) throw new IssuingCaError('codeSigning', `${first} has an extendedKeyUsage without codeSigning`);
  const keyId = subjectKeyId(issuing);
  if (!keyId) throw new IssuingCaError('ski', `${first} has no subjectKeyIdentifier`);
  const now = options.now ?? new Date();
  if (now < issuing.notBefore || now > issuing.notAfter)
    throw new IssuingCaError('validity', `${first} is valid from ${issuing.notBefore.toISOString()} to ${issuing.notAfter.toISOString()}, not now (${now.toISOString()})`);
  // Both sides re-encoded by node:crypto, so an equal key in another valid encoding still matches.
  const certKey = certs[0]!.publicKey.export({ type: 'spki', format: 'der' });
  const signerKey = createPublicKey({ key: signer.spki, format: 'der', type: 'spki' }).export({ type: 'spki', format: 'der' });
  if (!certKey.equals(signerKey)) throw new IssuingCaError('keyMatch', `the CA signing key does not match ${first}`);
  return { chain, subject: issuing.subject, keyId, signer };
}
