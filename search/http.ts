// `GET /api/v1/search` as an express Router, mounted beside the log's /ct/v1/ routes (under the same prefix). Bad
// parameters get 400 in Fulcio's error shape, {"code": 400, "message": "..."}; an unreachable store 503.
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { isCtError } from '../ct/errors.js';
import type { Logger } from '../lib/log.js';
import { silentLogger } from '../lib/log.js';
import type { Indexer } from './indexer.js';
import { parseSearchQuery, SearchQueryError, type SearchParams } from './query.js';
import { search, type ProofSource } from './service.js';

const sendError = (res: Response, status: number, message: string): void => void res.status(status).json({ code: status, message });

export function createSearchRouter(indexer: Indexer, proofs: ProofSource, o: { logger?: Logger } = {}): Router {
  const logger = o.logger ?? silentLogger;
  const router = express.Router();
  router
    .route('/api/v1/search')
    .get(async (req: Request, res: Response) => {
      const q = parseSearchQuery(req.query as SearchParams);
      res.setHeader('Cache-Control', 'no-store');
      // SANs and extension values are attacker-chosen strings: they travel as JSON data and are never sniffed as HTML.
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.json(await search(indexer, proofs, q));
    })
    .all((_req: Request, res: Response) => {
      res.setHeader('Allow', 'GET, HEAD');
      sendError(res, 405, 'method not allowed');
    });
  router.use('/api/v1/search', (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    if (err instanceof SearchQueryError) return sendError(res, 400, err.message);
    if (isCtError(err) && err.status === 503) {
      res.setHeader('Retry-After', '1');
      return sendError(res, 503, 'the log is temporarily unavailable; retry later');
    }
    logger.log('error', 'search failed', { error: err instanceof Error ? err.message : String(err) });
    sendError(res, 500, 'internal error');
  });
  return router;
}
