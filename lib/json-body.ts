// JSON request bodies for the CA's and the CT log's express apps and the CA's node:http signing routes: express.json
// for any content type, with its failures sorted into the client's mistakes (a FulgorError: BAD_REQUEST, MALFORMED_JSON
// or BODY_TOO_LARGE) and our own (passed on untouched). A client that goes away mid-body gets no answer: there is
// nobody to send it to, so it is logged at debug level, not as a failure.
//
// Content-Encoding gzip, deflate and br bodies are inflated (body-parser does it); a body that does not decode as
// its label says, or an encoding body-parser does not know, is the client's mistake (400).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { FulgorError } from './errors.js';
import type { Logger } from './log.js';

/** The facts body-parser and raw-body errors carry (http-errors: `status`, `type`, and a few per type). */
interface BodyParserError {
  readonly status?: unknown;
  readonly type?: unknown;
  readonly encoding?: unknown;
  readonly charset?: unknown;
}

/** Client-provided text quoted in a message: short and printable. */
const quote = (v: unknown): string => JSON.stringify(String(v).slice(0, 40));

/**
 * What a body-parser error means for the client, given the request's Content-Encoding header: a FulgorError to
 * answer with, or undefined when the fault is ours (a 5xx from body-parser, or not a body-parser error at all).
 */
export function bodyReadError(err: unknown, contentEncoding: string | undefined, limitBytes: number): FulgorError | undefined {
  const e = (typeof err === 'object' && err !== null ? err : {}) as BodyParserError;
  const status = typeof e.status === 'number' ? e.status : 500;
  if (status < 400 || status >= 500) return undefined;
  const encoding = (contentEncoding ?? 'identity').trim().toLowerCase();
  // No causes kept: JSON.parse quotes the body in its message, and the body may hold a token.
  const bad = (message: string) => new FulgorError('BAD_REQUEST', message);
  switch (e.type) {
    case 'entity.too.large':
      return new FulgorError('BODY_TOO_LARGE', `the request body is larger than ${limitBytes} bytes`);
    case 'entity.parse.failed':
      return new FulgorError('MALFORMED_JSON', 'the request body is not valid JSON');
    case 'encoding.unsupported':
      return bad(`Content-Encoding ${quote(e.encoding ?? encoding)} is not supported (send gzip, deflate, br or no encoding)`);
    case 'charset.unsupported':
      return bad(`charset ${quote(e.charset)} is not supported (send UTF-8)`);
    case 'request.size.invalid':
      return bad('the request body is not as long as its Content-Length says');
    case undefined:
      // raw-body passes a decompression stream's error on with status 400 and no type.
      if (encoding !== 'identity') return bad(`the request body could not be decoded as Content-Encoding ${quote(encoding)}`);
      return bad('the request body could not be read');
    default:
      return bad('the request body could not be read');
  }
}

export interface JsonBodyOptions {
  readonly limitBytes: number;
  /** body-parser's `strict`: only objects and arrays at the top level. */
  readonly strict?: boolean;
  readonly logger: Logger;
}

/** A body read: the parsed JSON (undefined for a request with no body), or the error to answer with. */
export type JsonBodyDone = (err: unknown, body?: unknown) => void;

/** The Content-Types a plain read takes (what clients send); body-parser reads each of them as UTF-8. */
const PLAIN_TYPE = /^application\/json(?:; ?charset=utf-8)?$/i;

/**
 * The body's length when the request is the plain common case that plainRead reads as body-parser would: a
 * Content-Length within the limit (so no chunked body, which has none), no Content-Encoding, and no Content-Type or a
 * JSON one in UTF-8; else undefined (body-parser reads it).
 */
function plainLength(req: IncomingMessage, limitBytes: number): number | undefined {
  const h = req.headers;
  const length = h['content-length'];
  if (length === undefined || h['transfer-encoding'] !== undefined || h['content-encoding'] !== undefined) return undefined;
  const type = h['content-type'];
  if (type !== undefined && !PLAIN_TYPE.test(type)) return undefined;
  const n = Number(length); // node:http lets only digits through
  return n <= limitBytes ? n : undefined;
}

type BodyRequest = IncomingMessage & { body?: unknown };

/**
 * What body-parser does with a request plainLength accepts, without its streams and options: node:http delivers
 * exactly Content-Length bytes (within the limit) or ends the request early, so what is left is raw-body's UTF-8
 * decoding (iconv-lite's: node's StringDecoder, a leading byte order mark dropped) and the JSON rules (an empty body
 * is {}; `strict`: only an object or an array at the top level; a parse failure is entity.parse.failed).
 */
function plainRead(req: BodyRequest, strict: boolean, onError: (err: unknown) => void, done: JsonBodyDone): void {
  req.body = undefined;
  const decoder = new StringDecoder('utf8');
  let text = '';
  let settled = false;
  req.on('data', (chunk: Buffer) => void (text += decoder.write(chunk)));
  req.once('end', () => {
    if (settled) return;
    settled = true;
    text += decoder.end();
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.length === 0) return done(undefined, (req.body = {}));
    let body: unknown;
    try {
      if (strict && !/^[ \t\n\r]*[{[]/.test(text)) throw new SyntaxError('strict violation');
      body = JSON.parse(text);
    } catch {
      return onError({ status: 400, type: 'entity.parse.failed' });
    }
    done(undefined, (req.body = body));
  });
  const failed = (err: unknown) => {
    if (settled) return;
    settled = true;
    onError(err);
  };
  // raw-body's signals: 'aborted' (the client went away), 'error' (the socket failed).
  req.on('aborted', () => failed({ status: 400, type: 'request.aborted' }));
  req.on('error', (e) => failed(Object.assign(e, { status: 400 })));
}

/**
 * express.json's reading and parsing (the same package, so the same limits, charsets, encodings and JSON rules) for a
 * plain node:http request: `done` gets the body, or a FulgorError for the client's mistakes and any other error
 * untouched; it is not called when the client went away. The common case (plainLength) is read without body-parser's
 * machinery, to the same result.
 */
export function jsonBodyReader(o: JsonBodyOptions): (req: IncomingMessage, res: ServerResponse, done: JsonBodyDone) => void {
  const strict = o.strict ?? true;
  const parse = express.json({ limit: o.limitBytes, type: () => true, strict });
  return (req, res, done) => {
    const withBody = req as BodyRequest;
    const onError = (err: unknown) => {
      // raw-body says 'request.aborted'; an error from the socket itself shows as an incomplete request on a closed
      // socket. (req.destroyed is no sign: a request is destroyed once its body has been read.)
      if ((err as BodyParserError).type === 'request.aborted' || (!req.complete && req.socket.destroyed)) {
        o.logger.log('debug', 'client went away before sending the whole request body', { method: req.method, path: (req.url ?? '').split('?')[0] });
        return;
      }
      done(bodyReadError(err, req.headers['content-encoding'], o.limitBytes) ?? err);
    };
    if (plainLength(req, o.limitBytes) !== undefined) return plainRead(withBody, strict, onError, done);
    void parse(withBody as Request, res as Response, (err?: unknown) => (err === undefined || err === null ? done(undefined, withBody.body) : onError(err)));
  };
}

/** express.json whose client mistakes reach `next` as FulgorErrors and whose aborted requests end quietly. */
export function jsonBody(o: JsonBodyOptions): RequestHandler {
  const read = jsonBodyReader(o);
  return (req: Request, res: Response, next: NextFunction): void => read(req, res, (err) => next(err));
}
