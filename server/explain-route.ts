// POST /api/v2/explain (behind --enable-explain): what a token would get, without issuing anything.
//
//   {"token": "<JWT>"}                              verified fully, then explained
//   {"claims": {...}, "issuer": "<URL>"}            mapped only; `issuer` is optional (else the claims' iss)
//
// 200 with the JSON documented in decision/explain.ts, whether or not a certificate would be issued; a malformed
// request is a 400 in Fulcio's error shape. This router is mounted before the app's JSON parser, so it parses its
// own body (same limit), and only on this route. Tokens are never logged.
import express, { type NextFunction, type Request, type Response } from 'express';
import type { IdentityConfig } from '../oidc/identity-config.js';
import type { RateLimitSettings } from '../config/rate-limit.js';
import { FulgorError } from '../lib/errors.js';
import { jsonBody } from '../lib/json-body.js';
import type { Logger } from '../lib/log.js';
import { explainClaims, explainToken } from '../decision/explain.js';
import type { TokenVerifier } from '../oidc/token-verifier.js';
import { MAX_BODY_BYTES } from './app.js';

export interface ExplainDeps {
  readonly identity: IdentityConfig;
  readonly verifier: TokenVerifier;
  readonly logger: Logger;
  /** The server-wide default rates, so that explain shows the limits that apply. */
  readonly rateLimitDefaults?: RateLimitSettings;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const bad = (message: string) => new FulgorError('BAD_REQUEST', message);

type Parsed = { token: string } | { claims: Record<string, unknown>; issuer?: string };

function parseBody(body: unknown): Parsed {
  if (!isRecord(body)) throw bad('the request body must be a JSON object with "token", or "claims" and optionally "issuer"');
  const unknown = Object.keys(body).filter((k) => !['token', 'claims', 'issuer'].includes(k));
  if (unknown.length > 0) throw bad(`unknown field ${JSON.stringify(unknown[0])}: expected "token", or "claims" and "issuer"`);
  const { token, claims, issuer } = body;
  if ((token === undefined) === (claims === undefined)) throw bad('give exactly one of "token" or "claims"');
  if (token !== undefined) {
    if (typeof token !== 'string' || token === '') throw bad('"token" must be a non-empty string');
    if (issuer !== undefined) throw bad('"issuer" goes with "claims": a token names its own issuer');
    return { token };
  }
  if (!isRecord(claims)) throw bad('"claims" must be a JSON object');
  if (issuer !== undefined && (typeof issuer !== 'string' || issuer === '')) throw bad('"issuer" must be a non-empty string');
  return issuer === undefined ? { claims } : { claims, issuer };
}

export function explainRouter(deps: ExplainDeps): express.Router {
  const r = express.Router();
  const options = deps.rateLimitDefaults ? { rateLimitDefaults: deps.rateLimitDefaults } : {};
  const json = jsonBody({ limitBytes: MAX_BODY_BYTES, strict: false, logger: deps.logger });
  r.post('/explain', json, async (req: Request, res: Response, next: NextFunction) => {
    try {
      const input = parseBody(req.body);
      const x = 'token' in input
        ? await explainToken(deps.identity, deps.verifier, input.token, options)
        : explainClaims(deps.identity, input.claims, input.issuer, options);
      res.status(200).type('application/json').send(JSON.stringify(x));
    } catch (e) {
      next(e);
    }
  });
  return r;
}
