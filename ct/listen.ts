// Runs a log's HTTP server on a host and port (0 picks one), under an optional prefix.
import type { Router } from 'express';
import { listenHttp, type CloseOptions } from '../lib/listen.js';
import type { Logger } from '../lib/log.js';
import { createCtServer } from './http.js';
import type { CtLog } from './log.js';

export interface ListeningLog {
  /** Base URL including the prefix, as clients and Fulcio's --ct-log-url take it. */
  readonly url: string;
  /** Graceful: in-flight submissions finish (or get 503 at the drain deadline) before it resolves. */
  close(options?: CloseOptions): Promise<void>;
}

export function normalizePrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  return trimmed ? `/${trimmed}` : '';
}

export async function listenLog(
  log: CtLog,
  o: { host: string; port: number; prefix?: string; logger: Logger; routers?: readonly Router[] },
): Promise<ListeningLog> {
  const prefix = normalizePrefix(o.prefix);
  const listening = await listenHttp(o.host, o.port, createCtServer(log, { prefix, logger: o.logger, ...(o.routers ? { routers: o.routers } : {}) }));
  return { url: `${listening.url}${prefix}`, close: listening.close };
}
