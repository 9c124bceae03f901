// Every failure Fulgor reports carries a stable reason code. The HTTP layers map codes to statuses in one table
// (server/error-table.ts for the CA, ct/errors.ts and ct/http.ts for the log); messages are client-safe, causes are logged only.

/** Every reason code, in one list: the type below is read from it, and tests enumerate it. */
export const REASON_CODES = [
  // request shape
  'BAD_REQUEST',
  'BODY_TOO_LARGE',
  'MALFORMED_JSON',
  // identity token
  'MISSING_TOKEN',
  'MALFORMED_TOKEN',
  'UNKNOWN_ISSUER',
  'ISSUER_UNAVAILABLE',
  'INVALID_TOKEN_SIGNATURE',
  'UNSUPPORTED_TOKEN_ALGORITHM',
  'TOKEN_EXPIRED',
  'TOKEN_NOT_YET_VALID',
  'AUDIENCE_MISMATCH',
  'ISSUER_MISMATCH',
  'MISSING_CLAIM',
  'INVALID_CLAIM',
  'EMAIL_NOT_VERIFIED',
  // issuance policy and rate limits
  'POLICY_DENIED',
  'RATE_LIMITED',
  // key and proof of possession
  'MISSING_PUBLIC_KEY',
  'INVALID_PUBLIC_KEY',
  'INSECURE_PUBLIC_KEY',
  'INVALID_PROOF_OF_POSSESSION',
  'INVALID_CSR',
  'INVALID_CSR_SIGNATURE',
  'UNSUPPORTED_SIGNATURE_ALGORITHM',
  // our side
  'CT_LOG_UNAVAILABLE',
  'CT_LOG_REJECTED',
  'SIGNING_FAILED',
  'SHUTTING_DOWN',
  'INTERNAL',
] as const;

export type ReasonCode = (typeof REASON_CODES)[number];

export class FulgorError extends Error {
  override readonly name = 'FulgorError';
  readonly code: ReasonCode;
  /** Extra, client-safe facts (for example the name of a missing claim). Never a token or a secret. */
  readonly metadata: Readonly<Record<string, string>>;

  constructor(code: ReasonCode, message: string, options: { cause?: unknown; metadata?: Record<string, string> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.metadata = options.metadata ?? {};
  }
}

export const isFulgorError = (e: unknown): e is FulgorError => e instanceof FulgorError;

/** Re-throws `e` as a FulgorError with `code` unless it already is one. */
export function wrap(e: unknown, code: ReasonCode, message: string): FulgorError {
  return isFulgorError(e) ? e : new FulgorError(code, message, { cause: e });
}
