// The transport-agnostic issuance flow: verify the token, let the decision core (decision/decide.ts, which explain
// uses too) map the claims, evaluate the policy and build the certificate's identity, take a token from each rate-limit
// bucket that applies (decision/rate-limits.ts; 429 RATE_LIMITED when one is empty), check the key and its proof,
// issue a precertificate carrying exactly that identity, log it, and issue the final certificate with the SCT
// embedded. No certificate leaves without an SCT, nor without its durable audit line (server/audit-log.ts): what the
// request establishes is recorded in its context's facts as it goes, so that a refusal's audit line (written by the
// app's error path, server/app.ts) says what was known when it stopped.
import { decodeJwt } from 'jose';
import type { CertificateAuthority } from '../ca/authority.js';
import type { CertifiedKey } from '../ca/client-key.js';
import { checkCsr } from '../ca/csr.js';
import { checkKeyAndProof } from '../ca/proof-of-possession.js';
import { FulgorError, isFulgorError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import type { Principal } from '../oidc/principal.js';
import type { TokenVerifier, VerifiedToken } from '../oidc/token-verifier.js';
import { decide, type Decision } from '../decision/decide.js';
import { rateLimitsFor } from '../decision/rate-limits.js';
import type { RateLimitSettings } from '../config/rate-limit.js';
import type { IssuerConfig } from '../oidc/identity-config.js';
import type { BucketCheck, RateLimiter } from './rate-limiter.js';
import { auditRecord, sha256Hex, type AuditFacts, type AuditSink } from './audit-log.js';
import type { RequestContext } from './request-context.js';
import type { SigningRequest } from './request.js';

/** A precertificate entered in a CT log: the TLS-encoded SCT list to embed, the SCT's timestamp and the entry's index. */
export interface LoggedPrecertificate {
  readonly sctList: Buffer;
  /** Milliseconds since the epoch, as the SCT carries it. */
  readonly sctTimestamp: number;
  /** The entry's index in the log; null when the log does not say (an external log over HTTP). */
  readonly logIndex: number | null;
}

/** What the CA needs from a CT log (server/sct-source.ts). */
export interface SctSource {
  logPrecertificate(chain: Buffer[]): Promise<LoggedPrecertificate>;
}

export interface SigningServiceDeps {
  readonly verifier: TokenVerifier;
  /** The CA, or a holder whose current CA each request takes for its whole length (server/ca-holder.ts). */
  readonly ca: CertificateAuthority | CaUser;
  readonly ct: SctSource;
  readonly logger: Logger;
  readonly metrics?: IssuanceMetrics;
  /** Rate limits: the buckets (memory or Redis) and the server-wide default rates. */
  readonly rateLimits?: { readonly limiter: RateLimiter; readonly defaults: RateLimitSettings };
  /** Where each issuance's audit line goes; the certificate is returned only once its line is durable. */
  readonly audit?: AuditSink;
}

/** Lends the CA current when a request starts, for the whole request. */
export interface CaUser {
  use<T>(fn: (ca: CertificateAuthority) => Promise<T>): Promise<T>;
}

/** Counters an operator can read (server/metrics.ts exposes them at /metrics). */
export interface IssuanceMetrics {
  issued(issuer: string): void;
  policyDenied(issuer: string, rule: string): void;
  /** A request refused by a rate limit, by its scope (the rate limiter calls it once per refusal). */
  rateLimited(scope: string): void;
}

export interface IssuedCertificate {
  /** [leaf, intermediate..., root], DER. */
  readonly chain: Buffer[];
}

export interface SigningService {
  /** `context` (the request id, and the facts its audit line reports) is a fresh one when not given. */
  issue(req: SigningRequest, context?: RequestContext): Promise<IssuedCertificate>;
}

/** The token's `iss`, unverified, for the audit line of a token refused before it was verified (never the token). */
function claimedIssuer(token: string): string | undefined {
  try {
    const iss = decodeJwt(token).iss;
    return typeof iss === 'string' ? iss.slice(0, 200) : undefined;
  } catch {
    return undefined;
  }
}

/** The serial number's hex digits from its DER INTEGER (tag, one- or two-byte length as a 20-octet serial has). */
function serialHex(integerTlv: Buffer): string {
  const len = integerTlv[1] as number;
  const start = len & 0x80 ? 2 + (len & 0x7f) : 2;
  return integerTlv.subarray(start).toString('hex');
}

async function clientKeyFor(req: SigningRequest, principal: Principal): Promise<CertifiedKey> {
  if (req.key.kind === 'csr') return checkCsr(req.key.pem);
  return checkKeyAndProof(req.key.content, principal.name, req.key.proof);
}

/**
 * Throws the decision's first refusal met before the proof of possession: the claim mapping's, else the policy's
 * (403 POLICY_DENIED naming the rule, counted and logged with the identity, never the token).
 */
function refuseIdentity(verified: VerifiedToken, decision: Decision, deps: SigningServiceDeps, requestId: string): void {
  const refusal = decision.refusals.find((r) => r.stage !== 'certificate');
  if (refusal === undefined) return;
  if (refusal.stage === 'policy' && isFulgorError(refusal.error) && refusal.error.code === 'POLICY_DENIED') {
    const rule = refusal.error.metadata['rule'] ?? 'unknown';
    deps.metrics?.policyDenied(verified.issuer.issuerUrl, rule);
    deps.logger.log('warn', 'issuance refused by policy', { request_id: requestId, issuer: verified.issuer.issuerUrl, san: decision.principal?.san.value, rule });
  }
  throw refusal.error;
}

const SCOPE_WORDS = { identity: 'identity', repository: 'repository', address: 'client address' } as const;

/**
 * Takes a token from every bucket that applies to this identity (and client address), or throws RATE_LIMITED (429,
 * with Retry-After from metadata.retryAfterSeconds) naming the scope that refused, never the token.
 */
async function enforceRateLimits(issuer: IssuerConfig, principal: Principal, req: SigningRequest, deps: SigningServiceDeps): Promise<void> {
  const rl = deps.rateLimits;
  if (rl === undefined) return;
  const checks: BucketCheck[] = [];
  for (const l of rateLimitsFor(issuer, principal, rl.defaults)) {
    if (l.rate === undefined) continue;
    if (l.scope === 'address') {
      if (req.clientAddress === undefined) continue;
      checks.push({ scope: l.scope, key: [...l.key, req.clientAddress], rate: l.rate });
    } else checks.push({ scope: l.scope, key: l.key, rate: l.rate });
  }
  if (checks.length === 0) return;
  const result = await rl.limiter.check(checks);
  if (result.allowed) return;
  const rate = checks.find((c) => c.scope === result.scope)?.rate.text ?? '';
  deps.logger.log('warn', 'issuance rate-limited', { issuer: issuer.issuerUrl, san: principal.san.value, scope: result.scope, rate, retryAfterSeconds: result.retryAfterSeconds });
  throw new FulgorError('RATE_LIMITED', `too many certificate requests for this ${SCOPE_WORDS[result.scope]} (limit ${rate}); retry in ${result.retryAfterSeconds} s`, {
    metadata: { scope: result.scope, limit: rate, retryAfterSeconds: String(result.retryAfterSeconds) },
  });
}

export function createSigningService(deps: SigningServiceDeps): SigningService {
  const ca = deps.ca;
  const withCa = <T>(fn: (ca: CertificateAuthority) => Promise<T>): Promise<T> => ('use' in ca ? ca.use(fn) : fn(ca));
  return {
    async issue(req, context = { requestId: '', facts: {} }) {
      const facts: AuditFacts = context.facts;
      let verified: VerifiedToken;
      try {
        verified = await deps.verifier.verify(req.token);
      } catch (e) {
        const iss = claimedIssuer(req.token);
        if (iss !== undefined) {
          facts.issuer = iss;
          facts.issuerVerified = false;
        }
        throw e;
      }
      const issuerUrl = verified.issuer.issuerUrl;
      facts.issuer = issuerUrl;
      facts.issuerVerified = true;
      const decision = decide(verified.issuer, verified.claims);
      if (decision.principal) {
        facts.san = decision.principal.san.value;
        facts.claims = Object.fromEntries(Object.entries(decision.principal.extensions).filter(([, v]) => typeof v === 'string' && v !== ''));
      }
      refuseIdentity(verified, decision, deps, context.requestId);
      const { principal, certificate } = decision;
      if (principal === undefined || certificate === undefined) throw new FulgorError('INTERNAL', 'the decision has no identity'); // unreachable: mapping refused
      // Before the key's proof is checked and anything is signed: a refused request costs the CA no signature.
      await enforceRateLimits(verified.issuer, principal, req, deps);
      const key = await clientKeyFor(req, principal);
      facts.publicKeyFingerprint = sha256Hex(key.spki);
      facts.publicKeyAlgorithm = key.description;
      // A value the certificate cannot carry is met here, after the proof of possession, as the CA meets it.
      const late = decision.refusals.find((r) => r.stage === 'certificate');
      if (late !== undefined || certificate.der === undefined) throw late?.error ?? new FulgorError('INTERNAL', 'the certificate identity was not encoded');
      const identityDer = certificate.der;
      const chain = await withCa(async (ca) => {
        const pre = await ca.precertificateWith(identityDer, key);
        facts.serial = serialHex(pre.parts.serial);
        let logged: LoggedPrecertificate;
        try {
          logged = await deps.ct.logPrecertificate([pre.der, ...ca.chain]);
        } catch (e) {
          throw isFulgorError(e) ? e : new FulgorError('CT_LOG_UNAVAILABLE', 'the certificate transparency log could not be reached', { cause: e });
        }
        facts.ctIndex = logged.logIndex;
        facts.sctTimestamp = logged.sctTimestamp;
        return [await ca.finalize(pre, logged.sctList), ...ca.chain];
      });
      facts.fingerprint = sha256Hex(chain[0] as Buffer);
      if (deps.audit) {
        try {
          await deps.audit.write(auditRecord(context));
        } catch (e) {
          throw new FulgorError('INTERNAL', 'the audit log could not be written; no certificate was returned', { cause: e });
        }
      }
      deps.metrics?.issued(issuerUrl);
      deps.logger.log('info', 'certificate issued', {
        request_id: context.requestId,
        issuer: issuerUrl,
        san: principal.san.value,
        key: key.description,
        serial: facts.serial,
        fingerprint: facts.fingerprint,
        ct_index: facts.ctIndex,
        sct_timestamp: facts.sctTimestamp,
      });
      return { chain };
    },
  };
}
