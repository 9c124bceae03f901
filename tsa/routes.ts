// The TSA's HTTP API, as sigstore/timestamp-authority serves it:
//   POST /api/v1/timestamp            application/timestamp-query (DER TimeStampReq) or application/json
//                                     -> 201 application/timestamp-reply (DER TimeStampResp)
//   GET  /api/v1/timestamp/certchain  -> 200 application/pem-certificate-chain (TSA certificate ... root)
// A refused DER query is answered with a TimeStampResp whose status is `rejection` and whose failInfo says why
// (400; 413 for a body over the cap), so RFC 3161 clients read the reason where they look for it; a refused JSON
// request, and anything that is not a timestamp request at all, with sigstore's JSON error {code, message}.
//
// The handlers are plain node:http handlers (they read the body themselves): express's body parsing and response
// helpers cost more than building and signing the token. `timestampRouter` mounts them in an express app (the CA
// port); `tsaRequestListener` serves them alone (`fulgor tsa serve`) with no express at all.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import express from 'express';
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
type Handler = (req: IncomingMessage, res: ServerResponse) => void;

function kindOf(req: IncomingMessage): Kind | undefined {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/timestamp-query' ? 'der' : type === 'application/json' ? 'json' : undefined;
}

function send(res: ServerResponse, status: number, type: string, body: Buffer, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'content-length': String(body.length), ...extra }).end(body);
}

const sendJsonError = (res: ServerResponse, status: number, message: string, extra?: Record<string, string>): void =>
  send(res, status, 'application/json', Buffer.from(JSON.stringify({ code: status, message })), extra);

function refuse(res: ServerResponse, kind: Kind, r: TsaRejection, status = r.httpStatus, extra?: Record<string, string>): void {
  if (kind === 'der') send(res, status, 'application/timestamp-reply', rejectionResponse(r), extra);
  else sendJsonError(res, status, `${r.failInfo}: ${r.message}`, extra);
}

/**
 * Reads the whole body up to `limit` bytes. A body over the cap (by Content-Length or as it arrives) or a
 * Content-Encoding is refused at once, and the connection is closed after the answer; a client that goes away
 * gets nothing.
 */
function readBody(req: IncomingMessage, res: ServerResponse, kind: Kind, limit: number, then: (body: Buffer) => void): void {
  const stop = (r: TsaRejection, status: number) => {
    req.removeAllListeners('data');
    req.resume();
    refuse(res, kind, r, status, { connection: 'close' });
  };
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity') return stop(new TsaRejection('badRequest', `Content-Encoding ${JSON.stringify(encoding.slice(0, 40))} is not supported`), 415);
  const tooLarge = () => stop(new TsaRejection('badRequest', `the request body is larger than ${limit} bytes`), 413);
  if (Number(req.headers['content-length'] ?? 0) > limit) return tooLarge();
  const chunks: Buffer[] = [];
  let length = 0;
  req.on('data', (chunk: Buffer) => {
    length += chunk.length;
    if (length > limit) return tooLarge();
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (!res.headersSent) then(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
  });
  req.on('error', () => undefined); // the client went away: nobody to answer
}

/** POST /api/v1/timestamp. */
export function timestampHandler(deps: TsaRouteDeps): Handler {
  const limit = deps.limitBytes ?? MAX_TSA_BODY_BYTES;
  const policies = [deps.tsa.policy];
  const answer = async (res: ServerResponse, kind: Kind, body: Buffer): Promise<void> => {
    try {
      const parsed = kind === 'der' ? parseTimestampQuery(body, policies) : parseJsonRequest(body.toString('utf8'), policies);
      const { der } = await deps.tsa.timestamp(parsed);
      send(res, 201, 'application/timestamp-reply', der);
    } catch (e) {
      if (e instanceof TsaRejection) {
        if (e.httpStatus >= 500) deps.logger.log('error', 'timestamp failed', { failInfo: e.failInfo, error: e.cause instanceof Error ? e.cause.message : String(e.cause) });
        return refuse(res, kind, e);
      }
      deps.logger.log('error', 'timestamp request failed', { error: e instanceof Error ? e.message : String(e) });
      if (!res.headersSent) sendJsonError(res, 500, 'internal error');
    }
  };
  return (req, res) => {
    const kind = kindOf(req);
    if (!kind) {
      req.resume();
      return sendJsonError(res, 415, 'Content-Type must be application/timestamp-query (a DER TimeStampReq) or application/json');
    }
    readBody(req, res, kind, limit, (body) => void answer(res, kind, body));
  };
}

/** GET /api/v1/timestamp/certchain. */
export function certChainHandler(deps: Pick<TsaRouteDeps, 'tsa'>): Handler {
  const pem = Buffer.from(deps.tsa.certChainPem, 'utf8');
  return (_req, res) => send(res, 200, 'application/pem-certificate-chain', pem);
}

const notAllowed =
  (allow: string): Handler =>
  (req, res) => {
    req.resume();
    sendJsonError(res, 405, `method not allowed (${allow})`, { allow });
  };

/** The routes under TIMESTAMP_PATH, for an express app (mount the router there). */
export function timestampRouter(deps: TsaRouteDeps): express.Router {
  const router = express.Router({ strict: true, caseSensitive: true });
  router.post('/', timestampHandler(deps));
  router.get('/certchain', certChainHandler(deps));
  router.all('/', notAllowed('POST'));
  router.all('/certchain', notAllowed('GET'));
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
export function tsaRequestListener(deps: TsaRouteDeps): RequestListener {
  const post = timestampHandler(deps);
  const certChain = certChainHandler(deps);
  const postOnly = notAllowed('POST');
  const getOnly = notAllowed('GET');
  return (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === TIMESTAMP_PATH) return req.method === 'POST' ? post(req, res) : postOnly(req, res);
    if (path === `${TIMESTAMP_PATH}/certchain`) return req.method === 'GET' || req.method === 'HEAD' ? certChain(req, res) : getOnly(req, res);
    req.resume();
    sendJsonError(res, 404, 'not found');
  };
}
