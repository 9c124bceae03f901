// Delivering a finding to a webhook: an HTTP POST of the finding's JSON (Content-Type application/json); any 2xx
// answer accepts it. A failure (no answer, timeout, non-2xx) is retried with a doubling delay; after the last attempt
// the caller keeps the finding and sends it again at the next poll (monitor/follow.ts).
import { httpRequest } from '../lib/http-client.js';
import type { Finding } from './finding.js';

export interface WebhookOptions {
  readonly url: string;
  /** Attempts per delivery (default 3). */
  readonly attempts?: number;
  /** Delay before the second attempt, doubled each time (default 500 ms). */
  readonly backoffMs?: number;
  readonly timeoutMs?: number;
}

/** Posts `finding`; resolves undefined when the webhook accepted it, else the last failure in words. */
export async function postFinding(o: WebhookOptions, finding: Finding): Promise<string | undefined> {
  const attempts = o.attempts ?? 3;
  let delay = o.backoffMs ?? 500;
  let failure = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const res = await httpRequest(o.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'fulgor-monitor' },
        body: JSON.stringify(finding),
        timeoutMs: o.timeoutMs ?? 10_000,
        maxBytes: 64 * 1024,
      });
      if (res.status >= 200 && res.status < 300) return undefined;
      failure = `HTTP ${res.status}`;
    } catch (e) {
      failure = (e as Error).message;
    }
    if (attempt < attempts) {
      await new Promise((r) => setTimeout(r, delay));
      delay *= 2;
    }
  }
  return `${failure} after ${attempts} attempt${attempts === 1 ? '' : 's'}`;
}
