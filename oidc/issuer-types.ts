// The one table of issuer types Fulgor can map (Fulcio's `Type` values). The IssuerType union is derived from it,
// and oidc/issuers/index.ts must give every entry a claim mapper (its table is typed over IssuerType).

export const ISSUER_TYPES = [
  'email',
  'github-workflow',
  'gitlab-pipeline',
  'ci-provider',
  'buildkite-job',
  'codefresh-workflow',
  'chainguard-identity',
  'kubernetes',
  'spiffe',
  'uri',
  'username',
] as const;

export type IssuerType = (typeof ISSUER_TYPES)[number];

export const isKnownIssuerType = (t: string): t is IssuerType => (ISSUER_TYPES as readonly string[]).includes(t);
