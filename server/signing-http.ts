// The two signing routes, POST /api/v2/signingCert and POST /api/v1/signingCert, as a plain node:http handler in
// front of the CA's express app (server/app.ts): express's routing and request/response objects cost more main-thread
// time than the signatures of a certificate (BENCHMARKS.md, issue 12), and these two routes are the CA's hot path.
// Any other request, another method on these paths included, is left to express.
//
// A client sees what the express routes give, byte for byte: the same body reader (express.json, lib/json-body.ts:
// 4 MiB limit, Content-Encoding, charsets, JSON rules and their 400s/413s), the same request parsing and answers
// (routes.ts SIGNING_ROUTES), the same X-Request-Id, client address under `trust proxy` hops (proxy-addr, as express
// reads it), refusal count and audit line, HTTP metrics, error shape and log lines (server/error-response.ts).
// Per request: one context, one metrics hook, one body read and one async function.
import type { IncomingMessage, ServerResponse } from 'node:http';
import proxyaddr from 'proxy-addr';
import { jsonBodyReader } from '../lib/json-body.js';
import { requestPath } from '../lib/request-path.js';
import type { Logger } from '../lib/log.js';
import { sendText } from '../lib/send-text.js';
import type { AuditSink } from './audit-log.js';
import { answerError } from './error-response.js';
import { recordRefusal } from './refusal.js';
import { startContext, type RequestContext } from './request-context.js';
import { clientAddress, SIGNING_ROUTES, type RouteMetrics, type SigningRoute } from './routes.js';
import type { SigningService } from './signing-service.js';

export interface SigningHttpDeps {
  readonly signing: SigningService;
  readonly metrics: RouteMetrics;
  readonly logger: Logger;
  /** Reverse proxies to believe for the client address (express's `trust proxy` as a hop count). */
  readonly trustProxy?: number;
  readonly audit?: AuditSink;
  readonly limitBytes: number;
}

/** Answers the request and returns true when it is one of the signing routes; else returns false and leaves it alone. */
export type SigningHttpHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export function signingHttpHandler(deps: SigningHttpDeps): SigningHttpHandler {
  const hops = deps.trustProxy ?? 0;
  const trust = (_addr: string, i: number) => i < hops;
  // With no proxy believed, proxy-addr's answer is the socket's address: X-Forwarded-For is not parsed at all.
  const ip = (req: IncomingMessage) => (hops === 0 ? req.socket.remoteAddress : proxyaddr(req, trust));
  // Fulcio does not enforce a content type; neither do we (the express app's reader is built the same way).
  const readBody = jsonBodyReader({ limitBytes: deps.limitBytes, strict: false, logger: deps.logger });

  async function answer(req: IncomingMessage, res: ServerResponse, path: string, route: SigningRoute, context: RequestContext, err: unknown, body: unknown) {
    try {
      if (err !== undefined) throw err;
      const issued = await deps.signing.issue({ ...route.parse(body, req.headers.authorization), ...clientAddress(ip(req)) }, context);
      const a = route.answer(issued);
      sendText(res, a.status, a.type, a.text);
    } catch (e) {
      recordRefusal(deps, e, context);
      answerError(deps.logger, e, { method: 'POST', path, requestId: context.requestId }, res);
    }
  }

  return (req, res) => {
    if (req.method !== 'POST') return false;
    const path = requestPath(req);
    const route = SIGNING_ROUTES.get(path);
    if (route === undefined) return false;
    const context = startContext(req, res);
    deps.metrics.http?.track(req, res, path);
    readBody(req, res, (err, body) => void answer(req, res, path, route, context, err, body));
    return true;
  };
}
