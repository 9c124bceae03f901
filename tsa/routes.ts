// The TSA's HTTP API, as sigstore/timestamp-authority serves it:
//   POST /api/v1/timestamp            application/timestamp-query (DER TimeStampReq) or application/json
//                                     -> 201 application/timestamp-reply (DER TimeStampResp)
//   GET  /api/v1/timestamp/certchain  -> 200 application/pem-certificate-chain (TSA certificate ... root)
// A refused DER query is answered with a TimeStampResp whose status is `rejection` and whose failInfo says why
// (400; 413 for a body over the cap), so RFC 3161 clients read the reason where they look for it; a refused JSON
// request, and anything that is not a timestamp request at all, with sigstore's JSON error {code, message}.
import express, { type NextFunction, type Request, type Response } from 'express';
import { bodyReadError } from '../lib/json-body.js';
import type { Logger } from '../lib/log.js';
import type { TimestampAuthority } from './authority.js';
import { rejectionResponse, TsaRejection } from './rejection.js';
import { parseJsonRequest, parseTimestampQuery } from './request.js';

export const TIMESTAMP_PATH = '/api/v1/timestamp';
/** A TimeStampReq is about 100 bytes; the cap leaves room for JSON and request extensions. */
export const MAX_TSA_BODY_BYTES = 64 * 1024;

export interface TsaRouteDeps {
  readonly tsa: TimestampAuthority;
  readonly logger: Logger;
  readonly limitBytes?: number;
}

type Kind = 'der' | 'json';

const mediaType = (req: Request): string => (req.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();

function kindOf(req: Request): Kind | undefined {
  const type = mediaType(req);
  return type === 'application/timestamp-query' ? 'der' : type === 'application/json' ? 'json' : undefined;
}

const sendJsonError = (res: Response, status: number, message: string): void => {
  res.status(status).type('application/json').send(JSON.stringify({ code: status, message }));
};

function refuse(res: Response, kind: Kind, r: TsaRejection, status = r.httpStatus): void {
  if (kind === 'der') res.status(status).type('application/timestamp-reply').send(rejectionResponse(r));
  else sendJsonError(res, status, `${r.failInfo}: ${r.message}`);
}

/** The routes under TIMESTAMP_PATH (mount the router there). */
export function timestampRouter(deps: TsaRouteDeps): express.Router {
  const limit = deps.limitBytes ?? MAX_TSA_BODY_BYTES;
  const router = express.Router({ strict: true, caseSensitive: true });
  const policies = [deps.tsa.policy];
  const rawBody = express.raw({ type: () => true, limit });
  const certChain = Buffer.from(deps.tsa.certChainPem, 'utf8'); // a Buffer, so express adds no charset

  router.post('/', (req, res, next) => {
    const kind = kindOf(req);
    if (!kind) {
      req.resume();
      return sendJsonError(res, 415, 'Content-Type must be application/timestamp-query (a DER TimeStampReq) or application/json');
    }
    rawBody(req, res, (err?: unknown) => {
      if (err) {
        if (!req.complete && req.socket.destroyed) return; // the client went away: nobody to answer
        const e = bodyReadError(err, req.get('content-encoding'), limit);
        if (!e) return next(err);
        return refuse(res, kind, new TsaRejection('badRequest', e.message), e.code === 'BODY_TOO_LARGE' ? 413 : 400);
      }
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      void (async () => {
        try {
          const parsed = kind === 'der' ? parseTimestampQuery(body, policies) : parseJsonRequest(body.toString('utf8'), policies);
          const { der } = await deps.tsa.timestamp(parsed);
          res.status(201).type('application/timestamp-reply').send(der);
        } catch (e) {
          if (!(e instanceof TsaRejection)) return next(e);
          if (e.httpStatus >= 500) deps.logger.log('error', 'timestamp failed', { failInfo: e.failInfo, error: e.cause instanceof Error ? e.cause.message : String(e.cause) });
          refuse(res, kind, e);
        }
      })();
    });
  });
  router.get('/certchain', (_req, res) => {
    res.status(200).type('application/pem-certificate-chain').send(certChain);
  });
  const notAllowed = (allow: string) => (_req: Request, res: Response) => {
    res.set('allow', allow);
    sendJsonError(res, 405, `method not allowed (${allow})`);
  };
  router.all('/', notAllowed('POST'));
  router.all('/certchain', notAllowed('GET'));
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- Express knows an error handler by its four parameters
  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    deps.logger.log('error', 'timestamp request failed', { method: req.method, path: req.originalUrl, error: err instanceof Error ? err.message : String(err) });
    if (!res.headersSent) sendJsonError(res, 500, 'internal error');
  });
  return router;
}

/** Where no TSA is configured: every request under TIMESTAMP_PATH is a 404 that says so. */
export function timestampOffRouter(): express.Router {
  const router = express.Router();
  router.use((req, res) => {
    req.resume();
    sendJsonError(res, 404, 'this server has no timestamp authority (its keys dir holds no tsa.pem and tsa.key.pem)');
  });
  return router;
}

/** `fulgor tsa serve`: the TSA routes alone, and a JSON 404 for every other path. */
export function createTsaApp(deps: TsaRouteDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(TIMESTAMP_PATH, timestampRouter(deps));
  app.use((_req, res) => sendJsonError(res, 404, 'not found'));
  return app;
}
