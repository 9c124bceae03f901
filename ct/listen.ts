// Runs a log's HTTP server on a host and port (0 picks one), under an optional prefix.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../lib/log.js';
import { createCtServer } from './http.js';
import type { CtLog } from './log.js';

export interface ListeningLog {
  /** Base URL including the prefix, as clients and Fulcio's --ct-log-url take it. */
  readonly url: string;
  close(): Promise<void>;
}

export function normalizePrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  return trimmed ? `/${trimmed}` : '';
}

export async function listenLog(log: CtLog, o: { host: string; port: number; prefix?: string; logger: Logger }): Promise<ListeningLog> {
  const prefix = normalizePrefix(o.prefix);
  const server = createServer(createCtServer(log, { prefix, logger: o.logger }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host === '0.0.0.0' ? '127.0.0.1' : o.host;
  return {
    url: `http://${host}:${port}${prefix}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
