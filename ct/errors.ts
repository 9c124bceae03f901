// Errors of the CT log carry the HTTP status ctfe would answer with (RFC 6962 §4: "HTTP 4xx or 5xx responses,
// with human-readable error messages"). Client mistakes are 4xx; storage that cannot be reached right now is 503 (as
// ctfe maps an Unavailable backend); anything else surfaces as 500.

export class CtError extends Error {
  override readonly name = 'CtError';
  /** HTTP status: 400 bad input, 404 unknown hash, 405 wrong method, 413 body too large, 500 our fault, 503 storage down. */
  readonly status: number;

  constructor(status: number, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
  }
}

export const isCtError = (e: unknown): e is CtError => e instanceof CtError;

/** Shorthand for the common case: the client sent something the log will not accept. */
export const badRequest = (message: string, cause?: unknown): CtError => new CtError(400, message, { cause });

/** The log's storage cannot be reached right now (retry later). The message is for the operator's log, not clients. */
export const unavailable = (message: string, cause?: unknown): CtError => new CtError(503, message, { cause });
