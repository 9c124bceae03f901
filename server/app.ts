// The CA's express app: body limit, JSON parsing that never crashes, Fulcio routes, Fulcio-shaped 404/501/errors.
// It never listens by itself; the caller does.
import express from 'express';
import { jsonBody } from '../lib/json-body.js';
import type { Logger } from '../lib/log.js';
import { errorHandler } from './error-response.js';
import { fulcioRoutes, KNOWN_PATHS, type RouteDeps } from './routes.js';

export const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface AppDeps extends RouteDeps {
  readonly logger: Logger;
  /** Extra routers mounted before the Fulcio routes (the development OIDC issuer in --dev mode). */
  readonly extraRouters?: ReadonlyArray<readonly [string, express.Router]>;
  /**
   * How many reverse proxies in front of the CA to believe: the client address (per-address rate limits) is then read
   * from X-Forwarded-For that many hops back, as express's `trust proxy` does. 0 (default): the socket's address.
   */
  readonly trustProxy?: number;
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', deps.trustProxy ?? 0);
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
  app.use(errorHandler(deps.logger));
  return app;
}
