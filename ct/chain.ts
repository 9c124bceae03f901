// Submission checks of add-chain / add-pre-chain, in the spirit of ctfe's ValidateChain (ct-log.md §1.3): every
// element parses, each certificate is signed by the next, the chain ends at (or directly under) a configured root,
// poison matches the endpoint, the leaf's EKU passes the filter and the leaf is within its validity period.
import { badRequest } from './errors.js';
import {
  CODE_SIGNING_EKU,
  extendedKeyUsages,
  isPrecertificate,
  isSignedBy,
  parseCertificate,
  PRECERT_SIGNING_EKU,
  type Certificate,
} from './certificate.js';

export interface ChainPolicy {
  readonly roots: readonly Certificate[];
  /** The leaf must carry at least one of these EKUs; null accepts any leaf. Default: code signing. */
  readonly extKeyUsages?: readonly string[] | null;
  /** Allowance for a leaf whose notBefore is slightly in the future (clock skew). Default 60 s. */
  readonly notBeforeSkewMs?: number;
}

export interface ValidatedChain {
  /** The submitted certificates, plus the root when the submitter stopped just below it. */
  readonly chain: readonly Certificate[];
  readonly leaf: Certificate;
}

export type Submission = 'add-chain' | 'add-pre-chain';

export const DEFAULT_EXT_KEY_USAGES: readonly string[] = [CODE_SIGNING_EKU];

function parseAll(chainDer: readonly Buffer[]): Certificate[] {
  if (chainDer.length === 0) throw badRequest('chain is empty');
  return chainDer.map((der, i) => {
    try {
      return parseCertificate(der);
    } catch (e) {
      throw badRequest(`chain[${i}] is not a valid DER certificate: ${(e as Error).message}`, e);
    }
  });
}

const issues = (issuer: Certificate, cert: Certificate): boolean =>
  issuer.subject.equals(cert.issuer) && isSignedBy(cert, issuer.spki);

/** Checks the chain order and signatures and anchors it at a configured root (appending that root if needed). */
function anchor(certs: Certificate[], roots: readonly Certificate[]): Certificate[] {
  for (let i = 0; i + 1 < certs.length; i++) {
    if (!issues(certs[i + 1]!, certs[i]!)) throw badRequest(`chain[${i}] is not signed by chain[${i + 1}]`);
  }
  const last = certs[certs.length - 1]!;
  if (roots.some((r) => r.der.equals(last.der))) return certs;
  const root = roots.find((r) => issues(r, last));
  if (!root) throw badRequest('chain does not end at or directly below one of the accepted roots');
  return [...certs, root];
}

function checkPoison(leaf: Certificate, submission: Submission): void {
  let precert: boolean;
  try {
    precert = isPrecertificate(leaf);
  } catch (e) {
    throw badRequest((e as Error).message, e);
  }
  if (submission === 'add-chain' && precert) throw badRequest('cert / precert mismatch: add-chain got a precertificate');
  if (submission === 'add-pre-chain' && !precert)
    throw badRequest('cert / precert mismatch: add-pre-chain needs a precertificate with the poison extension');
}

function ekusOf(cert: Certificate, what: string): string[] | null {
  try {
    return extendedKeyUsages(cert);
  } catch (e) {
    throw badRequest(`malformed extended key usage extension in the ${what}: ${(e as Error).message}`, e);
  }
}

function checkEku(leaf: Certificate, wanted: readonly string[] | null): void {
  if (wanted === null || wanted.length === 0) return;
  if (!ekusOf(leaf, 'leaf')?.some((eku) => wanted.includes(eku)))
    throw badRequest(`leaf certificate lacks an accepted extended key usage (${wanted.join(', ')})`);
}

function checkValidity(leaf: Certificate, now: Date, skewMs: number): void {
  if (now.getTime() > leaf.notAfter.getTime())
    throw badRequest(`leaf certificate expired at ${leaf.notAfter.toISOString()}`);
  if (now.getTime() < leaf.notBefore.getTime() - skewMs)
    throw badRequest(`leaf certificate is not valid before ${leaf.notBefore.toISOString()}`);
}

/** Validates a submission; throws a 400 CtError saying what is wrong. */
export function validateChain(
  chainDer: readonly Buffer[],
  submission: Submission,
  policy: ChainPolicy,
  now: Date,
): ValidatedChain {
  const certs = parseAll(chainDer);
  const leaf = certs[0]!;
  checkValidity(leaf, now, policy.notBeforeSkewMs ?? 60_000);
  checkEku(leaf, policy.extKeyUsages === undefined ? DEFAULT_EXT_KEY_USAGES : policy.extKeyUsages);
  const chain = anchor(certs, policy.roots);
  checkPoison(leaf, submission);
  if (submission === 'add-pre-chain') {
    const issuer = chain[1];
    if (!issuer) throw badRequest('a precertificate cannot be its own root');
    if (ekusOf(issuer, 'issuer')?.includes(PRECERT_SIGNING_EKU))
      throw badRequest('precertificates issued by a Precertificate Signing Certificate are not accepted by this log');
  }
  return { chain, leaf };
}
