// Object identifiers the timestamp authority reads and writes (RFC 3161, RFC 5652, RFC 5816, RFC 5754).
export const TSA_OID = {
  signedData: '1.2.840.113549.1.7.2',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  /** sigstore/timestamp-authority's default policy, which Fulgor keeps as its default. */
  defaultPolicy: '1.3.6.1.4.1.57264.2',
} as const;

export type HashName = 'sha256' | 'sha384' | 'sha512';

/** The message-imprint hashes the TSA accepts, with their digest lengths. */
export const HASHES: Readonly<Record<string, { readonly name: HashName; readonly length: number }>> = {
  '2.16.840.1.101.3.4.2.1': { name: 'sha256', length: 32 },
  '2.16.840.1.101.3.4.2.2': { name: 'sha384', length: 48 },
  '2.16.840.1.101.3.4.2.3': { name: 'sha512', length: 64 },
};

export const HASH_OID: Readonly<Record<HashName, string>> = {
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
};

/** The digest a CMS signer uses with each signature algorithm a Signer can have (RFC 5754, RFC 8419 for Ed25519). */
export const SIGNATURE_DIGEST: Readonly<Record<string, HashName>> = {
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.3.101.112': 'sha512',
};
