// Fulcio's REST surface: v2 JSON routes, the legacy v1 routes cosign v2 uses, and /healthz.
import express, { type Request, type Response } from 'express';
import type { IdentityConfig, IssuerConfig } from '../oidc/identity-config.js';
import { challengeClaimFor } from '../oidc/issuer-routing.js';
import { certToPem } from '../lib/pem.js';
import { parseV1Request, parseV2Request } from './request.js';
import type { SigningService } from './signing-service.js';

export interface RouteDeps {
  readonly signing: SigningService;
  /** [issuing CA, ..., root], DER; or a getter of every chain verifiers need, the active one first (reload swaps the CA). */
  readonly caChain: readonly Buffer[] | (() => readonly (readonly Buffer[])[]);
  /** The identity config, or a getter read on every request (the server's config can be reloaded). */
  readonly identity: IdentityConfig | (() => IdentityConfig);
  readonly metrics: { render(): string };
}

const trimmedPem = (der: Buffer) => certToPem(der).trim();

function sendJson(res: Response, status: number, body: unknown): void {
  res.status(status).type('application/json').send(JSON.stringify(body));
}

function configuration(identity: IdentityConfig) {
  const entry = (cfg: IssuerConfig, urlKey: string, url: string) => ({
    [urlKey]: url,
    audience: cfg.clientId,
    challengeClaim: challengeClaimFor(cfg),
    spiffeTrustDomain: cfg.spiffeTrustDomain ?? '',
    issuerType: cfg.type,
    subjectDomain: cfg.subjectDomain ?? '',
    skipEmailVerification: cfg.skipEmailVerification ?? false,
  });
  return {
    issuers: [
      ...[...identity.oidcIssuers.entries()].map(([url, cfg]) => entry(cfg, 'issuerUrl', url)),
      ...identity.metaIssuers.map((m) => entry(m.config, 'wildcardIssuerUrl', m.pattern)),
    ],
  };
}

export function fulcioRoutes(deps: RouteDeps): express.Router {
  // Paths match exactly, as grpc-gateway's do (and as KNOWN_PATHS decides 404 against 501): no other case, no trailing slash.
  const r = express.Router({ caseSensitive: true, strict: true });
  const auth = (req: Request) => req.get('authorization');
  /** The socket's address, or X-Forwarded-For's as far as the app's `trust proxy` hops allow (app.ts). */
  const from = (req: Request) => (req.ip === undefined ? {} : { clientAddress: req.ip.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '') });

  r.post('/api/v2/signingCert', async (req, res) => {
    const issued = await deps.signing.issue({ ...parseV2Request(req.body, auth(req)), ...from(req) });
    sendJson(res, 200, { signedCertificateEmbeddedSct: { chain: { certificates: issued.chain.map(trimmedPem) } } });
  });
  const chains = () => (typeof deps.caChain === 'function' ? deps.caChain() : [deps.caChain]);
  r.get('/api/v2/trustBundle', (_req, res) => {
    sendJson(res, 200, { chains: chains().map((chain) => ({ certificates: chain.map((c) => certToPem(c)) })) });
  });
  const identity = () => (typeof deps.identity === 'function' ? deps.identity() : deps.identity);
  r.get('/api/v2/configuration', (_req, res) => sendJson(res, 200, configuration(identity())));

  r.post('/api/v1/signingCert', async (req, res) => {
    const issued = await deps.signing.issue({ ...parseV1Request(req.body, auth(req)), ...from(req) });
    res.status(201).type('application/pem-certificate-chain').send(issued.chain.map(trimmedPem).join('\n'));
  });
  r.get('/api/v1/rootCert', (_req, res) => {
    res.status(200).type('application/pem-certificate-chain').send((chains()[0] ?? []).map((c) => certToPem(c)).join('\n').trim());
  });
  r.get('/metrics', (_req, res) => {
    res.status(200).type('text/plain; version=0.0.4').send(deps.metrics.render());
  });
  r.get('/healthz', (_req, res) => {
    res.status(200).type('application/json').send('{"status":"SERVING"}\n');
  });
  return r;
}

/** Paths the router owns, for answering a wrong method with Fulcio's 501 rather than 404. */
export const KNOWN_PATHS = new Set([
  '/api/v2/signingCert',
  '/api/v2/trustBundle',
  '/api/v2/configuration',
  '/api/v1/signingCert',
  '/api/v1/rootCert',
  '/healthz',
  '/metrics',
]);
