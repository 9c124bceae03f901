// Runs a log's HTTP server on a host and port (0 picks one), under an optional prefix (HTTPS with TLS files), with /healthz (503 once it
// is stopping) and, given metrics, /metrics.
import type { Router } from 'express';
import { listenHttp, type CloseOptions, type Listening } from '../lib/listen.js';
import type { Logger } from '../lib/log.js';
import type { TlsFiles } from '../lib/tls-files.js';
import { createCtServer } from './http.js';
import type { CtLog } from './log.js';
import type { LogMetrics } from './metrics.js';

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

export async function listenLog(
  log: CtLog,
  o: { host: string; port: number; prefix?: string; logger: Logger; metrics?: LogMetrics; tls?: TlsFiles; routers?: readonly Router[] },
): Promise<ListeningLog> {
  const prefix = normalizePrefix(o.prefix);
  // The app is made before the listener it reports on.
  const state: { listening?: Listening } = {};
  const serving = () => state.listening !== undefined && !state.listening.closing;
  const app = createCtServer(log, { prefix, logger: o.logger, serving, ...(o.metrics ? { metrics: o.metrics } : {}), ...(o.routers ? { routers: o.routers } : {}) });
  const listening = (state.listening = await listenHttp(o.host, o.port, app, o.tls ? { tls: o.tls } : {}));
  return { url: `${listening.url}${prefix}`, close: listening.close, reloadTls: listening.reloadTls, certificate: listening.certificate };
}
