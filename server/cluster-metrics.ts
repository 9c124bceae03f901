// GET /metrics of `fulgor serve --workers N`, summed in the cluster primary (server/cluster.ts): each worker's own
// registry (asked over the cluster's IPC channel) plus the primary's, which holds what the primary does for the
// workers (the audit-log batches: it is their one writer). prom-client's AggregatorRegistry.aggregate sums them
// (counters and histograms add up; fulgor_build_info is 'first'). Its clusterMetrics() cannot be used: it gathers
// the workers only.
import type { Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { GatheredMessage } from './cluster-messages.js';

/** How long a worker may take to give its metrics (as prom-client's clusterMetrics). */
const GATHER_TIMEOUT_MS = 5_000;

type Parts = GatheredMessage['metrics'];

export interface MetricsGatherer {
  /** A worker's answer to `gather`. */
  answered(m: GatheredMessage): void;
  /** The metrics of `workers` (those that have started: one still starting has served nothing) and the primary's, summed, in Prometheus's text format. */
  render(workers: Iterable<Worker>): Promise<string>;
}

export function metricsGatherer(primary: Registry): MetricsGatherer {
  const waiting = new Map<number, (parts: Parts | undefined) => void>();
  let nextId = 0;
  /** `w`'s metrics; none if it exits first (a new worker starts from zero anyway); rejects after the timeout. */
  const ask = (w: Worker): Promise<Parts | undefined> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const settle = (parts: Parts | undefined, error?: Error): void => {
        clearTimeout(timer);
        w.off('exit', gone);
        waiting.delete(id);
        if (error) reject(error);
        else resolve(parts);
      };
      const gone = (): void => settle(undefined);
      const timer = setTimeout(() => settle(undefined, new Error(`CA worker ${w.process.pid} gave no metrics within ${GATHER_TIMEOUT_MS} ms`)), GATHER_TIMEOUT_MS);
      waiting.set(id, settle);
      w.once('exit', gone);
      w.send({ fulgor: 'gather', id }, undefined, (e) => {
        if (e) gone();
      });
    });
  return {
    answered(m) {
      waiting.get(m.id)?.(m.metrics);
    },
    async render(workers) {
      const asked = [...workers].filter((w) => w.isConnected()).map(ask);
      const parts = [...(await Promise.all(asked)), await primary.getMetricsAsJSON()].filter((p): p is Parts => p !== undefined);
      return AggregatorRegistry.aggregate(parts).metrics();
    },
  };
}
