// Reading and validating one issuer entry of Fulcio's identity config (pkg/config/config.go `OIDCIssuer` and
// `validateConfig`). Problems are collected, each with its location, rather than thrown one at a time.

import { X509Certificate } from 'node:crypto';
import { parseClaimPath } from '../oidc/issuers/claim-path.js';
import { SpiffeIdError, trustDomainFromString } from '../oidc/issuers/spiffe-id.js';
import { subjectDomainProblem } from '../oidc/issuers/subject-domain.js';
import { parsePolicy } from './policy.js';
import { isRecord, lookup, type Flavor } from './keys.js';
import type { IssuerConfig, IssuerType } from './identity.js';

export { isRecord, lookup, type Flavor };

export const ISSUER_TYPES: readonly IssuerType[] = [
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
];

export const isKnownIssuerType = (t: string): t is IssuerType => (ISSUER_TYPES as readonly string[]).includes(t);

/** Field name → [JSON key, YAML key], as Fulcio's struct tags spell them. */
const KEYS = {
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
} as const;
type Field = keyof typeof KEYS;

export const keyName = (field: Field, flavor: Flavor): string => KEYS[field][flavor === 'json' ? 0 : 1];

function validUrl(u: string): boolean {
  try {
    new URL(u);
    return true;
  } catch {
    return false;
  }
}

/** spiffeid.TrustDomainFromString: undefined when valid, else why not. */
function trustDomainProblem(td: string): string | undefined {
  try {
    trustDomainFromString(td);
    return undefined;
  } catch (e) {
    if (e instanceof SpiffeIdError) return e.message;
    throw e;
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

/** Reads one issuer entry; returns undefined (with problems recorded) when it is unusable. */
export function readIssuer(raw: unknown, ctx: IssuerContext): IssuerConfig | undefined {
  const { flavor, where, problems } = ctx;
  if (!isRecord(raw)) {
    problems.push(`${where}: must be a mapping of issuer settings`);
    return undefined;
  }
  const before = problems.length;
  const at = (f: Field): string => `${where}.${keyName(f, flavor)}`;
  const str = (f: Field): string | undefined => {
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

  const absent = (f: Field): boolean => {
    const v = lookup(raw, keyName(f, flavor), flavor);
    return v === undefined || v === '';
  };
  const clientId = str('clientId');
  if (absent('clientId')) problems.push(`${at('clientId')}: required`);

  const challengeClaim = str('challengeClaim');
  const type = str('type') ?? '';
  if (!isKnownIssuerType(type)) {
    if (challengeClaim === undefined) {
      problems.push(type === '' ? `${at('type')}: required` : `${at('type')}: unknown issuer type "${type}"`);
    } else {
      ctx.warnings.push(`${at('type')}: unknown issuer type "${type}"; tokens from this issuer will not be accepted`);
    }
  }

  const issuerClaim = str('issuerClaim');
  if (issuerClaim !== undefined && type !== 'email') {
    problems.push(`${at('issuerClaim')}: only email issuers can use issuer claim mapping`);
  } else if (issuerClaim !== undefined) {
    try {
      parseClaimPath(issuerClaim);
    } catch (e) {
      problems.push(`${at('issuerClaim')}: ${(e as Error).message}`);
    }
  }

  const spiffeTrustDomain = str('spiffeTrustDomain');
  if (type === 'spiffe') {
    if (ctx.meta) problems.push(`${at('type')}: SPIFFE meta issuers are not supported`);
    else if (spiffeTrustDomain === undefined) problems.push(`${at('spiffeTrustDomain')}: required for spiffe issuers`);
    else {
      const why = trustDomainProblem(spiffeTrustDomain);
      if (why !== undefined) problems.push(`${at('spiffeTrustDomain')}: "${spiffeTrustDomain}" is not a valid SPIFFE trust domain (${why})`);
    }
  }

  // uri and username issuers may only vouch for subjects under their own domain (Fulcio isURISubjectAllowed and
  // validateAllowedDomain). Fulcio checks OIDCIssuers only; meta issuers are held to the same rule against their
  // pattern's host, where a wildcard label matches only itself.
  const subjectDomain = str('subjectDomain');
  if (type === 'uri' || type === 'username') {
    if (subjectDomain === undefined) problems.push(`${at('subjectDomain')}: required for ${type} issuers`);
    else {
      const why = subjectDomainProblem(type, subjectDomain, issuerUrl ?? ctx.key);
      if (why !== undefined) problems.push(`${at('subjectDomain')}: ${why}`);
    }
  }

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

  const optional = {
    jwksPath: str('jwksPath'),
    policy,
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
  if (problems.length > before || clientId === undefined) return undefined;
  const cfg: Record<string, unknown> = { issuerUrl, clientId, type };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) cfg[k] = v;
  return cfg as unknown as IssuerConfig;
}
