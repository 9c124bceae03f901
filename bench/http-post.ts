// The load generators' POST (bench/issuance-client.ts, bench/timestamp-client.ts): node:http on a keep-alive agent
// rather than fetch, whose own cost (undici, web streams: ~1 ms per small POST on loopback here against ~0.3 ms) would
// otherwise be part of what the rows measure, on the core the server shares with the client.
import { Agent, request } from 'node:http';

export interface PostAnswer {
  readonly status: number;
  readonly body: Buffer;
}

/** A POST function for `url` with fixed headers over one keep-alive agent (`maxSockets` connections at most). */
export function httpPoster(url: string, headers: Record<string, string>, maxSockets = Infinity) {
  const agent = new Agent({ keepAlive: true, maxSockets });
  const post = (body: Buffer): Promise<PostAnswer> =>
    new Promise((resolve, reject) => {
      const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': String(body.length) }, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  return { post, close: () => agent.destroy() };
}
