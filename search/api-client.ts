// The client side of `GET /api/v1/search`: one page from a log that serves it. A log without the API (any other
// RFC 6962 log) answers 404, reported as undefined so the caller can index that log itself.
import { httpRequest } from '../lib/http-client.js';
import type { SearchParams } from './query.js';
import type { SearchAnswer } from './service.js';

export function searchQueryString(params: SearchParams): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const one of v === undefined ? [] : typeof v === 'string' ? [v] : v) qs.append(k, one);
  return qs.toString();
}

function isAnswer(v: unknown): v is SearchAnswer {
  const a = v as SearchAnswer;
  return typeof a === 'object' && a !== null && Array.isArray(a.results) && typeof a.sth === 'object' && a.sth !== null && (a.next === null || typeof a.next === 'string');
}

export async function fetchSearchPage(logUrl: string, params: SearchParams, timeoutMs = 30_000): Promise<SearchAnswer | undefined> {
  const url = `${logUrl.replace(/\/+$/, '')}/api/v1/search?${searchQueryString(params)}`;
  const res = await httpRequest(url, { headers: { accept: 'application/json' }, timeoutMs }).catch((e: unknown) => {
    throw new Error(`search: cannot reach ${logUrl}: ${(e as Error).message}`, { cause: e });
  });
  if (res.status === 404) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(res.text);
  } catch {
    body = undefined;
  }
  if (res.status !== 200) {
    const message = typeof (body as { message?: unknown })?.message === 'string' ? (body as { message: string }).message : res.text.trim().slice(0, 300);
    throw new Error(`search: HTTP ${res.status}: ${message}`);
  }
  if (!isAnswer(body)) throw new Error('search: the log answered with something that is not a search answer');
  return body;
}
