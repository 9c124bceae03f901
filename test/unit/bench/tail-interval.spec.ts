// bench/tail-interval.ts: the 95 % interval of an open-loop row's p99 by resampling its seconds, checked against a
// plain block bootstrap (every resampled row sorted whole) and on rows whose answer is known.
import assert from 'node:assert/strict';
import { p99Interval } from '../../../bench/tail-interval.js';
import { prng } from '../../../bench/util.js';

/** `perBlock` requests in each of `blocks` seconds, latencies from `latency(block, i)`. */
function row(blocks: number, perBlock: number, latency: (block: number, i: number) => number): { latencies: number[]; dueMs: number[] } {
  const latencies: number[] = [];
  const dueMs: number[] = [];
  for (let b = 0; b < blocks; b++)
    for (let i = 0; i < perBlock; i++) {
      latencies.push(latency(b, i));
      dueMs.push(b * 1000 + (i * 1000) / perBlock);
    }
  return { latencies, dueMs };
}

/** The same bootstrap without the shortcut: each resampled row pooled whole and sorted. */
function plainBootstrap(latencies: number[], dueMs: number[], resamples: number, seed: number): { low: number; high: number } {
  const blocks = new Map<number, number[]>();
  latencies.forEach((l, i) => {
    const b = Math.floor(dueMs[i]! / 1000);
    blocks.set(b, [...(blocks.get(b) ?? []), l]);
  });
  const list = [...blocks.values()];
  const random = prng(seed);
  const p99s: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const pooled: number[] = [];
    for (let k = 0; k < list.length; k++) pooled.push(...list[Math.floor(random() * list.length)]!);
    pooled.sort((a, b) => a - b);
    p99s.push(pooled[Math.ceil(0.99 * pooled.length) - 1]!);
  }
  p99s.sort((a, b) => a - b);
  const at = (q: number): number => p99s[Math.ceil(q * p99s.length) - 1]!;
  return { low: at(0.025), high: at(0.975) };
}

describe("bench/tail-interval: the p99's interval from resampling a row's seconds", () => {
  it('agrees with a plain block bootstrap, blocks of unequal sizes included', () => {
    const random = prng(7);
    // 10 seconds at 1,000/s; a cluster of slow requests in three of them; the last second short.
    const r = row(10, 1000, (b, i) => (b % 3 === 1 && i < 20 + b * 3 ? 20 + random() * 30 : random() * 5));
    r.latencies.push(40, 2, 3);
    r.dueMs.push(10_100, 10_200, 10_300);
    assert.deepEqual(p99Interval(r.latencies, r.dueMs, 1000, 300, 5), plainBootstrap(r.latencies, r.dueMs, 300, 5));
  });

  it('is one value when every second is alike, and spans the clusters when one second holds them', () => {
    const alike = row(10, 500, (_, i) => i / 10);
    const p99 = [...alike.latencies].sort((a, b) => a - b)[Math.ceil(0.99 * 5000) - 1]!;
    assert.deepEqual(p99Interval(alike.latencies, alike.dueMs), { low: p99, high: p99 });
    // One second's 100 slow requests make 2 % of the row: resampled rows without that second have a p99 of a fast one.
    const oneCluster = row(10, 500, (b, i) => (b === 4 && i < 100 ? 50 : 1));
    const interval = p99Interval(oneCluster.latencies, oneCluster.dueMs);
    assert.ok(interval !== undefined);
    assert.equal(interval.low, 1);
    assert.equal(interval.high, 50);
  });

  it('gives no interval for a row of one second, and refuses latencies without their due times', () => {
    const short = row(1, 100, () => 1);
    assert.equal(p99Interval(short.latencies, short.dueMs), undefined);
    assert.throws(() => p99Interval([1, 2], [0]), /one due time per latency/);
  });
});
