// Why a request to another server (an OIDC issuer's discovery document or key set, an external CT log) failed, in
// two forms: for the server log, the error code (ECONNREFUSED, ENOTFOUND, ETIMEDOUT, CERT_HAS_EXPIRED, ...), the
// host and Node's own words (which name addresses); for responses, a short safe phrase ("connection refused") that
// names no address. Node's fetch hides all of it behind "fetch failed" (the cause sits in `cause`), node:http gives
// it in `code`; both are read here.
export class OutboundError extends TypeError {
  override readonly name = 'OutboundError';
  /** ECONNREFUSED, ENOTFOUND, ETIMEDOUT, a TLS code (CERT_HAS_EXPIRED, ...), RESPONSE_TOO_LARGE, REDIRECT_REFUSED, ... */
  readonly code: string;
  /** host[:port] of the URL asked. */
  readonly host: string;
  /** The failure was the server's TLS certificate or handshake. */
  readonly tls: boolean;
  /** What a client may be told: no address, no internal name. */
  readonly safe: string;
  constructor(o: { code: string; host: string; tls?: boolean; safe: string; detail: string; cause?: unknown }) {
    super(`${o.host}: ${o.detail}`, o.cause === undefined ? undefined : { cause: o.cause });
    this.code = o.code;
    this.host = o.host;
    this.tls = o.tls ?? false;
    this.safe = o.safe;
  }
}

/** OpenSSL's certificate verification codes as Node reports them, and the phrase a client gets for each. */
const TLS_CODES: Record<string, string> = {
  CERT_HAS_EXPIRED: 'its TLS certificate has expired',
  CERT_NOT_YET_VALID: 'its TLS certificate is not valid yet',
  CERT_REVOKED: 'its TLS certificate is revoked',
  CERT_SIGNATURE_FAILURE: 'its TLS certificate signature does not verify',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its TLS certificate is not trusted',
  UNABLE_TO_GET_ISSUER_CERT: 'its TLS certificate is not trusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'its TLS certificate is not trusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'its TLS certificate is not trusted (self-signed in chain)',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is not trusted (self-signed)',
  ERR_TLS_CERT_ALTNAME_INVALID: 'its TLS certificate does not name the host',
  CERT_PIN_MISMATCH: 'its TLS certificate is not the expected one',
};

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  UND_ERR_SOCKET: 'connection closed',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed (temporary)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'timeout: no answer in time',
  UND_ERR_CONNECT_TIMEOUT: 'timeout: no answer in time',
  UND_ERR_HEADERS_TIMEOUT: 'timeout: no answer in time',
  UND_ERR_BODY_TIMEOUT: 'timeout: no answer in time',
  ECONNABORTED: 'connection aborted',
};

const hostOf = (url: string | URL): string => {
  try {
    return new URL(url).host;
  } catch {
    return '<invalid URL>';
  }
};

/** The errors along `e`'s cause chain (and an AggregateError's first error), outermost first. */
function* chain(e: unknown): Generator<unknown> {
  const seen = new Set<unknown>();
  for (let cur = e; cur !== undefined && cur !== null && !seen.has(cur); ) {
    seen.add(cur);
    yield cur;
    const next: unknown = (cur as { cause?: unknown }).cause ?? (cur instanceof AggregateError ? cur.errors[0] : undefined);
    cur = next;
  }
}

/** The OutboundError somewhere in `e`'s cause chain. */
export function findOutbound(e: unknown): OutboundError | undefined {
  for (const c of chain(e)) if (c instanceof OutboundError) return c;
  return undefined;
}

/**
 * `e`, a failed request to `url`, as an OutboundError: the first error code along its cause chain, or a timeout
 * (an abort by a timeout signal, "no answer within"), or else the message alone.
 */
export function outboundError(url: string | URL, e: unknown): OutboundError {
  const found = findOutbound(e);
  if (found) return found;
  const host = hostOf(url);
  const messages: string[] = [];
  let code: string | undefined;
  let timeout = false;
  for (const c of chain(e)) {
    if (c instanceof Error) {
      if (!messages.includes(c.message)) messages.push(c.message);
      if (c.name === 'TimeoutError' || /^no answer within/.test(c.message)) timeout = true;
    }
    const k = (c as { code?: unknown }).code;
    if (code === undefined && typeof k === 'string' && k !== 'ABORT_ERR') code = k;
  }
  const detail = messages.join(': ') || String(e);
  if (code === undefined && timeout) code = 'ETIMEDOUT';
  // fetch refuses some ports outright (the WHATWG "bad port" list: 1, 22, 25, 6000, ...).
  if (code === undefined && messages.includes('bad port')) return new OutboundError({ code: 'BAD_PORT', host, safe: 'its port is one fetch refuses (bad port)', detail, cause: e });
  if (code !== undefined && code in TLS_CODES) return new OutboundError({ code, host, tls: true, safe: `${TLS_CODES[code]} (${code})`, detail, cause: e });
  if (code !== undefined && (code.startsWith('ERR_SSL_') || code === 'EPROTO' || code.startsWith('ERR_TLS_')))
    return new OutboundError({ code, host, tls: true, safe: `TLS handshake failed (${code})`, detail, cause: e });
  if (code !== undefined && code in NETWORK_CODES) return new OutboundError({ code, host, safe: `${NETWORK_CODES[code]} (${code})`, detail, cause: e });
  return new OutboundError({ code: code ?? 'UNKNOWN', host, safe: code ? `the request failed (${code})` : 'the request failed', detail, cause: e });
}

/** Fields for a log line about `e` when an outbound failure is in its cause chain: code, host, TLS, Node's words. */
export function outboundLogFields(e: unknown): Record<string, string | boolean> {
  const o = findOutbound(e);
  return o ? { outbound_code: o.code, outbound_host: o.host, ...(o.tls ? { outbound_tls: true } : {}), outbound_error: o.message } : {};
}
