// OpenID Connect discovery: GET {issuer}/.well-known/openid-configuration; the document's issuer must equal the
// configured URL exactly. The JWKS it names is fetched once here (so an issuer with an unusable key set fails its
// discovery, and is remembered as failed), then kept by jose and refetched when an unknown kid appears. Both requests
// go through oidc/issuer-http.ts: same-host redirects only, the issuer's CACert bundle if any, at most 1 MiB each,
// and each within `timeoutMs`.
import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey } from 'jose';
import { FulgorError } from '../lib/errors.js';
import { issuerFetch, type IssuerFetch } from './issuer-http.js';

/** Algorithms Fulcio accepts for identity tokens (go-oidc's supported set). */
export const SUPPORTED_TOKEN_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'EdDSA'];

export interface Provider {
  readonly issuer: string;
  readonly algorithms: readonly string[];
  readonly keys: JWTVerifyGetKey;
}

/**
 * Told of every discovery and JWKS fetch (server/metrics.ts counts them); oidc/ itself knows no metrics library.
 * `issuer` is the configured issuer: its URL, or the MetaIssuers pattern that matched.
 */
export interface IssuerFetchObserver {
  fetched(issuer: string, kind: 'discovery' | 'jwks', outcome: 'ok' | 'error'): void;
}

export interface DiscoveryOptions {
  readonly fetch?: typeof fetch;
  readonly timeoutMs?: number;
  /** Minimum time between JWKS refetches triggered by unknown key IDs. */
  readonly jwksCooldownMs?: number;
  /** PEM bundle trusted (with the system roots) for this issuer's HTTPS: Fulcio's `CACert`. */
  readonly caCert?: string;
  readonly observer?: IssuerFetchObserver;
  /** The issuer as the observer is told it (default: the URL). */
  readonly observedAs?: string;
}

/** `doFetch`, reporting each JWKS fetch's outcome (an answer other than 2xx is an error) to `observer`. */
function observedFetch(doFetch: IssuerFetch, report: (outcome: 'ok' | 'error') => void): IssuerFetch {
  return async (url, init) => {
    try {
      const res = await doFetch(url, init);
      report(res.ok ? 'ok' : 'error');
      return res;
    } catch (e) {
      report('error');
      throw e;
    }
  };
}

export async function discover(issuer: string, opts: DiscoveryOptions = {}): Promise<Provider> {
  const doFetch = issuerFetch({ ...(opts.caCert !== undefined ? { caCert: opts.caCert } : {}), ...(opts.fetch ? { fetch: opts.fetch } : {}) });
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const unavailable = (why: string, cause?: unknown) =>
    new FulgorError('ISSUER_UNAVAILABLE', `OIDC discovery for ${issuer} failed: ${why}`, { cause, metadata: { issuer } });
  const observedAs = opts.observedAs ?? issuer;
  const report = (kind: 'discovery' | 'jwks') => (outcome: 'ok' | 'error') => opts.observer?.fetched(observedAs, kind, outcome);
  try {
    const provider = await discoverWith(issuer, doFetch, url, unavailable, opts, report('jwks'));
    report('discovery')('ok');
    return provider;
  } catch (e) {
    report('discovery')('error');
    throw e;
  }
}

/** The discovery document, checked, and the JWKS it names, fetched once (each JWKS fetch is reported). */
async function discoverWith(
  issuer: string,
  doFetch: IssuerFetch,
  url: string,
  unavailable: (why: string, cause?: unknown) => FulgorError,
  opts: DiscoveryOptions,
  reportJwks: (outcome: 'ok' | 'error') => void,
): Promise<Provider> {
  let doc: Record<string, unknown>;
  try {
    const res = await doFetch(url, { signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000) });
    if (!res.ok) throw unavailable(`HTTP ${res.status}`);
    doc = (await res.json()) as Record<string, unknown>;
  } catch (e) {
    throw e instanceof FulgorError ? e : unavailable(e instanceof Error ? e.message : 'unreachable', e);
  }
  if (typeof doc !== 'object' || doc === null) throw unavailable('the discovery document is not a JSON object');
  if (doc['issuer'] !== issuer) throw unavailable(`the discovery document names issuer ${JSON.stringify(doc['issuer'])}`);
  const jwksUri = doc['jwks_uri'];
  if (typeof jwksUri !== 'string' || !URL.canParse(jwksUri)) throw unavailable('the discovery document has no valid jwks_uri');
  const advertised = doc['id_token_signing_alg_values_supported'];
  const algorithms = Array.isArray(advertised)
    ? SUPPORTED_TOKEN_ALGORITHMS.filter((a) => advertised.includes(a))
    : ['RS256'];
  const keys = createRemoteJWKSet(new URL(jwksUri), {
    timeoutDuration: opts.timeoutMs ?? 10_000,
    cooldownDuration: opts.jwksCooldownMs ?? 1_000,
    [customFetch]: observedFetch(doFetch, reportJwks),
  });
  try {
    await keys.reload();
  } catch (e) {
    throw unavailable(`its key set could not be fetched: ${e instanceof Error ? e.message : 'unreachable'}`, e);
  }
  return { issuer, algorithms, keys };
}
