// How much an open-loop row's p99 owes to chance within the row. A row's slow requests come in clusters (a pause in
// one of the server's threads, a slow disk sync, the host stopping a vCPU) a few times a second, so one 10 s row
// holds only a few dozen such clusters and its p99 moves with how many fell in it. The interval resamples the row's
// seconds (a block bootstrap: whole seconds, so that a cluster stays whole) and reports where 95 % of the p99s of
// those resampled rows fall. It says nothing of the drift between runs (another minute of a shared host); with ten
// blocks it is a rough guide, enough to tell a target missed by far from one missed within the row's own noise.
import { prng } from './util.js';

export interface Interval {
  readonly low: number;
  readonly high: number;
}

/** Nearest-rank p99 of n samples: the k-th largest, k = n - ceil(0.99 n) + 1. */
const ranksFromTop = (n: number): number => n - Math.ceil(0.99 * n) + 1;

/**
 * The 95 % interval of the p99 of `latencies` (ms), each request's due time `dueMs` (ms from the timed start, same
 * order), by resampling its `blockMs` blocks with replacement `resamples` times (seeded: the same data gives the same
 * interval). Undefined with fewer than two blocks.
 */
export function p99Interval(latencies: readonly number[], dueMs: readonly number[], blockMs = 1000, resamples = 1000, seed = 12): Interval | undefined {
  if (latencies.length !== dueMs.length) throw new Error('p99Interval: one due time per latency');
  const byBlock = new Map<number, number[]>();
  for (const [i, l] of latencies.entries()) {
    const b = Math.floor(dueMs[i]! / blockMs);
    const block = byBlock.get(b);
    if (block) block.push(l);
    else byBlock.set(b, [l]);
  }
  const blocks = [...byBlock.values()];
  if (blocks.length < 2) return undefined;
  // A resampled row's p99 is among its largest few: no block can give it more than its own top `keep` values.
  const largest = Math.max(...blocks.map((b) => b.length));
  const keep = ranksFromTop(largest * blocks.length);
  const tops = blocks.map((b) => ({ n: b.length, top: [...b].sort((x, y) => y - x).slice(0, keep) }));
  const random = prng(seed);
  const p99s: number[] = [];
  for (let r = 0; r < resamples; r++) {
    let n = 0;
    const pooled: number[] = [];
    for (let k = 0; k < tops.length; k++) {
      const pick = tops[Math.floor(random() * tops.length)]!;
      n += pick.n;
      pooled.push(...pick.top);
    }
    pooled.sort((x, y) => y - x);
    p99s.push(pooled[ranksFromTop(n) - 1]!);
  }
  p99s.sort((x, y) => x - y);
  const at = (q: number): number => p99s[Math.min(p99s.length - 1, Math.max(0, Math.ceil(q * p99s.length) - 1))]!;
  return { low: at(0.025), high: at(0.975) };
}
