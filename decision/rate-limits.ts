// Which rate limits apply to a decided identity (config/rate-limit.ts defines them): per identity (issuer + the
// principal's name, i.e. the token subject or email), per repository for identities whose certificate names one
// (SourceRepositoryURI: GitHub, GitLab, Buildkite, ci-provider issuers...), and per client address (issuer + address).
// Each scope takes the issuer's setting, else the server-wide default; a `per-repository` set in neither place takes
// the per-identity rate. Issuance (server/signing-service.ts) counts these buckets; explain shows the same list.
import type { Rate, RateLimitSettings, RateScope } from '../config/rate-limit.js';
import type { IssuerConfig } from '../oidc/identity-config.js';
import type { Principal } from '../oidc/principal.js';

export interface AppliedLimit {
  readonly scope: RateScope;
  /** Undefined: no limit in this scope (not configured, or `off`). */
  readonly rate?: Rate;
  /** Where the rate comes from. */
  readonly source: 'issuer' | 'server default' | 'none';
  /** What one bucket counts, without the client address: `issuer`, plus the subject or the repository. */
  readonly key: readonly string[];
}

function settingFor(scope: RateScope, issuer: IssuerConfig, defaults: RateLimitSettings): Pick<AppliedLimit, 'rate' | 'source'> {
  for (const [settings, source] of [[issuer.rateLimit ?? {}, 'issuer'], [defaults, 'server default']] as const) {
    const v = settings[scope];
    if (v === 'off') return { source };
    if (v !== undefined) return { rate: v, source };
  }
  // A repository limit set nowhere is the identity limit, as configured.
  return scope === 'repository' ? settingFor('identity', issuer, defaults) : { source: 'none' };
}

/** Every scope that applies to this identity, in checking order (identity, repository, address). */
export function rateLimitsFor(issuer: IssuerConfig, principal: Principal, defaults: RateLimitSettings): AppliedLimit[] {
  const out: AppliedLimit[] = [{ scope: 'identity', key: [issuer.issuerUrl, principal.name], ...settingFor('identity', issuer, defaults) }];
  const repository = principal.extensions.sourceRepositoryUri;
  if (repository !== undefined && repository !== '') {
    out.push({ scope: 'repository', key: [issuer.issuerUrl, repository], ...settingFor('repository', issuer, defaults) });
  }
  out.push({ scope: 'address', key: [issuer.issuerUrl], ...settingFor('address', issuer, defaults) });
  return out;
}
