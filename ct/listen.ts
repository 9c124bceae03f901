// Runs a log's HTTP server on a host and port (0 picks one), under an optional prefix; HTTPS with TLS files.
import { listenHttp, type CloseOptions, type Listening } from '../lib/listen.js';
import type { Logger } from '../lib/log.js';
import type { TlsFiles } from '../lib/tls-files.js';
import { createCtServer } from './http.js';
import type { CtLog } from './log.js';

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
  o: { host: string; port: number; prefix?: string; logger: Logger; tls?: TlsFiles },
): Promise<ListeningLog> {
  const prefix = normalizePrefix(o.prefix);
  const listening = await listenHttp(o.host, o.port, createCtServer(log, { prefix, logger: o.logger }), o.tls ? { tls: o.tls } : {});
  return { url: `${listening.url}${prefix}`, close: listening.close, reloadTls: listening.reloadTls, certificate: listening.certificate };
}
