// The transport-agnostic issuance flow: verify the token, map claims, check the key and its proof, issue a
// precertificate, log it, and issue the final certificate with the SCT embedded. No certificate leaves without an SCT.
import type { CertificateAuthority } from '../ca/authority.js';
import { type ClientKey, parseClientKey } from '../ca/client-key.js';
import { checkCsr } from '../ca/csr.js';
import { checkProofOfPossession } from '../ca/proof-of-possession.js';
import { FulgorError, isFulgorError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import type { Principal } from '../oidc/principal.js';
import type { TokenVerifier, VerifiedToken } from '../oidc/token-verifier.js';
import { evaluatePolicy } from '../oidc/policy.js';
import type { SigningRequest } from './request.js';

/** What the CA needs from a CT log: an SCT for a precertificate chain, already TLS-encoded as an SCT list. */
export interface SctSource {
  sctListFor(chain: Buffer[]): Promise<Buffer>;
}

export interface SigningServiceDeps {
  readonly verifier: TokenVerifier;
  readonly mapClaims: (token: VerifiedToken) => Principal;
  readonly ca: CertificateAuthority;
  readonly ct: SctSource;
  readonly logger: Logger;
  readonly metrics?: IssuanceMetrics;
}

/** Counters an operator can read (exposed later as Prometheus metrics). */
export interface IssuanceMetrics {
  issued(issuer: string): void;
  policyDenied(issuer: string, rule: string): void;
}

export interface IssuedCertificate {
  /** [leaf, intermediate..., root], DER. */
  readonly chain: Buffer[];
}

export interface SigningService {
  issue(req: SigningRequest): Promise<IssuedCertificate>;
}

function clientKeyFor(req: SigningRequest, principal: Principal): ClientKey {
  if (req.key.kind === 'csr') return checkCsr(req.key.pem);
  const key = parseClientKey(req.key.content);
  checkProofOfPossession(key, principal.name, req.key.proof);
  return key;
}

/** Refuses (403, naming the rule) when the issuer's policy does not allow this identity; logs the identity, never the token. */
function enforcePolicy(verified: VerifiedToken, principal: Principal, deps: SigningServiceDeps): void {
  const decision = evaluatePolicy(verified.issuer.policy, verified.claims);
  if (decision.allowed) return;
  const rule = decision.refusedBy ?? 'unknown';
  const verdict = decision.verdicts.find((v) => v.rule === rule);
  deps.metrics?.policyDenied(verified.issuer.issuerUrl, rule);
  deps.logger.log('warn', 'issuance refused by policy', { issuer: verified.issuer.issuerUrl, san: principal.san.value, rule });
  throw new FulgorError('POLICY_DENIED', `rule "${rule}" refused: ${verdict?.reason ?? 'not allowed'}`, { metadata: { rule } });
}

export function createSigningService(deps: SigningServiceDeps): SigningService {
  return {
    async issue(req) {
      const verified = await deps.verifier.verify(req.token);
      const principal = deps.mapClaims(verified);
      enforcePolicy(verified, principal, deps);
      const key = clientKeyFor(req, principal);
      const pre = await deps.ca.precertificate(principal, key);
      let sctList: Buffer;
      try {
        sctList = await deps.ct.sctListFor([pre.der, ...deps.ca.chain]);
      } catch (e) {
        throw isFulgorError(e) ? e : new FulgorError('CT_LOG_UNAVAILABLE', 'the certificate transparency log could not be reached', { cause: e });
      }
      const leaf = await deps.ca.finalize(pre, sctList);
      deps.metrics?.issued(verified.issuer.issuerUrl);
      deps.logger.log('info', 'certificate issued', {
        issuer: verified.issuer.issuerUrl,
        san: principal.san.value,
        key: key.description,
      });
      return { chain: [leaf, ...deps.ca.chain] };
    },
  };
}
