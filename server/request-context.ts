// Each request's context: a request id (generated here, returned as X-Request-Id, written in the server's log lines
// and the audit line for that request), the client's address, and the facts a signing request establishes as it
// goes (server/audit-log.ts AuditFacts), which its audit line reports whatever stage it ends at.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler, Response } from 'express';
import type { AuditFacts } from './audit-log.js';

export interface RequestContext {
  readonly requestId: string;
  readonly remoteAddress?: string;
  readonly facts: AuditFacts;
}

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** A new request's context, its id already set as the response's X-Request-Id header. */
export function startContext(req: IncomingMessage, res: ServerResponse): RequestContext {
  const remoteAddress = req.socket.remoteAddress;
  const context: RequestContext = { requestId: randomUUID(), ...(remoteAddress ? { remoteAddress } : {}), facts: {} };
  res.setHeader(REQUEST_ID_HEADER, context.requestId);
  return context;
}

/** Gives every request of an express app its context (res.locals.context) and its X-Request-Id header. */
export const requestContext: RequestHandler = (req, res, next) => {
  res.locals['context'] = startContext(req, res);
  next();
};

/** The request's context (a fresh one when requestContext did not run: apps built without it). */
export function contextOf(res: Response): RequestContext {
  const existing = res.locals['context'] as RequestContext | undefined;
  if (existing) return existing;
  const context: RequestContext = { requestId: randomUUID(), facts: {} };
  res.locals['context'] = context;
  return context;
}

/** The request's id for log lines, when requestContext gave it one. */
export const requestIdOf = (res: Response): string | undefined => (res.locals['context'] as RequestContext | undefined)?.requestId;
