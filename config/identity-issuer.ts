// Reading one issuer entry of Fulcio's identity config (pkg/config/config.go `OIDCIssuer`) into typed settings, with
// the checks that need no identity logic: shapes, required fields, URLs, CA certificates, booleans and policies.
// Rules that depend on the issuer type (known types, IssuerClaim paths, SPIFFE trust domains, subject domains,
// ci-provider metadata) belong to oidc/identity-compile.ts. Problems are collected, each with its location, rather
// than thrown one at a time.

import { X509Certificate } from 'node:crypto';
import { parsePolicy, type IssuancePolicy } from './policy.js';
import { parseRateLimit, type RateLimitSettings } from './rate-limit.js';
import { ISSUER_KEYS, isRecord, lookup, spell, type Flavor } from './keys.js';

export type IssuerField = keyof typeof ISSUER_KEYS;

export const keyName = (field: IssuerField, flavor: Flavor): string => spell(ISSUER_KEYS, field, flavor);

/** One issuer's settings as the file gives them; `type` is not interpreted here. */
export interface IssuerSettings {
  readonly issuerUrl: string;
  readonly clientId: string;
  /** As written; empty when absent. Which types exist is oidc's business (oidc/issuer-types.ts). */
  readonly type: string;
  readonly ciProvider?: string;
  readonly issuerClaim?: string;
  readonly subjectDomain?: string;
  readonly spiffeTrustDomain?: string;
  readonly challengeClaim?: string;
  readonly skipEmailVerification?: boolean;
  readonly caCert?: string;
  readonly description?: string;
  readonly contact?: string;
  /** Metadata for Sigstore's config sync job (`staging`/`production`); unused by the server. */
  readonly environment?: string;
  /** Fulgor: a static JWKS file used instead of discovery (air-gapped issuers). */
  readonly jwksPath?: string;
  /** Fulgor: who may get a certificate from this issuer. */
  readonly policy?: IssuancePolicy;
  /** Fulgor: certificates per identity, repository and client address (config/rate-limit.ts). */
  readonly rateLimit?: RateLimitSettings;
}

/** One OIDCIssuers or MetaIssuers entry, read. */
export interface IssuerEntry {
  readonly meta: boolean;
  /** The map key: the issuer URL for OIDCIssuers, the wildcard pattern for MetaIssuers. */
  readonly key: string;
  /** e.g. `OIDCIssuers["https://x"]` */
  readonly where: string;
  readonly flavor: Flavor;
  /** What could be read (fields with problems are left out; clientId is "" when unusable). */
  readonly settings: IssuerSettings;
  /** False when the entry has problems of its own (recorded with the file's problems). */
  readonly usable: boolean;
}

function validUrl(u: string): boolean {
  try {
    new URL(u);
    return true;
  } catch {
    return false;
  }
}

function validCACert(pem: string): boolean {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g);
  if (blocks === null) return false;
  try {
    for (const b of blocks) new X509Certificate(b);
    return true;
  } catch {
    return false;
  }
}

/** yaml.v3 still accepts YAML 1.1 booleans when decoding into a bool field. */
const YAML11_BOOL = new Map<string, boolean>([
  ...['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON'].map((k) => [k, true] as [string, boolean]),
  ...['n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF'].map((k) => [k, false] as [string, boolean]),
]);

export interface IssuerContext {
  readonly flavor: Flavor;
  /** e.g. `OIDCIssuers["https://x"]` */
  readonly where: string;
  /** the map key: the issuer URL for OIDCIssuers, the wildcard pattern for MetaIssuers */
  readonly key: string;
  readonly meta: boolean;
  readonly problems: string[];
  readonly warnings: string[];
}

/** Reads one issuer entry; undefined (with a problem recorded) when it is not even a mapping. */
export function readIssuer(raw: unknown, ctx: IssuerContext): IssuerEntry | undefined {
  const { flavor, where, problems } = ctx;
  if (!isRecord(raw)) {
    problems.push(`${where}: must be a mapping of issuer settings`);
    return undefined;
  }
  const before = problems.length;
  const at = (f: IssuerField): string => `${where}.${keyName(f, flavor)}`;
  const str = (f: IssuerField): string | undefined => {
    const v = lookup(raw, keyName(f, flavor), flavor);
    if (v === undefined) return undefined;
    // yaml.v3 decodes any scalar into a string field by its text; JSON requires a string.
    if (flavor === 'yaml' && (typeof v === 'number' || typeof v === 'boolean')) return String(v);
    if (typeof v !== 'string') {
      problems.push(`${at(f)}: must be a string`);
      return undefined;
    }
    return v === '' ? undefined : v;
  };

  let issuerUrl = str('issuerUrl');
  if (ctx.meta) {
    issuerUrl = ctx.key; // a meta issuer's URL is its pattern
    if (!validUrl(ctx.key.replaceAll('*', 'x'))) problems.push(`${where}: "${ctx.key}" is not a valid URL pattern`);
  } else {
    if (issuerUrl === undefined) issuerUrl = ctx.key;
    else if (issuerUrl !== ctx.key) {
      ctx.warnings.push(`${at('issuerUrl')}: "${issuerUrl}" differs from its key; Fulcio looks issuers up by key`);
    }
    if (!validUrl(issuerUrl)) problems.push(`${at('issuerUrl')}: "${issuerUrl}" is not a valid URL`);
  }

  const absent = (f: IssuerField): boolean => {
    const v = lookup(raw, keyName(f, flavor), flavor);
    return v === undefined || v === '';
  };
  const clientId = str('clientId');
  if (absent('clientId')) problems.push(`${at('clientId')}: required`);

  const challengeClaim = str('challengeClaim');
  const type = str('type') ?? '';
  const issuerClaim = str('issuerClaim');
  const spiffeTrustDomain = str('spiffeTrustDomain');
  const subjectDomain = str('subjectDomain');

  const caCert = str('caCert');
  if (caCert !== undefined && !validCACert(caCert)) problems.push(`${at('caCert')}: does not hold a parseable PEM certificate`);

  let skipEmailVerification: boolean | undefined;
  const skip = lookup(raw, keyName('skipEmailVerification', flavor), flavor);
  if (skip !== undefined) {
    if (typeof skip === 'boolean') skipEmailVerification = skip;
    else if (flavor === 'yaml' && typeof skip === 'string' && YAML11_BOOL.has(skip)) skipEmailVerification = YAML11_BOOL.get(skip);
    else problems.push(`${at('skipEmailVerification')}: must be true or false`);
  }

  const policyRaw = lookup(raw, keyName('policy', flavor), flavor);
  const policy = policyRaw === undefined ? undefined : parsePolicy(policyRaw, { where: at('policy'), problems, flavor });

  const rateLimitRaw = lookup(raw, keyName('rateLimit', flavor), flavor);
  const rateLimit = rateLimitRaw === undefined ? undefined : parseRateLimit(rateLimitRaw, { where: at('rateLimit'), problems, flavor });

  const optional = {
    jwksPath: str('jwksPath'),
    policy,
    rateLimit,
    ciProvider: str('ciProvider'),
    issuerClaim,
    subjectDomain,
    spiffeTrustDomain,
    challengeClaim,
    skipEmailVerification,
    caCert,
    description: str('description'),
    contact: str('contact'),
    environment: str('environment'),
  };
  const settings: Record<string, unknown> = { issuerUrl, clientId: clientId ?? '', type };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) settings[k] = v;
  return {
    meta: ctx.meta,
    key: ctx.key,
    where,
    flavor,
    settings: settings as unknown as IssuerSettings,
    usable: problems.length === before && clientId !== undefined,
  };
}
