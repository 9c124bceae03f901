// A text answer written as express's res.status(status).type(type).send(text) writes it (the same header names and
// values: Content-Type with charset=utf-8, Content-Length), for handlers that answer without express and for answers
// both kinds of handler give (server/error-response.ts).
import type { ServerResponse } from 'node:http';

/** Throws ERR_HTTP_HEADERS_SENT when the response has already been answered, as express's res.send does. */
export function sendText(res: ServerResponse, status: number, type: string, text: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', `${type}; charset=utf-8`);
  res.setHeader('Content-Length', String(Buffer.byteLength(text)));
  res.end(text);
}
