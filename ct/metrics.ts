// The CT log's Prometheus metrics (GET /metrics on the log's port), in a registry of its own per log. Tree size and
// STH age are read from the store at each scrape; append latency, batch sizes, the store's commit latency and store
// errors come from the log's observer (ct/log.ts LogObserver). Every name is listed in README ("Metrics").
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { httpMetrics, LATENCY_BUCKETS, type HttpMetrics } from '../lib/http-metrics.js';
import type { Clock } from '../lib/clock.js';
import { systemClock } from '../lib/clock.js';
import type { LogObserver, LogStatus } from './log.js';

export interface LogMetrics {
  readonly registry: Registry;
  readonly observer: LogObserver;
  /** Every request, by route (the express app's, and ct/submit-http.ts's through `track`). */
  readonly http: HttpMetrics;
  /** Where scrapes read the tree size and STH timestamp from (the log, once it exists). */
  bind(status: () => Promise<LogStatus>): void;
  render(): Promise<string>;
  readonly contentType: string;
}

export function createLogMetrics(clock: Clock = systemClock): LogMetrics {
  const registry = new Registry();
  const registers = [registry];
  let status: (() => Promise<LogStatus>) | undefined;
  const storeErrors = new Counter({ name: 'fulgor_ct_store_errors_total', help: 'Store calls that failed (sequencing, status reads).', registers });
  // One status read per scrape, shared by both gauges.
  let reading: Promise<LogStatus | undefined> | undefined;
  const read = (): Promise<LogStatus | undefined> =>
    (reading ??= (status?.() ?? Promise.resolve(undefined)).catch(() => undefined).finally(() => setImmediate(() => (reading = undefined))));
  new Gauge({
    name: 'fulgor_ct_tree_size',
    help: 'Entries in the log, read from the store at each scrape.',
    registers,
    async collect() {
      const s = await read();
      if (s) this.set(s.treeSize); // else the last value read stays; fulgor_ct_store_errors_total counts the failure
    },
  });
  new Gauge({
    name: 'fulgor_ct_sth_age_seconds',
    help: 'Seconds since the latest published signed tree head was signed (0 before the first STH).',
    registers,
    async collect() {
      const s = await read();
      if (s?.sthTimestamp !== undefined) this.set(Math.max(0, (clock().getTime() - s.sthTimestamp) / 1000));
    },
  });
  const appendLatency = new Histogram({
    name: 'fulgor_ct_append_duration_seconds',
    help: 'Submissions (add-chain, add-pre-chain) from validation to the durable entry and its SCT, in seconds.',
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const batchSizes = new Histogram({
    name: 'fulgor_ct_batch_size',
    help: 'Entries per sequencing batch (one store write and fsync, or one Redis round trip, each).',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    registers,
  });
  const commitLatency = new Histogram({
    name: 'fulgor_ct_store_commit_duration_seconds',
    help: "Batches made durable by the log's store (a file store's write and fdatasync, a Redis round trip), in seconds.",
    buckets: LATENCY_BUCKETS,
    registers,
  });
  return {
    registry,
    observer: {
      appended: (seconds) => appendLatency.observe(seconds),
      batch: (size) => batchSizes.observe(size),
      committed: (seconds) => commitLatency.observe(seconds),
      storeError: () => storeErrors.inc(),
    },
    http: httpMetrics(registry, 'fulgor_ct'),
    bind(s) {
      status = s;
    },
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}
