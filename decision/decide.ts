// The decision core: what the CA decides for verified (or, for explain, unverified) claims. One function serves
// issuance (server/signing-service.ts) and `explain` (decision/explain.ts), so explain cannot disagree with what is
// issued:
//
//   claims + issuer  ->  principal (claim mapping)  ->  policy verdicts  ->  the SAN and Fulcio extensions the
//   certificate would carry, described (explain shows them) and encoded (issuance writes exactly these bytes)
//
// Routing a token to its issuer is oidc's (oidc/issuer-routing.ts; the token verifier routes before it verifies);
// `route` here adds what explain reports about it. Every step runs even after an earlier one refused, wherever it
// still has something to say; `refusals` lists what went wrong in issuance order. It sits above oidc/ and ca/ and
// below server/ and cli/.
import { describeLeafIdentity, encodeLeafIdentity, type LeafIdentity } from '../ca/leaf-identity.js';
import { FulgorError } from '../lib/errors.js';
import type { IdentityConfig, IssuerConfig } from '../oidc/identity-config.js';
import { findIssuer, findMetaIssuer } from '../oidc/issuer-routing.js';
import { isKnownIssuerType } from '../oidc/issuer-types.js';
import { mapClaims } from '../oidc/issuers/index.js';
import { evaluatePolicy, type PolicyDecision } from '../oidc/policy.js';
import type { Claims, Principal } from '../oidc/principal.js';

export type Stage = 'input' | 'token' | 'issuer' | 'mapping' | 'policy' | 'certificate';

/** One reason the CA would refuse, at the step it meets it; `error` is what issuance throws. */
export interface Refusal {
  readonly stage: Stage;
  readonly error: unknown;
}

/** How a token's issuer was found. */
export interface Route {
  readonly issuer: IssuerConfig;
  readonly matchedBy: 'OIDCIssuers' | 'MetaIssuers';
  /** The MetaIssuers pattern that matched. */
  readonly pattern?: string;
}

export interface CertificateContents {
  /** The name the proof of possession must sign. */
  readonly challenge: string;
  /** The SAN and Fulcio extensions, described. */
  readonly identity: LeafIdentity;
  /** The same, encoded as the certificate carries them (undefined when they cannot be: see the certificate refusal). */
  readonly der?: readonly Buffer[];
}

export interface Decision {
  readonly issuer: IssuerConfig;
  /** Undefined when the claim mapping refused. */
  readonly principal?: Principal;
  /** Every rule's verdict; undefined when the policy could not be evaluated (a compared claim is too long). */
  readonly policy?: PolicyDecision;
  /** Undefined when the claim mapping refused. */
  readonly certificate?: CertificateContents;
  /** In issuance order (mapping, policy, certificate); empty when a certificate would be issued. */
  readonly refusals: readonly Refusal[];
}

/** The issuer that handles `iss`, as the token verifier routes it; or why none does (UNKNOWN_ISSUER). */
export function route(identity: IdentityConfig, iss: string): Route | { readonly refusal: Refusal } {
  const exact = identity.oidcIssuers.get(iss);
  if (exact !== undefined && !isKnownIssuerType(exact.type)) {
    const msg = `issuer ${JSON.stringify(iss)} is configured with type ${JSON.stringify(exact.type)}, which Fulgor cannot map: its tokens are refused`;
    return { refusal: { stage: 'issuer', error: new FulgorError('UNKNOWN_ISSUER', msg) } };
  }
  const issuer = findIssuer(identity, iss);
  if (issuer === undefined) {
    const msg = `no configured issuer handles ${JSON.stringify(iss)} (no OIDCIssuers entry with that URL and no MetaIssuers pattern matches it)`;
    return { refusal: { stage: 'issuer', error: new FulgorError('UNKNOWN_ISSUER', msg) } };
  }
  const meta = findMetaIssuer(identity, iss);
  return meta === undefined ? { issuer, matchedBy: 'OIDCIssuers' } : { issuer, matchedBy: 'MetaIssuers', pattern: meta.pattern };
}

/** The POLICY_DENIED error for a refusing decision, naming the first refusing rule. */
function policyDenied(decision: PolicyDecision): FulgorError {
  const rule = decision.refusedBy ?? 'unknown';
  const verdict = decision.verdicts.find((v) => v.rule === rule);
  return new FulgorError('POLICY_DENIED', `rule "${rule}" refused: ${verdict?.reason ?? 'not allowed'}`, { metadata: { rule } });
}

/** Maps, evaluates the policy and builds the certificate's identity, recording every refusal in issuance order. */
export function decide(issuer: IssuerConfig, claims: Claims): Decision {
  const refusals: Refusal[] = [];
  let principal: Principal | undefined;
  let certificate: CertificateContents | undefined;
  let certificateRefusal: Refusal | undefined;
  try {
    principal = mapClaims(issuer, claims);
  } catch (e) {
    refusals.push({ stage: 'mapping', error: e });
  }
  if (principal !== undefined) {
    const identity = describeLeafIdentity(principal);
    try {
      certificate = { challenge: principal.name, identity, der: encodeLeafIdentity(identity) };
    } catch (e) {
      certificate = { challenge: principal.name, identity };
      certificateRefusal = { stage: 'certificate', error: e }; // met after the policy, as issuance meets it
    }
  }

  let policy: PolicyDecision | undefined;
  try {
    policy = evaluatePolicy(issuer.policy, claims);
    if (!policy.allowed) refusals.push({ stage: 'policy', error: policyDenied(policy) });
  } catch (e) {
    // A claim too long to compare: refused before any rule runs.
    refusals.push({ stage: 'policy', error: e });
  }
  if (certificateRefusal !== undefined) refusals.push(certificateRefusal);

  return {
    issuer,
    ...(principal !== undefined ? { principal } : {}),
    ...(policy !== undefined ? { policy } : {}),
    ...(certificate !== undefined ? { certificate } : {}),
    refusals,
  };
}
