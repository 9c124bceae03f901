// HTTP for one OIDC issuer's discovery document and JWKS, as Fulcio's issuer client does it (pkg/config/config.go):
// redirects are followed only to the same host (scheme and port included; no downgrade to http), and an issuer's
// `CACert` PEM bundle is trusted for its HTTPS in addition to the system roots. Node's global fetch cannot take a
// CA, so with a bundle the requests go through node:https with `ca`; the result is still a fetch `Response`, which
// is what jose's createRemoteJWKSet `[customFetch]` expects.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';

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

/** A fetch-alike over node:http(s) trusting `ca` (and nothing else); errors are TypeErrors, as fetch's are. */
export function caFetch(ca: readonly string[]): IssuerFetch {
  return (url, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const target = new URL(url);
      const headers: Record<string, string> = {};
      new Headers(init.headers).forEach((v, k) => (headers[k] = v));
      const options = { method: init.method ?? 'GET', headers, ...(init.signal ? { signal: init.signal } : {}) };
      const fail = (e: unknown) => {
        if (e instanceof Error && (e.name === 'AbortError' || e.name === 'TimeoutError') && init.signal?.aborted) reject(init.signal.reason);
        else reject(new TypeError(`fetch failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e }));
      };
      const onResponse = (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_RESPONSE_BYTES) res.destroy(new Error(`response from ${target.host} exceeds ${MAX_RESPONSE_BYTES} bytes`));
          else chunks.push(c);
        });
        res.on('error', fail);
        res.on('end', () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
          const status = res.statusCode ?? 500;
          const body = status === 204 || status === 304 ? null : Buffer.concat(chunks);
          resolve(new Response(body, { status, headers: h }));
        });
      };
      let req;
      if (target.protocol === 'https:') req = httpsRequest(target, { ...options, ca: [...ca] }, onResponse);
      else if (target.protocol === 'http:') req = httpRequest(target, options, onResponse);
      else return reject(new TypeError(`fetch failed: unsupported protocol ${target.protocol}`));
      req.on('error', fail);
      req.end();
    });
}

/**
 * The fetch used for one issuer: global fetch, or node:https with the system roots plus `caCert` when given, and in
 * both cases redirects followed by hand only while they stay on the first URL's host.
 */
export function issuerFetch(opts: { caCert?: string; fetch?: typeof fetch } = {}): IssuerFetch {
  const base: IssuerFetch =
    opts.caCert !== undefined ? caFetch([...rootCertificates, ...pemCertificates(opts.caCert)]) : (opts.fetch ?? fetch);
  return async (url, init = {}) => {
    const first = new URL(url);
    let current = first;
    for (let hop = 0; ; hop++) {
      const res = await base(current.href, { ...init, redirect: 'manual' });
      const location = res.headers.get('location');
      if (res.status < 300 || res.status > 399 || location === null) return res;
      await res.body?.cancel().catch(() => undefined);
      const next = new URL(location, current);
      if (next.host !== first.host || (first.protocol === 'https:' && next.protocol !== 'https:'))
        throw new TypeError(`fetch failed: redirect from ${first.host} to ${next.protocol}//${next.host} refused (only same-host redirects are followed)`);
      if (hop + 1 >= MAX_REDIRECTS) throw new TypeError(`fetch failed: more than ${MAX_REDIRECTS} redirects from ${first.href}`);
      current = next;
    }
  };
}
