// Runs a log's HTTP server on a host and port (0 picks one), under an optional prefix (HTTPS with TLS files), with /healthz (503 once it
// is stopping) and, given metrics, /metrics.
import type { RequestListener } from 'node:http';
import type { Router } from 'express';
import { listenHttp, type CloseOptions, type Listening } from '../lib/listen.js';
import type { Logger } from '../lib/log.js';
import type { TlsFiles } from '../lib/tls-files.js';
import { createCtServer, type CtServerOptions } from './http.js';
import type { CtLog } from './log.js';
import type { LogMetrics } from './metrics.js';
import { submitHttpHandler } from './submit-http.js';

export interface ListeningLog {
  /** Base URL including the prefix, as clients and Fulcio's --ct-log-url take it. */
  readonly url: string;
  /** Graceful: in-flight submissions finish (or get 503 at the drain deadline) before it resolves. */
  close(options?: CloseOptions): Promise<void>;
  /** With TLS: swaps in the files' current pair (false when unchanged); a bad pair throws and the current one stays. */
  reloadTls: Listening['reloadTls'];
  /** The certificate served now (DER), with TLS. */
  certificate: Listening['certificate'];
}

export function normalizePrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  return trimmed ? `/${trimmed}` : '';
}

/**
 * The log's request listener: the submission routes in plain node:http (ct/submit-http.ts), everything else (and every
 * other spelling of them) in the express app (createCtServer).
 */
export function ctRequestListener(log: CtLog, options: CtServerOptions & { logger: Logger }): RequestListener {
  const app = createCtServer(log, options);
  const submit = submitHttpHandler(log, { prefix: normalizePrefix(options.prefix), logger: options.logger, ...(options.metrics ? { metrics: options.metrics } : {}) });
  return (req, res) => {
    if (!submit(req, res)) app(req, res);
  };
}

export async function listenLog(
  log: CtLog,
  o: { host: string; port: number; prefix?: string; logger: Logger; metrics?: LogMetrics; tls?: TlsFiles; routers?: readonly Router[] },
): Promise<ListeningLog> {
  const prefix = normalizePrefix(o.prefix);
  // The app is made before the listener it reports on.
  const state: { listening?: Listening } = {};
  const serving = () => state.listening !== undefined && !state.listening.closing;
  const app = ctRequestListener(log, { prefix, logger: o.logger, serving, ...(o.metrics ? { metrics: o.metrics } : {}), ...(o.routers ? { routers: o.routers } : {}) });
  const listening = (state.listening = await listenHttp(o.host, o.port, app, o.tls ? { tls: o.tls } : {}));
  return { url: `${listening.url}${prefix}`, close: listening.close, reloadTls: listening.reloadTls, certificate: listening.certificate };
}
