// Submission checks of add-chain / add-pre-chain, in the spirit of ctfe's ValidateChain (ct-log.md §1.3), and
// stricter where ctfe's lax path building lets anyone holding a leaf key log what they like: the chain is bounded
// (count, size, no repeats), every element parses, each certificate is signed by the next, every certificate above
// the leaf is a currently valid CA allowed to sign certificates (basicConstraints cA, pathLenConstraint, keyUsage
// keyCertSign), the path ends at (or directly under) a configured root, poison matches the endpoint, the leaf's EKU
// passes the filter and the leaf is within its validity period. The result is the verified path, not the submission.
import { badRequest, type CtError } from './errors.js';
import {
  basicConstraints,
  CODE_SIGNING_EKU,
  extendedKeyUsages,
  isPrecertificate,
  isSignedBy,
  KEY_CERT_SIGN,
  keyUsageBits,
  parseCertificate,
  PRECERT_SIGNING_EKU,
  type Certificate,
} from './certificate.js';

export interface ChainPolicy {
  readonly roots: readonly Certificate[];
  /** The leaf must carry at least one of these EKUs; null accepts any leaf. Default: code signing. */
  readonly extKeyUsages?: readonly string[] | null;
  /** Allowance for a certificate whose notBefore is slightly in the future (clock skew). Default 60 s. */
  readonly notBeforeSkewMs?: number;
}

export interface ValidatedChain {
  /**
   * The verified path: the leaf, its issuers in submission order up to the first accepted root (appended when the
   * submitter stopped just below it). Anything submitted after that root is not part of it.
   */
  readonly chain: readonly Certificate[];
  readonly leaf: Certificate;
}

export type Submission = 'add-chain' | 'add-pre-chain';

export const DEFAULT_EXT_KEY_USAGES: readonly string[] = [CODE_SIGNING_EKU];
/** Most certificates a submission may hold (leaf, intermediates, root): real chains have three or four. */
export const MAX_CHAIN_LENGTH = 10;
/** Largest DER certificate accepted in a submission. */
export const MAX_CERTIFICATE_BYTES = 32_768;

/** Refuses an empty or over-long chain; the HTTP layer calls it before decoding anything. */
export function checkChainLength(count: number): void {
  if (count === 0) throw badRequest('chain is empty');
  if (count > MAX_CHAIN_LENGTH) throw badRequest(`chain has ${count} certificates; at most ${MAX_CHAIN_LENGTH} are accepted`);
}

function checkSizes(chainDer: readonly Buffer[]): void {
  checkChainLength(chainDer.length);
  chainDer.forEach((der, i) => {
    if (der.length > MAX_CERTIFICATE_BYTES)
      throw badRequest(`chain[${i}] is ${der.length} bytes; certificates over ${MAX_CERTIFICATE_BYTES} bytes are not accepted`);
    const first = chainDer.findIndex((other) => other.equals(der));
    if (first !== i) throw badRequest(`chain[${i}] repeats chain[${first}]`);
  });
}

function parseAll(chainDer: readonly Buffer[]): Certificate[] {
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

function read<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw badRequest(`malformed ${what}: ${(e as Error).message}`, e);
  }
}

function checkValidity(cert: Certificate, what: string, now: Date, skewMs: number): void {
  if (now.getTime() > cert.notAfter.getTime()) throw badRequest(`${what} expired at ${cert.notAfter.toISOString()}`);
  if (now.getTime() < cert.notBefore.getTime() - skewMs)
    throw badRequest(`${what} is not valid before ${cert.notBefore.toISOString()}`);
}

/**
 * An issuer at `depth` in the path (1 = the leaf's issuer) must be a CA, allowed to sign certificates, with room for
 * the depth - 1 CA certificates below it, and valid now. Name chaining plus a signature is not issuance: without
 * this, any leaf's key could "issue" certificates.
 */
function checkIssuer(cert: Certificate, what: string, depth: number, now: Date, skewMs: number): void {
  const bc = read(`basicConstraints in ${what}`, () => basicConstraints(cert));
  if (!bc?.ca) throw badRequest(`${what} is not a CA certificate (basicConstraints cA is not TRUE)`);
  if (bc.pathLen !== undefined && depth - 1 > bc.pathLen)
    throw badRequest(`${what} allows ${bc.pathLen} CA certificate(s) below it (pathLenConstraint), the chain has ${depth - 1}`);
  const usage = read(`keyUsage in ${what}`, () => keyUsageBits(cert));
  if (usage && !usage.has(KEY_CERT_SIGN)) throw badRequest(`${what} has a keyUsage without keyCertSign`);
  checkValidity(cert, what, now, skewMs);
}

/**
 * The verified path, in submission order: each certificate signed by the next, every issuer a CA, ending at the first
 * accepted root (by DER); when the submission stops below the roots, the accepted root that signed its last element is
 * appended.
 */
function verifiedPath(certs: readonly Certificate[], roots: readonly Certificate[], now: Date, skewMs: number, from = 0): Certificate[] {
  const isRoot = (c: Certificate): boolean => roots.some((r) => r.der.equals(c.der));
  const path = certs.slice(0, from + 1);
  for (let i = from; !isRoot(path[i]!); i++) {
    const cert = path[i]!;
    const submitted = certs[i + 1];
    const issuer = submitted ?? roots.find((r) => issues(r, cert));
    if (!issuer) throw badRequest('chain does not end at or directly below one of the accepted roots');
    const what = submitted ? `chain[${i + 1}]` : 'the accepted root';
    if (!issues(issuer, cert)) throw badRequest(`chain[${i}] is not signed by ${what}`);
    checkIssuer(issuer, what, i + 1, now, skewMs);
    path.push(issuer);
  }
  return path;
}

/**
 * Issuers already verified: the part of a submission above the leaf (intermediates up to the root), by its DER bytes,
 * per set of accepted roots. A CA submits the same chain above every precertificate, so its signatures, CA constraints
 * (chain[1]'s at depth 1, the only depth it can have) and parsing are checked once; only the validity periods are
 * checked again (they depend on the time), and the leaf and its signature by chain[1] every time. Only chains that
 * passed in full are kept, at most ISSUER_CACHE_LIMIT per root set.
 */
interface VerifiedIssuers {
  /** chainDer[1..], parsed. */
  readonly certs: readonly Certificate[];
  /** The verified path from chain[1] up to and including the root. */
  readonly path: readonly Certificate[];
}
const ISSUER_CACHE_LIMIT = 32;
/** Per set of roots, the verified chains above a leaf, the most recently verified last. */
const issuerCache = new WeakMap<readonly Certificate[], VerifiedIssuers[]>();
const sameIssuers = (hit: VerifiedIssuers, chainDer: readonly Buffer[]): boolean =>
  hit.certs.length === chainDer.length - 1 && hit.certs.every((c, i) => c.der.length === chainDer[i + 1]!.length) &&
  hit.certs.every((c, i) => c.der.equals(chainDer[i + 1]!));

function cachedIssuers(chainDer: readonly Buffer[], roots: readonly Certificate[], now: Date, skewMs: number): VerifiedIssuers | undefined {
  if (chainDer.length < 2) return undefined;
  // Found by comparing the submitted bytes with each kept chain, newest first (lengths first): a CA submits the same
  // one every time, so the first comparison is the hit; no key is made per submission.
  const kept = issuerCache.get(roots);
  let hit: VerifiedIssuers | undefined;
  for (let i = (kept?.length ?? 0) - 1; i >= 0 && hit === undefined; i--) if (sameIssuers(kept![i]!, chainDer)) hit = kept![i];
  if (hit === undefined) return undefined;
  try {
    hit.path.forEach((cert, i) => checkValidity(cert, `chain[${i + 1}]`, now, skewMs));
  } catch {
    return undefined; // verified again in full, so the refusal names what it names without the cache
  }
  return hit;
}

function rememberIssuers(chainDer: readonly Buffer[], roots: readonly Certificate[], certs: readonly Certificate[], path: readonly Certificate[]): void {
  if (chainDer.length < 2 || path.length < 2 || path[1] !== certs[1]) return;
  let kept = issuerCache.get(roots);
  if (kept === undefined) issuerCache.set(roots, (kept = []));
  const again = kept.findIndex((hit) => sameIssuers(hit, chainDer));
  if (again >= 0) kept.splice(again, 1);
  if (kept.length >= ISSUER_CACHE_LIMIT) kept.shift();
  kept.push({ certs: certs.slice(1), path: path.slice(1) });
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

const ekusOf = (cert: Certificate, what: string): string[] | null =>
  read(`extended key usage extension in the ${what}`, () => extendedKeyUsages(cert));

/** Whether an issuer is a Precertificate Signing Certificate, remembered per parsed issuer (cached chains reuse theirs). */
const precertSigners = new WeakMap<Certificate, boolean>();
function isPrecertSigner(issuer: Certificate): boolean {
  let known = precertSigners.get(issuer);
  if (known === undefined) precertSigners.set(issuer, (known = ekusOf(issuer, 'issuer')?.includes(PRECERT_SIGNING_EKU) ?? false));
  return known;
}

function checkEku(leaf: Certificate, wanted: readonly string[] | null): void {
  if (wanted === null || wanted.length === 0) return;
  if (!ekusOf(leaf, 'leaf')?.some((eku) => wanted.includes(eku)))
    throw badRequest(`leaf certificate lacks an accepted extended key usage (${wanted.join(', ')})`);
}

/** The refusal of a leaf that chain[1] did not sign. */
export const leafNotSigned = (): CtError => badRequest('chain[0] is not signed by chain[1]');

/** A leaf's signature by its issuer, left to the caller by validateChainButLeafSignature. */
export interface LeafSignature {
  readonly leaf: Certificate;
  /** chain[1]'s key, DER SPKI. */
  readonly issuerSpki: Buffer;
}

export interface ValidatedButLeafSignature extends ValidatedChain {
  /**
   * Set when the leaf's signature by chain[1] is still to be verified (the issuers came from the cache, the leaf's
   * issuer name matched): the chain is not valid until it is, and a failure is refused with leafNotSigned().
   */
  readonly leafSignature?: LeafSignature;
}

/** Validates a submission; throws a 400 CtError saying what is wrong. */
export const validateChain = (chainDer: readonly Buffer[], submission: Submission, policy: ChainPolicy, now: Date): ValidatedChain =>
  validate(chainDer, submission, policy, now, false);

/**
 * validateChain, but for a chain whose issuers were verified before (the cache) the leaf's own signature is left to
 * the caller (ct/log.ts verifies it on a thread of its own): everything else is checked, in the same order.
 */
export const validateChainButLeafSignature = (
  chainDer: readonly Buffer[],
  submission: Submission,
  policy: ChainPolicy,
  now: Date,
): ValidatedButLeafSignature => validate(chainDer, submission, policy, now, true);

function validate(
  chainDer: readonly Buffer[],
  submission: Submission,
  policy: ChainPolicy,
  now: Date,
  leaveLeafSignature: boolean,
): ValidatedButLeafSignature {
  checkSizes(chainDer);
  const skewMs = policy.notBeforeSkewMs ?? 60_000;
  const cached = cachedIssuers(chainDer, policy.roots, now, skewMs);
  const certs = cached ? undefined : parseAll(chainDer);
  const leaf = certs ? certs[0]! : parseAll(chainDer.slice(0, 1))[0]!;
  checkValidity(leaf, 'leaf certificate', now, skewMs);
  checkEku(leaf, policy.extKeyUsages === undefined ? DEFAULT_EXT_KEY_USAGES : policy.extKeyUsages);
  let chain: Certificate[];
  let leafSignature: LeafSignature | undefined;
  if (cached) {
    // The leaf's own step: signed by chain[1], whose right to issue it was checked with the cached chain.
    const issuer = cached.certs[0]!;
    if (!issuer.subject.equals(leaf.issuer)) throw leafNotSigned();
    if (leaveLeafSignature) leafSignature = { leaf, issuerSpki: issuer.spki };
    else if (!isSignedBy(leaf, issuer.spki)) throw leafNotSigned();
    chain = [leaf, ...cached.path];
  } else {
    chain = verifiedPath(certs!, policy.roots, now, skewMs);
    rememberIssuers(chainDer, policy.roots, certs!, chain);
  }
  checkPoison(leaf, submission);
  if (submission === 'add-pre-chain') {
    const issuer = chain[1];
    if (!issuer) throw badRequest('a precertificate cannot be its own root');
    if (isPrecertSigner(issuer))
      throw badRequest('precertificates issued by a Precertificate Signing Certificate are not accepted by this log');
  }
  return leafSignature ? { chain, leaf, leafSignature } : { chain, leaf };
}
