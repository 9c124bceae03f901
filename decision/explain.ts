// `explain`: what a token (or a set of claims) would get from this CA, without issuing anything. It verifies the
// token as issuance does, then reports what the decision core (decision/decide.ts, the function issuance uses)
// decides: issuer routing, claim mapping, issuance policy, certificate contents. It keeps going after a failure
// wherever the later steps still have something to say.
//
// The JSON shape (what `fulgor explain --json` prints and POST /api/v2/explain returns):
//
//   {
//     "allowed": boolean,                 // a certificate would be issued (key and proof of possession aside)
//     "input": "token" | "claims",        // a token is checked fully; claims are mapped only
//     "tokenVerified": boolean,           // signature, audience and expiry all passed (false for claims)
//     "issuer": null | {                  // null when no configured issuer handles this iss
//       "url": string,                    // the token's issuer (a meta issuer made concrete)
//       "matchedBy": "OIDCIssuers" | "MetaIssuers",
//       "pattern"?: string,               // the MetaIssuers pattern that matched
//       "type": string, "clientId": string, "ciProvider"?: string
//     },
//     "configuredIssuers": { "oidcIssuers": string[], "metaIssuers": string[] },
//     "mapping": null | { "type": string, "ok": boolean, "error"?: Problem },
//     "policy": null | {                  // null when no issuer matched
//       "configured": boolean, "allowed": boolean, "refusedBy"?: string,
//       "rules": [ { "rule", "effect": "allow"|"deny", "allowed", "reason",
//                    "checks": [ { "claim", "state": "present"|"missing"|"not-comparable", "value"?, "matched"? } ] } ]
//     },
//     "certificate": null | {             // null when the mapping failed
//       "challenge": string,              // the name the proof of possession must sign
//       "san": { "type": "uri"|"email"|"otherName", "value": string, "oid"?: string },
//       "extensions": [ { "oid": "1.3.6.1.4.1.57264.1.N", "name": string, "value": string, "encoding": "raw"|"utf8String" } ]
//     },
//     "rateLimits": null | [              // null when the mapping failed; the configured rates, not live bucket state
//       { "scope": "identity" | "repository" | "address",
//         "rate": "30/minute" | "off" | null, // null: no limit set anywhere; "off": switched off by its source
//         "source": "issuer" | "server default" | "none",
//         "key": string }                 // what one bucket counts: the subject, the repository, or "client address"
//     ],
//     "errors": Problem[],                // in issuance order; the first is what the CA would answer
//     "warnings": string[]
//   }
//   Problem = { "stage": "input"|"token"|"issuer"|"mapping"|"policy"|"certificate", "reason": ReasonCode,
//               "message": string, "metadata"?: { [k: string]: string } }
import { decodeJwt } from 'jose';
import type { IdentitySan, IdentityExtension } from '../ca/leaf-identity.js';
import { FulgorError, isFulgorError } from '../lib/errors.js';
import type { IdentityConfig } from '../oidc/identity-config.js';
import type { RuleVerdict } from '../oidc/policy.js';
import type { Claims } from '../oidc/principal.js';
import type { TokenVerifier } from '../oidc/token-verifier.js';
import type { RateLimitSettings, RateScope } from '../config/rate-limit.js';
import { decide, route, type Stage } from './decide.js';
import { rateLimitsFor } from './rate-limits.js';

export type ExplainedExtension = IdentityExtension;
export type ExplainedSan = IdentitySan;

export interface Problem {
  readonly stage: Stage;
  readonly reason: string;
  readonly message: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface ExplainedIssuer {
  readonly url: string;
  readonly matchedBy: 'OIDCIssuers' | 'MetaIssuers';
  readonly pattern?: string;
  readonly type: string;
  readonly clientId: string;
  readonly ciProvider?: string;
}

export interface ExplainedRateLimit {
  readonly scope: RateScope;
  readonly rate: string | null;
  readonly source: 'issuer' | 'server default' | 'none';
  readonly key: string;
}

export interface ExplainOptions {
  /** The server-wide default rates (`fulgor serve --rate-limit-per-*`), for issuers that set none. */
  readonly rateLimitDefaults?: RateLimitSettings;
}

export interface Explanation {
  readonly allowed: boolean;
  readonly input: 'token' | 'claims';
  readonly tokenVerified: boolean;
  readonly issuer: ExplainedIssuer | null;
  readonly configuredIssuers: { readonly oidcIssuers: readonly string[]; readonly metaIssuers: readonly string[] };
  readonly mapping: { readonly type: string; readonly ok: boolean; readonly error?: Problem } | null;
  readonly policy: {
    readonly configured: boolean;
    readonly allowed: boolean;
    readonly refusedBy?: string;
    readonly rules: readonly RuleVerdict[];
  } | null;
  readonly certificate: { readonly challenge: string; readonly san: ExplainedSan; readonly extensions: readonly ExplainedExtension[] } | null;
  readonly rateLimits: readonly ExplainedRateLimit[] | null;
  readonly errors: readonly Problem[];
  readonly warnings: readonly string[];
}

function problem(stage: Stage, e: unknown): Problem {
  const fe = isFulgorError(e) ? e : new FulgorError('INTERNAL', e instanceof Error ? e.message : String(e));
  const meta = Object.keys(fe.metadata).length > 0 ? { metadata: fe.metadata } : {};
  return { stage, reason: fe.code, message: fe.message, ...meta };
}

const configured = (identity: IdentityConfig) => ({
  oidcIssuers: [...identity.oidcIssuers.keys()],
  metaIssuers: identity.metaIssuers.map((m) => m.pattern),
});

/** An Explanation with its keys in the documented order. */
type Parts = Pick<Explanation, 'issuer' | 'mapping' | 'policy' | 'certificate'> & Partial<Pick<Explanation, 'rateLimits'>>;

function assemble(identity: IdentityConfig, s: Start, rest: Parts): Explanation {
  return {
    allowed: s.errors.length === 0,
    input: s.input,
    tokenVerified: s.tokenVerified,
    issuer: rest.issuer,
    configuredIssuers: configured(identity),
    mapping: rest.mapping,
    policy: rest.policy,
    certificate: rest.certificate,
    rateLimits: rest.rateLimits ?? null,
    errors: s.errors,
    warnings: s.warnings,
  };
}

interface Start {
  readonly input: 'token' | 'claims';
  readonly tokenVerified: boolean;
  readonly errors: Problem[];
  readonly warnings: string[];
  readonly options: ExplainOptions;
}

/** Routes, then reports the decision core's verdict for these claims, collecting every problem in issuance order. */
function explainFrom(identity: IdentityConfig, claims: Claims, iss: string | undefined, s: Start): Explanation {
  const { errors } = s;
  const done = (rest: Parts): Explanation => assemble(identity, s, rest);
  if (iss === undefined || iss === '') {
    errors.push({ stage: 'issuer', reason: 'MISSING_CLAIM', message: 'no issuer: the claims have no string "iss" and no issuer was given' });
    return done({ issuer: null, mapping: null, policy: null, certificate: null });
  }
  const routed = route(identity, iss);
  if ('refusal' in routed) {
    errors.push(problem(routed.refusal.stage, routed.refusal.error));
    return done({ issuer: null, mapping: null, policy: null, certificate: null });
  }
  const { issuer: cfg } = routed;
  const how: ExplainedIssuer = {
    url: cfg.issuerUrl,
    matchedBy: routed.matchedBy,
    ...(routed.pattern !== undefined ? { pattern: routed.pattern } : {}),
    type: cfg.type,
    clientId: cfg.clientId,
    ...(cfg.ciProvider !== undefined ? { ciProvider: cfg.ciProvider } : {}),
  };

  const decision = decide(cfg, claims);
  const problems = decision.refusals.map((r) => problem(r.stage, r.error));
  errors.push(...problems);
  const mappingError = problems.find((p) => p.stage === 'mapping');
  const mapping = mappingError === undefined ? { type: cfg.type, ok: true } : { type: cfg.type, ok: false, error: mappingError };
  const c = decision.certificate;
  const certificate = c === undefined ? null : { challenge: c.challenge, san: c.identity.san, extensions: c.identity.extensions };
  const p = decision.policy;
  const policy = {
    configured: cfg.policy !== undefined,
    allowed: p?.allowed ?? false,
    ...(p?.refusedBy !== undefined ? { refusedBy: p.refusedBy } : {}),
    rules: p?.verdicts ?? [],
  };
  const principal = decision.principal;
  const rateLimits = principal === undefined
    ? null
    : rateLimitsFor(cfg, principal, s.options.rateLimitDefaults ?? {}).map((l) => ({
      scope: l.scope,
      rate: l.rate?.text ?? (l.source === 'none' ? null : 'off'),
      source: l.source,
      key: l.scope === 'address' ? 'client address' : (l.key[1] ?? ''),
    }));
  return done({ issuer: how, mapping, policy, certificate, rateLimits });
}
/** Explains claims (mapped only, never verified). `issuer`, when given, routes them and becomes their `iss`. */
export function explainClaims(identity: IdentityConfig, claims: Claims, issuer?: string, options: ExplainOptions = {}): Explanation {
  const warnings: string[] = [];
  let effective = claims;
  const claimIss = claims['iss'];
  if (issuer !== undefined && issuer !== '') {
    if (claimIss === undefined || claimIss === null) warnings.push(`the claims have no "iss": using ${JSON.stringify(issuer)}`);
    else if (claimIss !== issuer) {
      warnings.push(`the claims' "iss" ${JSON.stringify(claimIss)} was replaced by ${JSON.stringify(issuer)}: a real token is routed by its own iss`);
    }
    effective = { ...claims, iss: issuer };
  }
  const iss = effective['iss'];
  return explainFrom(identity, effective, typeof iss === 'string' ? iss : undefined, { input: 'claims', tokenVerified: false, errors: [], warnings, options });
}

/** Explains a token: verified fully first; when that fails, the rest is shown for its unverified claims. */
export async function explainToken(identity: IdentityConfig, verifier: TokenVerifier, token: string, options: ExplainOptions = {}): Promise<Explanation> {
  const errors: Problem[] = [];
  const warnings: string[] = [];
  try {
    const { issuer, claims } = await verifier.verify(token);
    return explainFrom(identity, claims, issuer.issuerUrl, { input: 'token', tokenVerified: true, errors, warnings, options });
  } catch (e) {
    const p = problem('token', e);
    let claims: Claims | undefined;
    try {
      claims = decodeJwt(token);
    } catch {
      claims = undefined;
    }
    // An unknown issuer is reported once, by the issuer step, with the configured issuers listed.
    if (p.reason !== 'UNKNOWN_ISSUER' || claims === undefined) errors.push(p);
    const iss = claims?.['iss'];
    if (claims === undefined || typeof iss !== 'string' || iss === '') {
      const start: Start = { input: 'token', tokenVerified: false, errors, warnings, options };
      return assemble(identity, start, { issuer: null, mapping: null, policy: null, certificate: null });
    }
    if (p.reason !== 'UNKNOWN_ISSUER') warnings.push('the token did not verify: what follows is for its unverified claims');
    return explainFrom(identity, claims, iss, { input: 'token', tokenVerified: false, errors, warnings, options });
  }
}
