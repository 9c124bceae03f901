// The one table of identity-file keys, as Fulcio's Go structs spell them ([JSON field name, YAML struct tag]) plus
// Fulgor's additions, and how to read a key from a decoded document the way Fulcio does. Parsing (identity.ts,
// identity-issuer.ts, ci-metadata.ts), `config check`'s unknown-key report (unknown-keys.ts) and the CLI read it.
import { FULCIO_FIELDS, type FulcioField } from '../lib/fulcio-extensions.js';

export type Flavor = 'json' | 'yaml';

export type Spelling = readonly [json: string, yaml: string];

/** Top-level sections of the identity file (config.FulcioConfig). */
export const TOP_KEYS = {
  oidcIssuers: ['OIDCIssuers', 'oidc-issuers'],
  metaIssuers: ['MetaIssuers', 'meta-issuers'],
  ciIssuerMetadata: ['CIIssuerMetadata', 'ci-issuer-metadata'],
} as const satisfies Record<string, Spelling>;

/** One issuer entry (config.OIDCIssuer), then Fulgor's additions. */
export const ISSUER_KEYS = {
  issuerUrl: ['IssuerURL', 'issuer-url'],
  clientId: ['ClientID', 'client-id'],
  type: ['Type', 'type'],
  ciProvider: ['CIProvider', 'ci-provider'],
  issuerClaim: ['IssuerClaim', 'issuer-claim'],
  subjectDomain: ['SubjectDomain', 'subject-domain'],
  spiffeTrustDomain: ['SPIFFETrustDomain', 'spiffe-trust-domain'],
  challengeClaim: ['ChallengeClaim', 'challenge-claim'],
  description: ['Description', 'description'],
  contact: ['Contact', 'contact'],
  environment: ['Environment', 'environment'],
  caCert: ['CACert', 'ca-cert'],
  skipEmailVerification: ['SkipEmailVerification', 'skip-email-verification'],
  // Fulgor's additions (Fulcio ignores unknown keys, so files stay loadable by both):
  jwksPath: ['JWKSPath', 'jwks-path'],
  policy: ['Policy', 'policy'],
  rateLimit: ['RateLimit', 'rate-limit'],
} as const satisfies Record<string, Spelling>;

/** An issuer's RateLimit / rate-limit mapping (Fulgor's; config/rate-limit.ts), by scope. */
export const RATE_LIMIT_KEYS = {
  identity: ['PerIdentity', 'per-identity'],
  repository: ['PerRepository', 'per-repository'],
  address: ['PerAddress', 'per-address'],
} as const satisfies Record<string, Spelling>;

/** One CIIssuerMetadata entry (config.IssuerMetadata), then Fulgor's addition. */
export const CI_PROVIDER_KEYS = {
  defaults: ['DefaultTemplateValues', 'default-template-values'],
  extensions: ['ExtensionTemplates', 'extension-templates'],
  san: ['SubjectAlternativeNameTemplate', 'subject-alternative-name-template'],
  // Fulgor's addition: default values a token's claims may override.
  overridable: ['ClaimsOverrideDefaults', 'claims-override-defaults'],
} as const satisfies Record<string, Spelling>;

/** ExtensionTemplates keys (certificate.Extensions), from the Fulcio extension table. */
export const EXTENSION_TEMPLATE_KEYS: Readonly<Record<FulcioField, Spelling>> = Object.fromEntries(
  FULCIO_FIELDS.map((f) => [f.field, [f.json, f.yaml] as const]),
) as Record<FulcioField, Spelling>;

/** A key as files of this flavor spell it. */
export const spell = <T extends Readonly<Record<string, Spelling>>>(table: T, field: keyof T, flavor: Flavor): string =>
  (table[field] as Spelling)[flavor === 'json' ? 0 : 1];

/**
 * Reads `key` from a decoded object. JSON keys match as Go's encoding/json does: exactly, else case-insensitively
 * (the last such key wins). YAML keys must match exactly. null counts as absent (Go leaves the zero value).
 */
export function lookup(obj: Readonly<Record<string, unknown>>, key: string, flavor: Flavor): unknown {
  if (Object.prototype.hasOwnProperty.call(obj, key)) return obj[key] ?? undefined;
  if (flavor === 'yaml') return undefined;
  let found: unknown;
  for (const [k, v] of Object.entries(obj)) if (k.toLowerCase() === key.toLowerCase()) found = v;
  return found ?? undefined;
}

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
