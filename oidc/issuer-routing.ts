// Which configured issuer handles a token, by its (unverified) `iss`: Fulcio's OIDCIssuers lookup, then MetaIssuers
// wildcard patterns. Also the claim the proof of possession is made over.
import type { IdentityConfig, IssuerConfig, MetaIssuer } from './identity-config.js';
import { isKnownIssuerType } from './issuer-types.js';

/** Fulcio's MetaRegex: regex-quote the URL, each `*` becomes `[-_a-zA-Z0-9]+`, anchored at both ends. */
export function metaIssuerRegex(pattern: string): RegExp {
  const quoted = pattern.split('*').map((part) => part.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&'));
  return new RegExp(`^${quoted.join('[-_a-zA-Z0-9]+')}$`);
}

/**
 * The issuer that handles tokens with this `iss`: the OIDCIssuers entry with that key, else the first meta issuer
 * whose pattern matches, made concrete with issuerUrl = iss. As in Fulcio, a meta match carries over ClientID,
 * Type, IssuerClaim, SubjectDomain, CIProvider, SkipEmailVerification and CACert only, and issuers of unknown
 * type (accepted at load because they set ChallengeClaim) never match.
 */
export function findIssuer(cfg: IdentityConfig, iss: string): IssuerConfig | undefined {
  const exact = cfg.oidcIssuers.get(iss);
  if (exact !== undefined) return isKnownIssuerType(exact.type) ? exact : undefined;
  const meta = findMetaIssuer(cfg, iss);
  if (meta !== undefined) {
    const m = meta.config;
    const out: Record<string, unknown> = { issuerUrl: iss, clientId: m.clientId, type: m.type };
    const carried = {
      issuerClaim: m.issuerClaim,
      subjectDomain: m.subjectDomain,
      ciProvider: m.ciProvider,
      skipEmailVerification: m.skipEmailVerification,
      caCert: m.caCert,
      ci: m.ci,
      policy: m.policy,
      jwksPath: m.jwksPath,
      rateLimit: m.rateLimit,
    };
    for (const [k, v] of Object.entries(carried)) if (v !== undefined) out[k] = v;
    return out as unknown as IssuerConfig;
  }
  return undefined;
}

/** The MetaIssuers entry that handles tokens with this `iss` (none when an OIDCIssuers entry names it). */
export function findMetaIssuer(cfg: IdentityConfig, iss: string): MetaIssuer | undefined {
  if (cfg.oidcIssuers.has(iss)) return undefined;
  return cfg.metaIssuers.find((m) => isKnownIssuerType(m.config.type) && m.regex.test(iss));
}

/** The claim the proof of possession is made over: configured, else `email` for email issuers, else `sub`. */
export function challengeClaimFor(cfg: IssuerConfig): string {
  if (cfg.challengeClaim !== undefined && cfg.challengeClaim !== '') return cfg.challengeClaim;
  return cfg.type === 'email' ? 'email' : 'sub';
}
