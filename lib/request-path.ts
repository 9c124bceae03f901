// The path of a node:http request, without its query: what the plain node:http routes (the CA's signing routes, the
// log's submission routes) match exactly before handing anything else to express.
import type { IncomingMessage } from 'node:http';

export function requestPath(req: IncomingMessage): string {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
