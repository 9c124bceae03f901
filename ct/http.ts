// RFC 6962 §4 HTTP endpoints (ct-log.md §1) as an express 5 Router, mountable under any prefix, and a standalone
// app around it. Binary values are standard padded base64; errors are text/plain with a readable message.
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { decodeBase64 } from '../lib/base64.js';
import { isFulgorError } from '../lib/errors.js';
import { jsonBody } from '../lib/json-body.js';
import type { Logger } from '../lib/log.js';
import { silentLogger } from '../lib/log.js';
import { checkChainLength } from './chain.js';
import { badRequest, isCtError } from './errors.js';
import type { CtLog } from './log.js';
import type { LogMetrics } from './metrics.js';
import type { Sct } from './structures.js';

/** ctfe's default --max_cert_chain_size. */
export const MAX_BODY_BYTES = 512_000;
export interface CtRouterOptions {
  readonly logger?: Logger;
}

const b64 = (b: Buffer): string => b.toString('base64');

function base64Field(value: string, what: string): Buffer {
  const bytes = decodeBase64(value);
  if (bytes === undefined) throw badRequest(`${what} is not valid base64`);
  return bytes;
}

function queryString(req: Request, name: string): string {
  const raw = (req.query as Record<string, unknown>)[name];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (typeof value !== 'string' || value === '') throw badRequest(`missing parameter ${name}`);
  return value;
}

function queryNumber(req: Request, name: string): number {
  const value = queryString(req, name);
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw badRequest(`parameter ${name} must be a non-negative integer`);
  return n;
}

/** The submitted chain of an add-chain or add-pre-chain body, decoded; a 400 CtError saying what is wrong. */
export function chainFromBody(body: unknown): Buffer[] {
  const chain = typeof body === 'object' && body !== null ? (body as { chain?: unknown }).chain : undefined;
  if (!Array.isArray(chain) || chain.length === 0) throw badRequest('body must be {"chain": [base64 DER, ...]} with at least one certificate');
  checkChainLength(chain.length);
  return chain.map((c, i) => {
    if (typeof c !== 'string') throw badRequest(`chain[${i}] must be a base64 string`);
    return base64Field(c, `chain[${i}]`);
  });
}

export const sctJson = (sct: Sct): Record<string, unknown> => ({
  sct_version: sct.version,
  id: b64(sct.logId),
  timestamp: sct.timestamp,
  extensions: b64(sct.extensions),
  signature: b64(sct.signature),
});

/** get-sth's JSON for a tree head. */
export const sthJson = (sth: { treeSize: number; timestamp: number; rootHash: Buffer; signature: Buffer }) => ({
  tree_size: sth.treeSize,
  timestamp: sth.timestamp,
  sha256_root_hash: b64(sth.rootHash),
  tree_head_signature: b64(sth.signature),
});

/** A refusal as the log's HTTP layer answers it: status, text/plain message, and Retry-After when it makes sense. */
export interface CtErrorAnswer {
  readonly status: number;
  readonly message: string;
  readonly retryAfterSeconds?: number;
}

/**
 * Maps body-reading failures, CtErrors and anything else to a status and a client-safe message, logging what is the
 * log's own fault. Shared by the express routes and the node:http submission routes (ct/submit-http.ts).
 */
export function ctErrorAnswer(err: unknown, logger: Logger): CtErrorAnswer {
  const e = err as { type?: unknown; status?: unknown; message?: unknown };
  if (isCtError(err) && err.status < 500) return { status: err.status, message: err.message };
  if (isCtError(err) && err.status === 503) {
    // The detail names the storage; the client learns only that retrying later makes sense.
    logger.log('warn', 'ct log storage unavailable', { error: err.message });
    return { status: 503, message: 'the log is temporarily unavailable; retry later', retryAfterSeconds: 1 };
  }
  // Body-reading failures (lib/json-body.ts) are the client's mistakes.
  if (isFulgorError(err)) {
    if (err.code === 'BODY_TOO_LARGE') return { status: 413, message: `request body exceeds ${MAX_BODY_BYTES} bytes` };
    return { status: 400, message: err.code === 'MALFORMED_JSON' ? 'malformed JSON body' : err.message };
  }
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500)
    return { status: e.status, message: typeof e.message === 'string' ? e.message : 'bad request' };
  logger.log('error', 'ct log request failed', { error: String(err) });
  return { status: 500, message: 'internal error' };
}

/** The answer's body: the message and a newline, as text/plain. */
export const errorText = (a: CtErrorAnswer): string => `${a.message}\n`;

function sendError(res: Response, a: CtErrorAnswer): void {
  if (a.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(a.retryAfterSeconds));
  res.status(a.status).type('text/plain').send(errorText(a));
}

/** express's error handler for the log's routes (ctErrorAnswer). */
export function errorHandler(logger: Logger) {
  return (err: unknown, _req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) return next(err);
    sendError(res, ctErrorAnswer(err, logger));
  };
}

const methodNotAllowed = (allow: string) => (_req: Request, res: Response): void => {
  res.setHeader('Allow', allow);
  sendError(res, { status: 405, message: 'method not allowed' });
};

/** The /ct/v1/* endpoints for `log`. */
export function createCtRouter(log: CtLog, options: CtRouterOptions = {}): Router {
  const router = express.Router();
  const json = jsonBody({ limitBytes: MAX_BODY_BYTES, logger: options.logger ?? silentLogger });
  const post = (name: string, handler: (req: Request, res: Response) => Promise<void>): void => {
    router.route(`/ct/v1/${name}`).post(json, handler).all(methodNotAllowed('POST'));
  };
  const get = (name: string, handler: (req: Request, res: Response) => Promise<void> | void): void => {
    router.route(`/ct/v1/${name}`).get(handler).all(methodNotAllowed('GET, HEAD'));
  };

  post('add-chain', async (req, res) => void res.json(sctJson(await log.addChain(chainFromBody(req.body)))));
  post('add-pre-chain', async (req, res) => void res.json(sctJson(await log.addPreChain(chainFromBody(req.body)))));

  get('get-sth', async (_req, res) => void res.json(sthJson(await log.getSth())));

  get('get-sth-consistency', async (req, res) => {
    const proof = await log.getConsistency(queryNumber(req, 'first'), queryNumber(req, 'second'));
    res.json({ consistency: proof.map(b64) });
  });

  get('get-proof-by-hash', async (req, res) => {
    // A raw '+' in the query arrives as a space after form decoding; being lenient here is harmless.
    const hash = base64Field(queryString(req, 'hash').replace(/ /g, '+'), 'hash');
    const proof = await log.getProofByHash(hash, queryNumber(req, 'tree_size'));
    res.json({ leaf_index: proof.leafIndex, audit_path: proof.auditPath.map(b64) });
  });

  get('get-entries', async (req, res) => {
    const start = queryNumber(req, 'start');
    const end = queryNumber(req, 'end');
    const entries = await log.getEntries(start, end);
    const partial = start + entries.length - 1 < end;
    res.setHeader('Cache-Control', `public, max-age=${partial ? 60 : 86400}`);
    res.json({ entries: entries.map((e) => ({ leaf_input: b64(e.leafInput), extra_data: b64(e.extraData) })) });
  });

  get('get-roots', (_req, res) => void res.json({ certificates: log.getRoots().map(b64) }));

  get('get-entry-and-proof', async (req, res) => {
    const e = await log.getEntryAndProof(queryNumber(req, 'leaf_index'), queryNumber(req, 'tree_size'));
    res.json({ leaf_input: b64(e.leafInput), extra_data: b64(e.extraData), audit_path: e.auditPath.map(b64) });
  });

  router.use(errorHandler(options.logger ?? silentLogger));
  return router;
}

export interface CtServerOptions extends CtRouterOptions {
  /** Path prefix the log is served under, e.g. "/test" for http://host/test/ct/v1/... */
  readonly prefix?: string;
  /** More routes served beside /ct/v1/ under the same prefix (search, the web page), mounted by the composition root. */
  readonly routers?: readonly Router[];
  /** Served at /metrics (outside the prefix), and counting every request. */
  readonly metrics?: Pick<LogMetrics, 'http' | 'render' | 'contentType'>;
  /** /healthz answers 200 while this is true, 503 once the log is stopping (default: always 200). */
  readonly serving?: () => boolean;
}

/** A standalone express app serving `log` at `${prefix}/ct/v1/...`. */
export function createCtServer(log: CtLog, options: CtServerOptions = {}): express.Express {
  const app = express();
  app.disable('x-powered-by');
  const metrics = options.metrics;
  if (metrics) app.use(metrics.http);
  app.get('/healthz', (_req, res) => {
    const serving = options.serving?.() ?? true;
    res.status(serving ? 200 : 503).json({ status: serving ? 'SERVING' : 'NOT_SERVING' });
  });
  if (metrics)
    app.get('/metrics', async (_req, res) => {
      res.status(200).type(metrics.contentType).send(await metrics.render());
    });
  const trimmed = (options.prefix ?? '').replace(/^\/+|\/+$/g, '');
  const prefix = trimmed === '' ? '' : `/${trimmed}`;
  app.use(prefix === '' ? '/' : prefix, createCtRouter(log, options));
  for (const router of options.routers ?? []) app.use(prefix === '' ? '/' : prefix, router);
  app.use((_req: Request, res: Response) => sendError(res, { status: 404, message: 'not found' }));
  app.use(errorHandler(options.logger ?? silentLogger));
  return app;
}
