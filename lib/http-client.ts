// A small HTTP client over node:http(s). Keep-alive agents make it cost about a quarter of global fetch per request
// on loopback (the CA calls its CT log once per certificate), and it can trust a per-call CA bundle, which fetch
// cannot (an OIDC issuer's CACert). Every failure is an OutboundError (lib/outbound-error.ts): the code, host and
// Node's words for the log, a safe phrase for responses.
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { OutboundError, outboundError } from './outbound-error.js';

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly text: string;
}

export interface HttpRequest {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** No answer within this time fails the request. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Responses larger than this are refused (default 16 MiB). */
  readonly maxBytes?: number;
  /** Trust anchors for HTTPS instead of Node's defaults (PEM certificates). */
  readonly ca?: readonly string[];
}

const agents = {
  http: new http.Agent({ keepAlive: true }),
  https: new https.Agent({ keepAlive: true }),
};

/**
 * One request. A request on a reused keep-alive connection that the server closed meanwhile (ECONNRESET) is sent
 * once more on a fresh one, as Node's documentation advises; callers only send requests that are safe to repeat
 * (GETs, and CT submissions, which the log deduplicates).
 */
export async function httpRequest(url: string, req: HttpRequest = {}): Promise<HttpResponse> {
  try {
    try {
      return await requestOnce(url, req);
    } catch (e) {
      if ((e as { reusedSocket?: boolean }).reusedSocket && (e as NodeJS.ErrnoException).code === 'ECONNRESET') return await requestOnce(url, req);
      throw e;
    }
  } catch (e) {
    throw outboundError(url, e);
  }
}

function requestOnce(url: string, req: HttpRequest): Promise<HttpResponse> {
  const u = new URL(url);
  const secure = u.protocol === 'https:';
  if (!secure && u.protocol !== 'http:') return Promise.reject(new Error(`unsupported URL scheme ${u.protocol}`));
  const body = req.body === undefined ? undefined : Buffer.from(req.body, 'utf8');
  const maxBytes = req.maxBytes ?? 16 * 1024 * 1024;
  const options: https.RequestOptions = {
    method: req.method ?? 'GET',
    headers: { ...req.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
    // A Host header of the caller's (a CT log origin) changes what the server sees, not whom TLS checks (Node would
    // otherwise take the SNI name from it).
    ...(secure && req.headers?.['host'] !== undefined && isIP(u.hostname.replace(/^\[|\]$/g, '')) === 0 ? { servername: u.hostname } : {}),
    // A CA bundle needs its own TLS connections; otherwise reuse keep-alive ones.
    ...(req.ca ? { ca: [...req.ca] } : { agent: secure ? agents.https : agents.http }),
    ...(req.timeoutMs !== undefined ? { timeout: req.timeoutMs } : {}),
    ...(req.signal ? { signal: req.signal } : {}),
  };
  return new Promise((resolve, reject) => {
    const r = (secure ? https : http).request(u, options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > maxBytes)
          res.destroy(
            new OutboundError({ code: 'RESPONSE_TOO_LARGE', host: u.host, safe: `the response exceeds ${maxBytes} bytes`, detail: `response exceeds ${maxBytes} bytes` }),
          );
        else chunks.push(c);
      });
      res.on('error', reject);
      res.on('end', () => {
        const all = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: all, text: all.toString('utf8') });
      });
    });
    r.on('timeout', () => r.destroy(Object.assign(new Error(`no answer within ${req.timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    r.on('error', (e) => reject(Object.assign(e, { reusedSocket: r.reusedSocket })));
    r.end(body);
  });
}
