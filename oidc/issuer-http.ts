// HTTP for one OIDC issuer's discovery document and JWKS, as Fulcio's issuer client does it (pkg/config/config.go):
// redirects are followed only to the same host (scheme and port included; no downgrade to http), and an issuer's
// `CACert` PEM bundle is trusted for its HTTPS in addition to the system roots. Node's global fetch cannot take a
// CA, so with a bundle the requests go through node:https with `ca`; the result is still a fetch `Response`, which
// is what jose's createRemoteJWKSet `[customFetch]` and openid-client's discovery `[customFetch]` expect. On every
// path the body is read here, under the caller's abort signal, and refused past MAX_RESPONSE_BYTES. Every failure is
// an OutboundError (lib/outbound-error.ts): code, host and Node's words for the log, a safe phrase for responses.
import { rootCertificates } from 'node:tls';
import { httpRequest } from '../lib/http-client.js';
import { OutboundError, outboundError } from '../lib/outbound-error.js';

export interface IssuerFetchInit {
  readonly method?: string;
  readonly signal?: AbortSignal;
  readonly headers?: ConstructorParameters<typeof Headers>[0];
  readonly redirect?: RequestInit['redirect'];
}
export type IssuerFetch = (url: string, init?: IssuerFetchInit) => Promise<Response>;

export const MAX_REDIRECTS = 10;
/** Discovery documents and key sets are small; anything larger is refused. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

/** The certificates of a PEM bundle, one PEM block each. */
export function pemCertificates(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
}

/** A fetch-alike over node:http(s) trusting `ca` (and nothing else); errors are OutboundErrors (TypeErrors, as fetch's are). */
export function caFetch(ca: readonly string[]): IssuerFetch {
  return async (url, init = {}) => {
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => (headers[k] = v));
    let res;
    try {
      res = await httpRequest(url, {
        method: init.method ?? 'GET',
        headers,
        ca,
        maxBytes: MAX_RESPONSE_BYTES,
        ...(init.signal ? { signal: init.signal } : {}),
      });
    } catch (e) {
      // httpRequest's errors are OutboundErrors already; an abort by the caller's timeout signal is ETIMEDOUT.
      throw outboundError(url, e);
    }
    const h = new Headers();
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
    return new Response(res.status === 204 || res.status === 304 ? null : res.body, { status: res.status, headers: h });
  };
}

const tooLarge = (host: string) =>
  new OutboundError({
    code: 'RESPONSE_TOO_LARGE',
    host,
    safe: `the response exceeds ${MAX_RESPONSE_BYTES} bytes`,
    detail: `response exceeds ${MAX_RESPONSE_BYTES} bytes`,
  });

/** `res` with its body read into memory, refused (an OutboundError) once it passes MAX_RESPONSE_BYTES. */
async function capped(res: Response, host: string): Promise<Response> {
  if (Number(res.headers.get('content-length') ?? 0) > MAX_RESPONSE_BYTES) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge(host);
  }
  if (res.body === null) return res;
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read().catch((e: unknown) => Promise.reject(outboundError(`http://${host}`, e)));
    if (done) break;
    size += value.byteLength;
    if (size > MAX_RESPONSE_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(host);
    }
    chunks.push(value);
  }
  return new Response(Buffer.concat(chunks), { status: res.status, statusText: res.statusText, headers: res.headers });
}

/**
 * The fetch used for one issuer: global fetch, or node:https with the system roots plus `caCert` when given, and in
 * both cases redirects followed by hand only while they stay on the first URL's host, and bodies capped.
 */
export function issuerFetch(opts: { caCert?: string; fetch?: typeof fetch } = {}): IssuerFetch {
  const base: IssuerFetch =
    opts.caCert !== undefined ? caFetch([...rootCertificates, ...pemCertificates(opts.caCert)]) : (opts.fetch ?? fetch);
  return async (url, init = {}) => {
    const first = new URL(url);
    let current = first;
    for (let hop = 0; ; hop++) {
      const at = current;
      const res = await base(at.href, { ...init, redirect: 'manual' }).catch((e: unknown) => Promise.reject(outboundError(at, e)));
      const location = res.headers.get('location');
      if (res.status < 300 || res.status > 399 || location === null) return capped(res, current.host);
      await res.body?.cancel().catch(() => undefined);
      const next = new URL(location, current);
      if (next.host !== first.host || (first.protocol === 'https:' && next.protocol !== 'https:'))
        throw new OutboundError({
          code: 'REDIRECT_REFUSED',
          host: first.host,
          safe: 'a redirect to another host was refused (only same-host redirects are followed)',
          detail: `redirect from ${first.host} to ${next.protocol}//${next.host} refused (only same-host redirects are followed)`,
        });
      if (hop + 1 >= MAX_REDIRECTS)
        throw new OutboundError({
          code: 'TOO_MANY_REDIRECTS',
          host: first.host,
          safe: `more than ${MAX_REDIRECTS} redirects`,
          detail: `more than ${MAX_REDIRECTS} redirects from ${first.href}`,
        });
      current = next;
    }
  };
}
