// A sigstore signing config (v0.2) naming this CA, for clients that pick their services from one (cosign v3
// `--signing-config`). The CA entry uses API version 1, the only one sigstore-go accepts for Fulcio. Rekor and TSA
// lists are left empty for the operator to fill with their own services.
export interface SigningConfigInput {
  readonly caUrl: string;
  readonly validFrom: Date;
  /** Scheme-less operator name, e.g. the CA's host. */
  readonly operator: string;
}

const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export function signingConfig(input: SigningConfigInput) {
  return {
    mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json',
    caUrls: [{ url: input.caUrl, majorApiVersion: 1, validFor: { start: rfc3339(input.validFrom) }, operator: input.operator }],
    oidcUrls: [],
    rekorTlogUrls: [],
    rekorTlogConfig: { selector: 'ANY' },
    tsaUrls: [],
    tsaConfig: { selector: 'ANY' },
  };
}
