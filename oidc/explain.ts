// `explain`: what a token (or a set of claims) would get from this CA, without issuing anything. It follows the
// issuance path step by step (token verification, issuer routing, claim mapping, issuance policy, certificate
// contents) and keeps going after a failure wherever the later steps still have something to say.
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
//     "errors": Problem[],                // in issuance order; the first is what the CA would answer
//     "warnings": string[]
//   }
//   Problem = { "stage": "input"|"token"|"issuer"|"mapping"|"policy"|"certificate", "reason": ReasonCode,
//               "message": string, "metadata"?: { [k: string]: string } }
import { decodeJwt } from 'jose';
import { sanExtension } from '../ca/san.js';
import { renderFulcioExtensions } from '../ca/extensions.js';
import { findIssuer } from './issuer-routing.js';
import { isKnownIssuerType } from './issuer-types.js';
import { type IdentityConfig, type IssuerConfig } from './identity-config.js';
import { FulgorError, isFulgorError } from '../lib/errors.js';
import { explainExtensions, explainSan, type ExplainedExtension, type ExplainedSan } from './explain-extensions.js';
import { mapClaims } from './issuers/index.js';
import { evaluatePolicy, type RuleVerdict } from './policy.js';
import type { Claims } from './principal.js';
import type { TokenVerifier } from './token-verifier.js';

export type { ExplainedExtension, ExplainedSan };

export interface Problem {
  readonly stage: 'input' | 'token' | 'issuer' | 'mapping' | 'policy' | 'certificate';
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
  readonly errors: readonly Problem[];
  readonly warnings: readonly string[];
}

function problem(stage: Problem['stage'], e: unknown): Problem {
  const fe = isFulgorError(e) ? e : new FulgorError('INTERNAL', e instanceof Error ? e.message : String(e));
  const meta = Object.keys(fe.metadata).length > 0 ? { metadata: fe.metadata } : {};
  return { stage, reason: fe.code, message: fe.message, ...meta };
}

const configured = (identity: IdentityConfig) => ({
  oidcIssuers: [...identity.oidcIssuers.keys()],
  metaIssuers: identity.metaIssuers.map((m) => m.pattern),
});

/** Which entry handles `iss`, as findIssuer decides, and how; or why none does. */
function locateIssuer(identity: IdentityConfig, iss: string): { cfg: IssuerConfig; how: ExplainedIssuer } | { error: Problem } {
  const exact = identity.oidcIssuers.get(iss);
  if (exact !== undefined && !isKnownIssuerType(exact.type)) {
    const msg = `issuer ${JSON.stringify(iss)} is configured with type ${JSON.stringify(exact.type)}, which Fulgor cannot map: its tokens are refused`;
    return { error: { stage: 'issuer', reason: 'UNKNOWN_ISSUER', message: msg } };
  }
  const cfg = findIssuer(identity, iss);
  if (cfg === undefined) {
    const msg = `no configured issuer handles ${JSON.stringify(iss)} (no OIDCIssuers entry with that URL and no MetaIssuers pattern matches it)`;
    return { error: { stage: 'issuer', reason: 'UNKNOWN_ISSUER', message: msg } };
  }
  const meta = exact === undefined ? identity.metaIssuers.find((m) => isKnownIssuerType(m.config.type) && m.regex.test(iss)) : undefined;
  const how: ExplainedIssuer = {
    url: cfg.issuerUrl,
    matchedBy: meta === undefined ? 'OIDCIssuers' : 'MetaIssuers',
    ...(meta !== undefined ? { pattern: meta.pattern } : {}),
    type: cfg.type,
    clientId: cfg.clientId,
    ...(cfg.ciProvider !== undefined ? { ciProvider: cfg.ciProvider } : {}),
  };
  return { cfg, how };
}

/** An Explanation with its keys in the documented order. */
function assemble(identity: IdentityConfig, s: Start, rest: Pick<Explanation, 'issuer' | 'mapping' | 'policy' | 'certificate'>): Explanation {
  return {
    allowed: s.errors.length === 0,
    input: s.input,
    tokenVerified: s.tokenVerified,
    issuer: rest.issuer,
    configuredIssuers: configured(identity),
    mapping: rest.mapping,
    policy: rest.policy,
    certificate: rest.certificate,
    errors: s.errors,
    warnings: s.warnings,
  };
}

interface Start {
  readonly input: 'token' | 'claims';
  readonly tokenVerified: boolean;
  readonly errors: Problem[];
  readonly warnings: string[];
}

/** Routes, maps, evaluates the policy and renders, collecting every problem in issuance order. */
function explainFrom(identity: IdentityConfig, claims: Claims, iss: string | undefined, s: Start): Explanation {
  const { errors } = s;
  const done = (rest: Pick<Explanation, 'issuer' | 'mapping' | 'policy' | 'certificate'>): Explanation =>
    assemble(identity, s, rest);
  if (iss === undefined || iss === '') {
    errors.push({ stage: 'issuer', reason: 'MISSING_CLAIM', message: 'no issuer: the claims have no string "iss" and no issuer was given' });
    return done({ issuer: null, mapping: null, policy: null, certificate: null });
  }
  const found = locateIssuer(identity, iss);
  if ('error' in found) {
    errors.push(found.error);
    return done({ issuer: null, mapping: null, policy: null, certificate: null });
  }
  const { cfg, how } = found;

  let certificate: Explanation['certificate'] = null;
  let mapping: NonNullable<Explanation['mapping']>;
  try {
    const principal = mapClaims(cfg, claims);
    mapping = { type: cfg.type, ok: true };
    certificate = { challenge: principal.name, san: explainSan(principal.san), extensions: explainExtensions(principal.extensions) };
    try {
      sanExtension(principal.san);
      renderFulcioExtensions(principal.extensions);
    } catch (e) {
      errors.push(problem('certificate', e)); // reported after the policy, where issuance would meet it
    }
  } catch (e) {
    mapping = { type: cfg.type, ok: false, error: problem('mapping', e) };
    errors.push(mapping.error as Problem);
  }

  let decision: ReturnType<typeof evaluatePolicy>;
  let policyError: Problem | undefined;
  try {
    decision = evaluatePolicy(cfg.policy, claims);
  } catch (e) {
    // A claim too long to compare: refused before any rule runs, as issuance refuses it.
    decision = { allowed: false, verdicts: [] };
    policyError = problem('policy', e);
  }
  const refused = decision.verdicts.find((v) => v.rule === decision.refusedBy);
  if (!decision.allowed) {
    policyError ??= {
      stage: 'policy',
      reason: 'POLICY_DENIED',
      message: `rule "${decision.refusedBy ?? 'unknown'}" refused: ${refused?.reason ?? 'not allowed'}`,
      metadata: { rule: decision.refusedBy ?? 'unknown' },
    };
    const certAt = errors.findIndex((p) => p.stage === 'certificate');
    errors.splice(certAt < 0 ? errors.length : certAt, 0, policyError);
  }
  const policy = {
    configured: cfg.policy !== undefined,
    allowed: decision.allowed,
    ...(decision.refusedBy !== undefined ? { refusedBy: decision.refusedBy } : {}),
    rules: decision.verdicts,
  };
  return done({ issuer: how, mapping, policy, certificate });
}

/** Explains claims (mapped only, never verified). `issuer`, when given, routes them and becomes their `iss`. */
export function explainClaims(identity: IdentityConfig, claims: Claims, issuer?: string): Explanation {
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
  return explainFrom(identity, effective, typeof iss === 'string' ? iss : undefined, { input: 'claims', tokenVerified: false, errors: [], warnings });
}

/** Explains a token: verified fully first; when that fails, the rest is shown for its unverified claims. */
export async function explainToken(identity: IdentityConfig, verifier: TokenVerifier, token: string): Promise<Explanation> {
  const errors: Problem[] = [];
  const warnings: string[] = [];
  try {
    const { issuer, claims } = await verifier.verify(token);
    return explainFrom(identity, claims, issuer.issuerUrl, { input: 'token', tokenVerified: true, errors, warnings });
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
      const start: Start = { input: 'token', tokenVerified: false, errors, warnings };
      return assemble(identity, start, { issuer: null, mapping: null, policy: null, certificate: null });
    }
    if (p.reason !== 'UNKNOWN_ISSUER') warnings.push('the token did not verify: what follows is for its unverified claims');
    return explainFrom(identity, claims, iss, { input: 'token', tokenVerified: false, errors, warnings });
  }
}
