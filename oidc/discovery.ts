// OpenID Connect discovery through openid-client (its `discovery`: the well-known URL, the metadata's shape, a 200
// answer), with our fetch (oidc/issuer-http.ts) as its `[customFetch]`: same-host redirects only, the issuer's CACert
// bundle if any, at most 1 MiB, and its `timeout`. openid-client compares the document's issuer with the configured
// one after URL normalization (and lets some Microsoft tenants differ); Fulcio compares strings, so the exact check
// is made here again. The JWKS the document names is fetched once here (so an issuer with an unusable key set fails
// its discovery, and is remembered as failed), then kept by jose and refetched when an unknown kid appears, through
// the same fetch. Failures are ISSUER_UNAVAILABLE with a safe reason; the cause (code, host, Node's words) is logged.
import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey } from 'jose';
import * as oidcClient from 'openid-client';
import { FulgorError } from '../lib/errors.js';
import { findOutbound } from '../lib/outbound-error.js';
import { issuerFetch } from './issuer-http.js';

/** Algorithms Fulcio accepts for identity tokens (go-oidc's supported set). */
export const SUPPORTED_TOKEN_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'EdDSA'];

export interface Provider {
  readonly issuer: string;
  readonly algorithms: readonly string[];
  readonly keys: JWTVerifyGetKey;
}

export interface DiscoveryOptions {
  readonly fetch?: typeof fetch;
  readonly timeoutMs?: number;
  /** Minimum time between JWKS refetches triggered by unknown key IDs. */
  readonly jwksCooldownMs?: number;
  /** PEM bundle trusted (with the system roots) for this issuer's HTTPS: Fulcio's `CACert`. */
  readonly caCert?: string;
}

/** Why discovery failed, in words a client may see: no address, no internal name. */
function safeReason(e: unknown): string {
  const outbound = findOutbound(e);
  if (outbound) return outbound.safe;
  if (e instanceof oidcClient.ClientError) {
    const cause: unknown = e.cause;
    if (cause instanceof Response) return `HTTP ${cause.status}`;
    if (e.code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED') {
      const body = (cause as { body?: { issuer?: unknown } } | undefined)?.body;
      return `the discovery document names issuer ${JSON.stringify(body?.issuer)}`;
    }
    return e.message;
  }
  return e instanceof Error ? e.message : 'unreachable';
}

export async function discover(issuer: string, opts: DiscoveryOptions = {}): Promise<Provider> {
  const doFetch = issuerFetch({ ...(opts.caCert !== undefined ? { caCert: opts.caCert } : {}), ...(opts.fetch ? { fetch: opts.fetch } : {}) });
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const unavailable = (why: string, cause?: unknown) =>
    new FulgorError('ISSUER_UNAVAILABLE', `OIDC discovery for ${issuer} failed: ${why}`, { cause, metadata: { issuer } });
  if (!URL.canParse(issuer)) throw unavailable('the issuer is not a URL');
  const server = new URL(issuer);
  let doc: Record<string, unknown>;
  try {
    const config = await oidcClient.discovery(server, 'sigstore', undefined, undefined, {
      [oidcClient.customFetch]: doFetch as oidcClient.CustomFetch,
      timeout: timeoutMs / 1000,
      // The scheme is the configuration's: an http:// issuer outside --dev gets a warning at start (server/serve.ts).
      ...(server.protocol === 'http:' ? { execute: [oidcClient.allowInsecureRequests] } : {}),
    });
    doc = config.serverMetadata() as Record<string, unknown>;
  } catch (e) {
    throw unavailable(safeReason(e), e);
  }
  if (doc['issuer'] !== issuer) throw unavailable(`the discovery document names issuer ${JSON.stringify(doc['issuer'])}`);
  const jwksUri = doc['jwks_uri'];
  if (typeof jwksUri !== 'string' || !URL.canParse(jwksUri)) throw unavailable('the discovery document has no valid jwks_uri');
  const advertised = doc['id_token_signing_alg_values_supported'];
  const algorithms = Array.isArray(advertised)
    ? SUPPORTED_TOKEN_ALGORITHMS.filter((a) => advertised.includes(a))
    : ['RS256'];
  const keys = createRemoteJWKSet(new URL(jwksUri), {
    timeoutDuration: timeoutMs,
    cooldownDuration: opts.jwksCooldownMs ?? 1_000,
    [customFetch]: doFetch,
  });
  try {
    await keys.reload();
  } catch (e) {
    throw unavailable(`its key set could not be fetched: ${safeReason(e)}`, e);
  }
  return { issuer, algorithms, keys };
}
