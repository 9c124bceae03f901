// Fulcio's REST surface: v2 JSON routes, the legacy v1 routes cosign v2 uses, and /healthz.
import express, { type Response } from 'express';
import type { IdentityConfig, IssuerConfig } from '../oidc/identity-config.js';
import { challengeClaimFor } from '../oidc/issuer-routing.js';
import type { ReasonCode } from '../lib/errors.js';
import type { HttpMetrics } from '../lib/http-metrics.js';
import { certToPem, pemBlock } from '../lib/pem.js';
import { contextOf } from './request-context.js';
import { parseV1Request, parseV2Request, type SigningRequest } from './request.js';
import type { IssuedCertificate, SigningService } from './signing-service.js';

/** What the app needs of the metrics (server/metrics.ts): /metrics, request counting, refusals by reason. */
export interface RouteMetrics {
  render(): Promise<string> | string;
  readonly contentType?: string;
  readonly http?: HttpMetrics;
  refused?(reason: ReasonCode): void;
}

export interface RouteDeps {
  readonly signing: SigningService;
  /** [issuing CA, ..., root], DER; or a getter of every chain verifiers need, the active one first (reload swaps the CA). */
  readonly caChain: readonly Buffer[] | (() => readonly (readonly Buffer[])[]);
  /** The identity config, or a getter read on every request (the server's config can be reloaded). */
  readonly identity: IdentityConfig | (() => IdentityConfig);
  readonly metrics: RouteMetrics;
  /** /healthz answers 200 while this is true, 503 (NOT_SERVING) once the server is draining (default: always 200). */
  readonly serving?: () => boolean;
}

/** A certificate's PEM with no trailing newline; inside a JSON string when `json` (written escaped, not escaped after). */
const pemOf = (der: Buffer, json: boolean): string => (json ? `"${pemBlock(der, 'CERTIFICATE', '\\n')}"` : pemBlock(der, 'CERTIFICATE', '\n'));

/** A certificate above the leaf (the issuing CA, the root): the same Buffers on every answer, so encoded once each. */
const caPems = new WeakMap<Buffer, { readonly pem: string; readonly json: string }>();
function caPem(der: Buffer): { readonly pem: string; readonly json: string } {
  let known = caPems.get(der);
  if (known === undefined) {
    known = { pem: pemOf(der, false), json: pemOf(der, true) };
    caPems.set(der, known);
  }
  return known;
}

/** The chain's PEMs (trimmed) joined by `separator`, each as JSON strings when `json`: the leaf's made now, the CAs' kept. */
function joinedPems(chain: readonly Buffer[], json: boolean, separator: string): string {
  let out = chain[0] === undefined ? '' : pemOf(chain[0], json);
  for (let i = 1; i < chain.length; i++) {
    const ca = caPem(chain[i]!);
    out += separator + (json ? ca.json : ca.pem);
  }
  return out;
}

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
  for (const [path, route] of SIGNING_ROUTES)
    r.post(path, async (req, res) => {
      const issued = await deps.signing.issue({ ...route.parse(req.body, req.get('authorization')), ...clientAddress(req.ip) }, contextOf(res));
      const answer = route.answer(issued);
      res.status(answer.status).type(answer.type).send(answer.text);
    });
  const chains = () => (typeof deps.caChain === 'function' ? deps.caChain() : [deps.caChain]);
  r.get('/api/v2/trustBundle', (_req, res) => {
    sendJson(res, 200, { chains: chains().map((chain) => ({ certificates: chain.map((c) => certToPem(c)) })) });
  });
  const identity = () => (typeof deps.identity === 'function' ? deps.identity() : deps.identity);
  r.get('/api/v2/configuration', (_req, res) => sendJson(res, 200, configuration(identity())));

  r.get('/api/v1/rootCert', (_req, res) => {
    res.status(200).type('application/pem-certificate-chain').send((chains()[0] ?? []).map((c) => certToPem(c)).join('\n').trim());
  });
  r.get('/metrics', async (_req, res) => {
    res.status(200).type(deps.metrics.contentType ?? 'text/plain; version=0.0.4').send(await deps.metrics.render());
  });
  r.get('/healthz', (_req, res) => {
    const serving = deps.serving?.() ?? true;
    res.status(serving ? 200 : 503).type('application/json').send(serving ? '{"status":"SERVING"}\n' : '{"status":"NOT_SERVING"}\n');
  });
  return r;
}

/** A signing route's answer; the express routes and the node:http ones (server/signing-http.ts) send the same. */
export interface SigningAnswer {
  readonly status: number;
  readonly type: string;
  readonly text: string;
}

/** A signing route: how its body reads as a request, and how an issued chain is answered. */
export interface SigningRoute {
  parse(body: unknown, authorization: string | undefined): SigningRequest;
  answer(issued: IssuedCertificate): SigningAnswer;
}

/** The signing routes (POST): every request to them is a decision with an audit line. */
export const SIGNING_ROUTES: ReadonlyMap<string, SigningRoute> = new Map([
  [
    '/api/v2/signingCert',
    {
      parse: parseV2Request,
      answer: (issued: IssuedCertificate) => ({
        status: 200,
        type: 'application/json',
        // JSON.stringify({ signedCertificateEmbeddedSct: { chain: { certificates: [pem, ...] } } }), the CAs' PEMs kept.
        text: `{"signedCertificateEmbeddedSct":{"chain":{"certificates":[${joinedPems(issued.chain, true, ',')}]}}}`,
      }),
    },
  ],
  [
    '/api/v1/signingCert',
    {
      parse: parseV1Request,
      answer: (issued: IssuedCertificate) => ({ status: 201, type: 'application/pem-certificate-chain', text: joinedPems(issued.chain, false, '\n') }),
    },
  ],
]);

export const SIGNING_PATHS: ReadonlySet<string> = new Set(SIGNING_ROUTES.keys());

/** The client's address for rate limits: the socket's, or X-Forwarded-For's as far as `trust proxy` hops allow (app.ts). */
export const clientAddress = (ip: string | undefined): { clientAddress?: string } =>
  ip === undefined ? {} : { clientAddress: ip.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '') };

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
