// The CA's request listener: the two signing routes in plain node:http (server/signing-http.ts), in front of the
// express app for everything else: request ids and metrics, body limit, JSON parsing that never crashes, Fulcio
// routes, Fulcio-shaped 404/501/errors, and an audit line and a refusal count for every refused signing request. It
// never listens by itself; the caller does.
import type { RequestListener } from 'node:http';
import express, { type ErrorRequestHandler } from 'express';
import { jsonBody } from '../lib/json-body.js';
import type { Logger } from '../lib/log.js';
import type { AuditSink } from './audit-log.js';
import { errorHandler } from './error-response.js';
import { recordRefusal } from './refusal.js';
import { contextOf, requestContext } from './request-context.js';
import { fulcioRoutes, KNOWN_PATHS, SIGNING_PATHS, type RouteDeps } from './routes.js';
import { signingHttpHandler } from './signing-http.js';

export const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** Who answers the two signing routes: plain node:http (the default) or the express app (to compare them). */
export type SigningRoutesIn = 'node' | 'express';

export interface AppDeps extends RouteDeps {
  readonly logger: Logger;
  /** Extra routers mounted before the Fulcio routes (the development OIDC issuer in --dev mode). */
  readonly extraRouters?: ReadonlyArray<readonly [string, express.Router]>;
  /**
   * How many reverse proxies in front of the CA to believe: the client address (per-address rate limits) is then read
   * from X-Forwarded-For that many hops back, as express's `trust proxy` does. 0 (default): the socket's address.
   */
  readonly trustProxy?: number;
  /** Where refused signing requests' audit lines go (issued ones are the signing service's). */
  readonly audit?: AuditSink;
  readonly signingRoutes?: SigningRoutesIn;
}

/** Every refused signing request the express app answers (server/refusal.ts). */
function refusals(deps: AppDeps): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (req.method === 'POST' && SIGNING_PATHS.has(req.path)) recordRefusal(deps, err, contextOf(res));
    next(err);
  };
}

/**
 * The CA's request listener: the signing routes answered by plain node:http (server/signing-http.ts), everything
 * else by the express app. `signingRoutes: 'express'` leaves the signing routes to express too (A/B benchmarks).
 */
export function createApp(deps: AppDeps): RequestListener {
  const app = createExpressApp(deps);
  if (deps.signingRoutes === 'express') return app;
  const signing = signingHttpHandler({ ...deps, limitBytes: MAX_BODY_BYTES });
  return (req, res) => {
    if (!signing(req, res)) app(req, res);
  };
}

function createExpressApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', deps.trustProxy ?? 0);
  app.use(requestContext);
  if (deps.metrics.http) app.use(deps.metrics.http);
  for (const [path, router] of deps.extraRouters ?? []) app.use(path, router);
  // Fulcio does not enforce a content type; neither do we.
  app.use(jsonBody({ limitBytes: MAX_BODY_BYTES, strict: false, logger: deps.logger }));
  app.use(fulcioRoutes(deps));
  app.use((req, res) => {
    const known = KNOWN_PATHS.has(req.path);
    res
      .status(known ? 501 : 404)
      .type('application/json')
      .send(JSON.stringify(known ? { code: 12, message: 'Method Not Allowed', details: [] } : { code: 5, message: 'Not Found', details: [] }));
  });
  app.use(refusals(deps));
  app.use(errorHandler(deps.logger));
  return app;
}
