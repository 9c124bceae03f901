// add-chain and add-pre-chain, the log's two submission routes, as a plain node:http handler in front of its express
// app (ct/http.ts), as the CA does with its signing routes (server/signing-http.ts): express's routing and request and
// response objects cost the log more event-loop time per submission than the SCT's signature (BENCHMARKS.md, issue 12).
// Only a POST to exactly `<prefix>/ct/v1/add-chain` or `<prefix>/ct/v1/add-pre-chain` is taken; anything else
// (another method, another spelling that express's router would match) is left to express, which answers as before.
//
// A client gets what the express routes give: the same body reader (lib/json-body.ts: limit, encodings, charsets,
// JSON rules and their 400s and 413), the same chain decoding, the same answers and error texts (ctErrorAnswer), and
// the same HTTP metrics. The one difference: no ETag on the answer (express adds a weak one to every body; nothing
// caches a POST's answer).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { jsonBodyReader } from '../lib/json-body.js';
import { requestPath } from '../lib/request-path.js';
import type { Logger } from '../lib/log.js';
import { sendText } from '../lib/send-text.js';
import { chainFromBody, ctErrorAnswer, errorText, MAX_BODY_BYTES, sctJson } from './http.js';
import type { CtLog } from './log.js';
import type { LogMetrics } from './metrics.js';
import type { Sct } from './structures.js';

export interface SubmitHttpOptions {
  /** The log's URL prefix, normalized: '' or '/name'. */
  readonly prefix: string;
  readonly logger: Logger;
  readonly metrics?: Pick<LogMetrics, 'http'>;
}

/** Answers the request and returns true when it is a submission; else returns false and leaves it alone. */
export type SubmitHttpHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export function submitHttpHandler(log: CtLog, o: SubmitHttpOptions): SubmitHttpHandler {
  const routes = new Map<string, (chain: Buffer[]) => Promise<Sct>>([
    [`${o.prefix}/ct/v1/add-chain`, (chain) => log.addChain(chain)],
    [`${o.prefix}/ct/v1/add-pre-chain`, (chain) => log.addPreChain(chain)],
  ]);
  const readBody = jsonBodyReader({ limitBytes: MAX_BODY_BYTES, logger: o.logger });

  async function answer(res: ServerResponse, submit: (chain: Buffer[]) => Promise<Sct>, err: unknown, body: unknown): Promise<void> {
    try {
      if (err !== undefined) throw err;
      const sct = await submit(chainFromBody(body));
      sendText(res, 200, 'application/json', JSON.stringify(sctJson(sct)));
    } catch (e) {
      if (res.headersSent) return void res.destroy();
      const a = ctErrorAnswer(e, o.logger);
      if (a.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(a.retryAfterSeconds));
      sendText(res, a.status, 'text/plain', errorText(a));
    }
  }

  return (req, res) => {
    if (req.method !== 'POST') return false;
    const path = requestPath(req);
    const submit = routes.get(path);
    if (submit === undefined) return false;
    o.metrics?.http.track(req, res, path);
    readBody(req, res, (err, body) => void answer(res, submit, err, body));
    return true;
  };
}
