// Trust material verifiers need: the sigstore trusted root (v0.1, camelCase, as @sigstore/verify and cosign read
// it) with our CA chain, CT log key and, when there is one, the timestamp authority's chain.
import { X509Certificate } from 'node:crypto';
import { logIdFor } from '../ct/index.js';

export interface TimestampAuthorityInput {
  /** [TSA signing certificate, intermediates..., root], DER. */
  readonly chain: readonly Buffer[];
  /** The full timestamp URL. */
  readonly url: string;
}

/** An issuing CA that stopped issuing (`fulgor ca rotate`): trusted for certificates issued until its end. */
export interface RetiredCaInput {
  /** [issuing CA, ..., root], DER. */
  readonly chain: readonly Buffer[];
  readonly retiredAt: Date;
}

export interface TrustedRootInput {
  /** [issuing CA, ..., root], DER: the active issuing CA. */
  readonly caChain: readonly Buffer[];
  /** Retired issuing CAs; each is listed with validFor.end = retiredAt + the longest certificate lifetime. */
  readonly retiredCas?: readonly RetiredCaInput[];
  /** The longest certificate lifetime (ms), for the retired CAs' validFor.end. */
  readonly certificateLifetimeMs?: number;
  readonly caUrl: string;
  /** The CT log's public key, DER SubjectPublicKeyInfo (ECDSA P-256). */
  readonly ctLogSpki: Buffer;
  readonly ctLogUrl: string;
  /** Start of validity for the active CA and the log; default: the issuing CA's notBefore (the log: the oldest root's). */
  readonly validFrom?: Date;
  readonly timestampAuthority?: TimestampAuthorityInput;
}

const b64 = (b: Buffer) => b.toString('base64');
export const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export function subjectOf(der: Buffer): { organization?: string; commonName?: string } {
  const fields = Object.fromEntries(
    new X509Certificate(der).subject.split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  return { ...(fields['O'] ? { organization: fields['O'] } : {}), ...(fields['CN'] ? { commonName: fields['CN'] } : {}) };
}

/** A CA or TSA entry: subject, URI, chain and validity, as both lists of the trusted root spell them. */
function authority(subjectCert: Buffer, uri: string, chain: readonly Buffer[], start: string, end?: string) {
  return {
    subject: subjectOf(subjectCert),
    uri,
    certChain: { certificates: chain.map((c) => ({ rawBytes: b64(c) })) },
    validFor: end === undefined ? { start } : { start, end },
  };
}

const notBefore = (der: Buffer) => new Date(new X509Certificate(der).validFrom);

export function trustedRoot(input: TrustedRootInput) {
  const root = input.caChain[input.caChain.length - 1];
  if (!root) throw new Error('the CA chain is empty');
  const retired = input.retiredCas ?? [];
  const lifetimeMs = input.certificateLifetimeMs ?? 0;
  // The log has been trusted since the oldest root involved: SCTs on certificates of retired CAs must still verify.
  const roots = [root, ...retired.map((r) => r.chain[r.chain.length - 1]!)];
  const start = rfc3339(input.validFrom ?? new Date(Math.min(...roots.map((r) => notBefore(r).getTime()))));
  const tsa = input.timestampAuthority;
  const tsaLeaf = tsa?.chain[0];
  if (tsa && !tsaLeaf) throw new Error('the timestamp authority chain is empty');
  return {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [],
    // The active CA first, then the retired ones: each from its issuing certificate's notBefore, a retired one until
    // the last certificate it issued expires.
    certificateAuthorities: [
      authority(root, input.caUrl, input.caChain, rfc3339(input.validFrom ?? notBefore(input.caChain[0]!))),
      ...retired.map((r) =>
        authority(r.chain[r.chain.length - 1]!, input.caUrl, r.chain, rfc3339(notBefore(r.chain[0]!)), rfc3339(new Date(r.retiredAt.getTime() + lifetimeMs))),
      ),
    ],
    ctlogs: [
      {
        baseUrl: input.ctLogUrl,
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: b64(input.ctLogSpki), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
        logId: { keyId: b64(logIdFor(input.ctLogSpki)) },
      },
    ],
    // The TSA is trusted from its signing certificate's notBefore: no timestamp it made can be older.
    timestampAuthorities:
      tsa && tsaLeaf ? [authority(tsaLeaf, tsa.url, tsa.chain, rfc3339(new Date(new X509Certificate(tsaLeaf).validFrom)))] : [],
  };
}

export type TrustedRootJson = ReturnType<typeof trustedRoot>;
