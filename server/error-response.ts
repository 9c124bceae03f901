// Errors leave the CA in Fulcio's google.rpc.Status shape, {code, message, details}, with our reason code in a
// google.rpc.ErrorInfo detail. Causes are logged, never returned.
import type { ServerResponse } from 'node:http';
import type { ErrorRequestHandler } from 'express';
import { FulgorError, isFulgorError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import { outboundLogFields } from '../lib/outbound-error.js';
import { sendText } from '../lib/send-text.js';
import { ERROR_TABLE } from './error-table.js';
import { requestIdOf } from './request-context.js';

export interface RpcStatus {
  code: number;
  message: string;
  details: unknown[];
}

export function rpcStatus(e: FulgorError): { status: number; body: RpcStatus } {
  const row = ERROR_TABLE[e.code];
  const message = row.prefix ? `${row.prefix}: ${e.message}` : e.message;
  return {
    status: row.status,
    body: {
      code: row.grpc,
      message,
      details: [
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: e.code, domain: 'fulgor', metadata: e.metadata },
      ],
    },
  };
}

export function sendRpcError(res: ServerResponse, e: FulgorError): void {
  const { status, body } = rpcStatus(e);
  // RATE_LIMITED says when to come back (whole seconds, at least 1).
  const retryAfter = e.metadata['retryAfterSeconds'];
  if (retryAfter !== undefined) res.setHeader('Retry-After', retryAfter);
  sendText(res, status, 'application/json', JSON.stringify(body));
}

/** The request a failure is logged with. */
export interface FailedRequest {
  readonly method: string;
  readonly path: string;
  readonly requestId?: string | undefined;
}

/**
 * Answers a failed request: FulgorErrors (body-reading failures included: lib/json-body.ts) with their status, anything
 * else with a 500; logged with its cause, which is never returned.
 */
export function answerError(logger: Logger, err: unknown, req: FailedRequest, res: ServerResponse): void {
  const withId = req.requestId === undefined ? {} : { request_id: req.requestId };
  // Already answered (503 at the drain deadline of a graceful stop): this request's own result goes nowhere.
  if (res.headersSent) {
    logger.log('warn', 'request finished after it was answered', { ...withId, method: req.method, path: req.path, error: String(err) });
    return;
  }
  const e = isFulgorError(err) ? err : new FulgorError('INTERNAL', 'internal error', { cause: err });
  const { status } = rpcStatus(e);
  const cause = e.cause instanceof Error ? e.cause.message : e.cause === undefined ? undefined : String(e.cause);
  logger.log(status >= 500 ? 'error' : 'warn', 'request failed', {
    ...withId,
    method: req.method,
    path: req.path,
    status,
    reason: e.code,
    message: e.message,
    ...(cause ? { cause } : {}),
    // A failed request to an issuer or a CT log: its code, host and TLS error (the response has a safe phrase only).
    ...outboundLogFields(e),
  });
  sendRpcError(res, e);
}

/** answerError as the express app's error handler. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- Express knows an error handler by its four parameters
  return (err, req, res, _next) => answerError(logger, err, { method: req.method, path: req.path, requestId: requestIdOf(res) }, res);
}
