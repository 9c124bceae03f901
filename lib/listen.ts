// An HTTP server on a host and port (0 picks one), with the base URL clients use and a close that drops idle
// keep-alive connections.
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Listening {
  readonly server: Server;
  /** `http://host:port`, with a wildcard host shown as loopback and IPv6 in brackets. */
  readonly url: string;
  close(): Promise<void>;
}

export const urlHost = (host: string): string => (host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host);

export async function listenHttp(host: string, port: number, handler?: RequestListener): Promise<Listening> {
  const server = createServer(handler);
  // As Fulcio's HTTP server: a request must arrive whole within 60 s; idle keep-alive connections close after 30 s.
  server.requestTimeout = 60_000;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    server,
    url: `http://${urlHost(host)}:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
