// POST /api/v2/explain (behind --enable-explain): what a token would get, without issuing anything.
import express from 'express';
import type { IdentityConfig } from '../config/identity.js';
import { FulgorError } from '../lib/errors.js';
import type { TokenVerifier } from '../oidc/token-verifier.js';

export interface ExplainDeps {
  readonly identity: IdentityConfig;
  readonly verifier: TokenVerifier;
}

export function explainRouter(deps: ExplainDeps): express.Router {
  void deps;
  const r = express.Router();
  r.post('/explain', () => {
    throw new FulgorError('BAD_REQUEST', 'explain is not available yet');
  });
  return r;
}
