// A small HTTP client over node:http(s) with keep-alive agents: on loopback it costs about a quarter of global
// fetch per request, which matters on the signing path (the CA calls its CT log once per certificate).
import http from 'node:http';
import https from 'node:https';

export interface HttpResponse {
  readonly status: number;
  readonly text: string;
}

export interface HttpRequest {
  readonly method: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly timeoutMs: number;
  /** Responses larger than this are refused (default 16 MiB). */
  readonly maxBytes?: number;
}

const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

export function httpRequest(url: string, req: HttpRequest): Promise<HttpResponse> {
  const u = new URL(url);
  const secure = u.protocol === 'https:';
  if (!secure && u.protocol !== 'http:') return Promise.reject(new Error(`unsupported URL scheme ${u.protocol}`));
  const body = req.body === undefined ? undefined : Buffer.from(req.body, 'utf8');
  const maxBytes = req.maxBytes ?? 16 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    const r = (secure ? https : http).request(
      u,
      {
        method: req.method,
        agent: secure ? agents.https : agents.http,
        headers: { ...req.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
        timeout: req.timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > maxBytes) r.destroy(new Error(`response larger than ${maxBytes} bytes`));
          else chunks.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    r.on('timeout', () => r.destroy(new Error(`no answer within ${req.timeoutMs} ms`)));
    r.on('error', reject);
    r.end(body);
  });
}
