// Trust material verifiers need: the sigstore trusted root (v0.1, camelCase, as @sigstore/verify and cosign read
// it) with our CA chain and CT log key, the CT log key as PEM, and the CA chain as PEM.
import { X509Certificate } from 'node:crypto';
import { logIdFor } from '../ct/index.js';

export interface TrustedRootInput {
  /** [issuing CA, ..., root], DER. */
  readonly caChain: readonly Buffer[];
  readonly caUrl: string;
  /** The CT log's public key, DER SubjectPublicKeyInfo (ECDSA P-256). */
  readonly ctLogSpki: Buffer;
  readonly ctLogUrl: string;
  /** Start of validity for the CA and log entries; defaults to the root's notBefore. */
  readonly validFrom?: Date;
}

const b64 = (b: Buffer) => b.toString('base64');
const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

function subjectOf(der: Buffer): { organization?: string; commonName?: string } {
  const fields = Object.fromEntries(
    new X509Certificate(der).subject.split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  return { ...(fields['O'] ? { organization: fields['O'] } : {}), ...(fields['CN'] ? { commonName: fields['CN'] } : {}) };
}

export function trustedRoot(input: TrustedRootInput) {
  const root = input.caChain[input.caChain.length - 1];
  if (!root) throw new Error('the CA chain is empty');
  const start = rfc3339(input.validFrom ?? new Date(new X509Certificate(root).validFrom));
  return {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [],
    certificateAuthorities: [
      {
        subject: subjectOf(root),
        uri: input.caUrl,
        certChain: { certificates: input.caChain.map((c) => ({ rawBytes: b64(c) })) },
        validFor: { start },
      },
    ],
    ctlogs: [
      {
        baseUrl: input.ctLogUrl,
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: b64(input.ctLogSpki), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
        logId: { keyId: b64(logIdFor(input.ctLogSpki)) },
      },
    ],
    timestampAuthorities: [],
  };
}
