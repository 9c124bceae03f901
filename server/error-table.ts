// The one table from reason codes to HTTP status, gRPC code and the Fulcio phrase that starts the message.
import type { ReasonCode } from '../lib/errors.js';

interface Row {
  readonly status: number;
  readonly grpc: number;
  readonly prefix?: string;
}

const TOKEN: Row = { status: 400, grpc: 3, prefix: 'There was an error processing the identity token' };
const CLIENT: Row = { status: 400, grpc: 3 };

export const ERROR_TABLE: Readonly<Record<ReasonCode, Row>> = {
  BAD_REQUEST: CLIENT,
  MALFORMED_JSON: CLIENT,
  BODY_TOO_LARGE: { status: 413, grpc: 3 },
  MISSING_TOKEN: TOKEN,
  MALFORMED_TOKEN: TOKEN,
  UNKNOWN_ISSUER: TOKEN,
  INVALID_TOKEN_SIGNATURE: TOKEN,
  UNSUPPORTED_TOKEN_ALGORITHM: TOKEN,
  TOKEN_EXPIRED: TOKEN,
  TOKEN_NOT_YET_VALID: TOKEN,
  AUDIENCE_MISMATCH: TOKEN,
  ISSUER_MISMATCH: TOKEN,
  MISSING_CLAIM: TOKEN,
  INVALID_CLAIM: TOKEN,
  EMAIL_NOT_VERIFIED: TOKEN,
  // The token is fine but the issuer's issuance policy refuses this identity.
  POLICY_DENIED: { status: 403, grpc: 7, prefix: 'The identity is not allowed a certificate by this CA’s issuance policy' },
  // Over a rate limit (issuer config `rate-limit`, serve --rate-limit-*): retry after the Retry-After header's seconds.
  RATE_LIMITED: { status: 429, grpc: 8 },
  // The identity provider could not be reached: not the client's fault, and worth a retry.
  ISSUER_UNAVAILABLE: { status: 503, grpc: 14, prefix: 'There was an error processing the identity token' },
  MISSING_PUBLIC_KEY: CLIENT,
  INVALID_PUBLIC_KEY: CLIENT,
  INSECURE_PUBLIC_KEY: CLIENT,
  INVALID_PROOF_OF_POSSESSION: CLIENT,
  INVALID_CSR: CLIENT,
  INVALID_CSR_SIGNATURE: CLIENT,
  UNSUPPORTED_SIGNATURE_ALGORITHM: CLIENT,
  // The CT log could not be reached or answered 5xx: worth a retry.
  CT_LOG_UNAVAILABLE: { status: 503, grpc: 14, prefix: 'Error entering certificate in CTL' },
  // The log refused the precertificate (4xx) or answered with an SCT that does not verify with its configured key:
  // our side's problem (a gateway's bad upstream answer), not the client's, and a retry will not help.
  CT_LOG_REJECTED: { status: 502, grpc: 13, prefix: 'Error entering certificate in CTL' },
  SIGNING_FAILED: { status: 500, grpc: 13, prefix: 'error communicating with CA backend' },
  // The server was stopping and the request was still running at the end of the drain timeout: retry elsewhere.
  SHUTTING_DOWN: { status: 503, grpc: 14 },
  INTERNAL: { status: 500, grpc: 13 },
};
