// A sigstore signing config (v0.2) naming this CA and its timestamp authority, for clients that pick their services
// from one (cosign v3 `--signing-config`, sigstore-js `bundleBuilderFromSigningConfig`). The CA entry uses API
// version 1, the only one sigstore-go accepts for Fulcio; the TSA entry is the full timestamp URL. There is no
// Rekor: a Rekor selector with no Rekor URL makes sigstore-js refuse the whole config, so neither `rekorTlogUrls`
// nor `rekorTlogConfig` is written.
import { rfc3339 } from './trusted-root.js';

export interface SigningConfigInput {
  readonly caUrl: string;
  /** The full timestamp URL (…/api/v1/timestamp), when signatures get an RFC 3161 timestamp. */
  readonly tsaUrl?: string;
  readonly validFrom: Date;
  /** Scheme-less operator name, e.g. the CA's host. */
  readonly operator: string;
}

export const SIGNING_CONFIG_MEDIA_TYPE = 'application/vnd.dev.sigstore.signingconfig.v0.2+json';

export function signingConfig(input: SigningConfigInput) {
  const service = (url: string) => ({ url, majorApiVersion: 1, validFor: { start: rfc3339(input.validFrom) }, operator: input.operator });
  return {
    mediaType: SIGNING_CONFIG_MEDIA_TYPE,
    caUrls: [service(input.caUrl)],
    oidcUrls: [],
    ...(input.tsaUrl ? { tsaUrls: [service(input.tsaUrl)], tsaConfig: { selector: 'ANY' } } : {}),
  };
}

export type SigningConfigJson = ReturnType<typeof signingConfig>;
