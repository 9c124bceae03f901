// An HTTP server on a host and port (0 picks one), with the base URL clients use and a graceful close: stop
// accepting, let in-flight requests finish (their connections are told `Connection: close`), and answer whatever
// is still running at the drain deadline. With TLS files it serves HTTPS only, and `reloadTls()` swaps in the files'
// current pair for new connections (server.setSecureContext) after checking it; a bad pair is refused and the one
// being served stays.
import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { Server as NetServer, type AddressInfo } from 'node:net';
import { readTlsFiles, type TlsFiles, type TlsMaterial } from './tls-files.js';

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
  /** `http://host:port` (`https://` with TLS), with a wildcard host shown as loopback and IPv6 in brackets. */
  readonly url: string;
  /**
   * Re-reads the TLS files and serves their pair to new connections; false when nothing changed (or no TLS). A bad
   * pair throws, naming the file, and the current one stays.
   */
  reloadTls(): boolean;
  /** The certificate served now (DER), with TLS. */
  certificate(): Buffer | undefined;
  /**
   * Stops accepting connections at once and closes idle keep-alive ones once the requests already in their sockets
   * have been read (two turns of the event loop); resolves when every in-flight request has
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

const netClose = NetServer.prototype.close;

/** After the deadline answers, connections that still do not close (a client not reading) are cut after this. */
const FORCE_AFTER_DEADLINE_MS = 2_000;

export interface ListenOptions {
  /** Serve HTTPS with this certificate and key (checked first: a bad pair fails the start). */
  readonly tls?: TlsFiles;
}

export async function listenHttp(host: string, port: number, handler?: RequestListener, options: ListenOptions = {}): Promise<Listening> {
  let material: TlsMaterial | undefined = options.tls ? readTlsFiles(options.tls) : undefined;
  const server: Server = material ? createHttpsServer({ cert: material.cert, key: material.key }) : createServer();
  if (handler) server.on('request', handler);
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
      // Stops listening now (net.Server's close: http.Server's would also close every idle connection at once); calls
      // back once the last connection has closed.
      netClose.call(server, () => {
        clearTimeout(deadline);
        clearImmediate(idle);
        clearTimeout(force);
        resolve();
      });
      // A keep-alive connection looks idle until its next request is parsed, and under load a request the client has
      // already sent may still sit unread in the socket: closing it would drop that request without an answer. So
      // idle connections are closed two turns of the event loop later, once the sockets' pending bytes have been read
      // (a request found there is in flight, and answered with Connection: close).
      let idle = setImmediate(() => {
        idle = setImmediate(() => server.closeIdleConnections());
      });
    }));
  const reloadTls = (): boolean => {
    if (!options.tls || !material) return false;
    const next = readTlsFiles(options.tls);
    if (next.cert === material.cert && next.key === material.key) return false;
    (server as HttpsServer).setSecureContext({ cert: next.cert, key: next.key });
    material = next;
    return true;
  };
  const scheme = options.tls ? 'https' : 'http';
  return {
    server,
    url: `${scheme}://${urlHost(host)}:${(server.address() as AddressInfo).port}`,
    close,
    reloadTls,
    certificate: () => material?.leaf,
    get closing() {
      return closing;
    },
  };
}
