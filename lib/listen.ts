// An HTTP server on a host and port (0 picks one), with the base URL clients use and a graceful close: stop
// accepting, let in-flight requests finish (their connections are told `Connection: close`), and answer whatever
// is still running at the drain deadline.
import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How long `close()` lets in-flight requests run by default. */
export const DEFAULT_DRAIN_MS = 30_000;

export interface CloseOptions {
  /** How long in-flight requests may still run once the listener is closed (default DEFAULT_DRAIN_MS). */
  readonly drainMs?: number;
  /**
   * Answers a request still running at the deadline whose response has not started (default: 503 text/plain).
   * The response already carries `Connection: close`.
   */
  readonly atDeadline?: (res: ServerResponse) => void;
}

export interface Listening {
  readonly server: Server;
  /** `http://host:port`, with a wildcard host shown as loopback and IPv6 in brackets. */
  readonly url: string;
  /**
   * Stops accepting connections at once and closes idle keep-alive ones; resolves when every in-flight request has
   * been answered (or answered by `atDeadline` once `drainMs` has passed) and every connection is closed.
   */
  close(options?: CloseOptions): Promise<void>;
  /** True once close() was called (draining, then closed): what /healthz reports as 503. */
  readonly closing: boolean;
}

export const urlHost = (host: string): string => (host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host);

const serviceUnavailable = (res: ServerResponse): void => {
  res.writeHead(503, { 'content-type': 'text/plain' }).end('server is shutting down\n');
};

/** After the deadline answers, connections that still do not close (a client not reading) are cut after this. */
const FORCE_AFTER_DEADLINE_MS = 2_000;

export async function listenHttp(host: string, port: number, handler?: RequestListener): Promise<Listening> {
  const server = createServer(handler);
  // As Fulcio's HTTP server: a request must arrive whole within 60 s; idle keep-alive connections close after 30 s.
  server.requestTimeout = 60_000;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 30_000;
  const inFlight = new Set<ServerResponse>();
  let closing = false;
  // First listener, so that it runs before any handler can start the response.
  server.prependListener('request', (_req, res) => {
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
    if (closing) res.setHeader('connection', 'close');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  let closed: Promise<void> | undefined;
  const close = (o: CloseOptions = {}): Promise<void> =>
    (closed ??= new Promise<void>((resolve) => {
      closing = true;
      // Keep-alive clients learn from the answer itself that this connection ends with it.
      for (const res of inFlight) if (!res.headersSent) res.setHeader('connection', 'close');
      let force: NodeJS.Timeout | undefined;
      const deadline = setTimeout(() => {
        for (const res of inFlight) {
          if (!res.headersSent) (o.atDeadline ?? serviceUnavailable)(res);
          else if (!res.writableEnded) res.destroy();
        }
        force = setTimeout(() => server.closeAllConnections(), FORCE_AFTER_DEADLINE_MS);
      }, o.drainMs ?? DEFAULT_DRAIN_MS);
      // Stops listening and closes idle connections now; calls back once the last connection has closed.
      server.close(() => {
        clearTimeout(deadline);
        clearTimeout(force);
        resolve();
      });
    }));
  return {
    server,
    url: `http://${urlHost(host)}:${(server.address() as AddressInfo).port}`,
    close,
    get closing() {
      return closing;
    },
  };
}
