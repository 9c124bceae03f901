// The CA's Prometheus metrics (GET /metrics on the CA port), through prom-client, in a registry of its own per server.
// Every name is listed in README ("Metrics"). Labels are bounded: issuers are configured issuers (a MetaIssuers
// pattern, not each URL it matches), reasons are reason codes, routes are matched routes.
import { readFileSync } from 'node:fs';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { httpMetrics, LATENCY_BUCKETS, type HttpMetrics } from '../lib/http-metrics.js';
import type { ReasonCode } from '../lib/errors.js';
import type { IssuerFetchObserver } from '../oidc/discovery.js';
import { KNOWN_PATHS } from './routes.js';
import type { IssuanceMetrics } from './signing-service.js';

export interface Metrics extends IssuanceMetrics, IssuerFetchObserver, AuditObserver {
  readonly registry: Registry;
  /** Counts and times every request of the CA's app (express and the node:http signing routes). */
  readonly http: HttpMetrics;
  /** Every refused signing request, by reason code (policy denials and rate limits included). */
  refused(reason: ReasonCode): void;
  /** One CT submission: its latency, and `failure` (a reason code) when it failed. */
  ctSubmission(seconds: number, failure?: ReasonCode): void;
  /** A rate-limit check the shared store failed (the process's own buckets answered it). */
  rateLimitStoreFailed(): void;
  render(): Promise<string>;
  readonly contentType: string;
}

export interface BuildInfo {
  readonly version: string;
}

/** This build's version, from the package.json next to dist/ (the same path from server/ in the sources). */
export function fulgorVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export function createMetrics(build: BuildInfo = { version: fulgorVersion() }): Metrics {
  const registry = new Registry();
  const registers = [registry];
  new Gauge({
    name: 'fulgor_build_info',
    help: 'Always 1; the labels say which Fulgor and which Node.js serve.',
    labelNames: ['version', 'node_version'],
    registers,
    aggregator: 'first', // one build, however many workers (server/cluster.ts sums the rest)
  }).set({ version: build.version, node_version: process.version }, 1);
  const issued = new Counter({ name: 'fulgor_certificates_issued_total', help: 'Certificates issued, by OIDC issuer.', labelNames: ['issuer'], registers });
  const denied = new Counter({
    name: 'fulgor_policy_denied_total',
    help: 'Requests refused by issuance policy, by issuer and rule.',
    labelNames: ['issuer', 'rule'],
    registers,
  });
  const refused = new Counter({ name: 'fulgor_refusals_total', help: 'Signing requests refused, by reason code.', labelNames: ['reason'], registers });
  const rateLimited = new Counter({ name: 'fulgor_rate_limited_total', help: 'Requests refused by a rate limit, by scope.', labelNames: ['scope'], registers });
  const rateLimitStoreFailures = new Counter({
    name: 'fulgor_rate_limit_store_failures_total',
    help: 'Rate-limit checks the shared store (Redis) failed, answered by the process own buckets instead.',
    registers,
  });
  const oidcFetches = new Counter({
    name: 'fulgor_oidc_fetches_total',
    help: 'OIDC discovery documents and JWKS fetched, by configured issuer, kind (discovery, jwks) and outcome (ok, error).',
    labelNames: ['issuer', 'kind', 'outcome'],
    registers,
  });
  const ctLatency = new Histogram({
    name: 'fulgor_ct_submission_duration_seconds',
    help: 'Precertificate submissions to the CT log, in seconds, by outcome (ok, or the failure reason code).',
    labelNames: ['outcome'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const ctFailures = new Counter({
    name: 'fulgor_ct_submission_failures_total',
    help: 'Precertificate submissions that failed, by reason code (CT_LOG_UNAVAILABLE, CT_LOG_REJECTED).',
    labelNames: ['reason'],
    registers,
  });
  const audit = auditMetrics(registers);
  return {
    registry,
    http: httpMetrics(registry, 'fulgor', KNOWN_PATHS),
    issued: (issuer) => issued.inc({ issuer }),
    policyDenied: (issuer, rule) => denied.inc({ issuer, rule }),
    refused: (reason) => refused.inc({ reason }),
    rateLimited: (scope) => rateLimited.inc({ scope }),
    rateLimitStoreFailed: () => rateLimitStoreFailures.inc(),
    fetched: (issuer, kind, outcome) => oidcFetches.inc({ issuer, kind, outcome }),
    ctSubmission(seconds, failure) {
      ctLatency.observe({ outcome: failure ?? 'ok' }, seconds);
      if (failure !== undefined) ctFailures.inc({ reason: failure });
    },
    auditBatch: audit.auditBatch,
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}

/** What an audit log reports (server/audit-log.ts's observer). */
export interface AuditObserver {
  /** One audit-log batch written (and fsynced) in `seconds`, or failed. */
  auditBatch(lines: number, seconds: number, failed: boolean): void;
}

/**
 * The audit-log metrics, in `registers`: part of every CA's metrics, and alone in the registry of a cluster primary
 * (server/cluster.ts), which writes the audit log for its workers and adds these to their sum.
 */
export function auditMetrics(registers: Registry[]): AuditObserver {
  const latency = new Histogram({
    name: 'fulgor_audit_batch_duration_seconds',
    help: 'Audit-log batches: write and fsync time in seconds.',
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const lines = new Counter({ name: 'fulgor_audit_lines_total', help: 'Audit lines written (fsynced).', registers });
  const failures = new Counter({ name: 'fulgor_audit_failures_total', help: 'Audit-log batches that could not be written.', registers });
  return {
    auditBatch(n, seconds, failed) {
      if (failed) failures.inc();
      else {
        lines.inc(n);
        latency.observe(seconds);
      }
    },
  };
}
