// HTTP request metrics for an express app (the CA's and the CT log's) and the CA's node:http signing routes: a count
// and a latency histogram by route, method and status, in the caller's prom-client registry (never the global default
// one: tests run several servers in one process). The route label is the matched route's path, or "unmatched": an
// unknown path never becomes a label, so a client cannot grow the series without bound. Our routes have no path
// parameters, so the matched path is the request's path (trailing slash removed); since a case-insensitive router
// matches several spellings, at most MAX_ROUTE_LABELS distinct ones are kept and any further one is counted as "other".
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler } from 'express';
import { Counter, Histogram, type Registry } from 'prom-client';

/** Seconds: from a cached answer (0.5 ms) to a slow issuer or log (10 s). */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const MAX_ROUTE_LABELS = 100;

/**
 * The matched route's path; for a request refused before routing (a body that does not parse), its path when it is
 * one of `knownPaths`; else "unmatched".
 */
export function routeLabel(req: Request, knownPaths?: ReadonlySet<string>): string {
  if (req.route === undefined) return knownPaths?.has(req.path) ? req.path : 'unmatched';
  const path = (req.originalUrl.split('?')[0] ?? '').replace(/\/+$/, '');
  return path === '' ? '/' : path;
}

/** An express middleware that counts and times every request, and the same for a request answered without express. */
export interface HttpMetrics extends RequestHandler {
  /** Counts and times a request answered by a plain node:http handler, under `route` (one of that handler's paths). */
  track(req: IncomingMessage, res: ServerResponse, route: string): void;
}

/** Counts and times every request once its response has finished (or its connection closed). */
export function httpMetrics(registry: Registry, prefix: string, knownPaths?: ReadonlySet<string>): HttpMetrics {
  const labelNames = ['route', 'method', 'status'] as const;
  const requests = new Counter({ name: `${prefix}_http_requests_total`, help: 'HTTP requests answered, by route, method and status.', labelNames, registers: [registry] });
  const latency = new Histogram({
    name: `${prefix}_http_request_duration_seconds`,
    help: 'HTTP request latency in seconds (first byte received to last byte sent), by route, method and status.',
    labelNames,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const seen = new Set<string>();
  const bounded = (label: string): string => {
    if (seen.has(label)) return label;
    if (seen.size >= MAX_ROUTE_LABELS) return 'other';
    seen.add(label);
    return label;
  };
  const track = (req: IncomingMessage, res: ServerResponse, route: () => string): void => {
    const start = process.hrtime.bigint();
    let done = false;
    const record = () => {
      if (done) return;
      done = true;
      const labels = { route: bounded(route()), method: req.method ?? '', status: String(res.statusCode) };
      requests.inc(labels);
      latency.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
    };
    res.once('finish', record);
    res.once('close', record);
  };
  const handler: RequestHandler = (req, res, next) => {
    track(req, res, () => routeLabel(req, knownPaths));
    next();
  };
  return Object.assign(handler, { track: (req: IncomingMessage, res: ServerResponse, route: string) => track(req, res, () => route) });
}
