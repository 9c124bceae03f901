// Small helpers shared by the benchmarks: statistics, formatting, a seeded PRNG, a time-boxed concurrent runner and a
// cleanup registry (temp dirs, Redis prefixes) that runs even when a benchmark fails or the process is interrupted, and
// the logger benched servers write with.
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { consoleLogger, type Logger } from '../lib/log.js';

export const now = (): number => performance.now();

export const envInt = (name: string, fallback: number): number => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, not ${JSON.stringify(v)}`);
  return n;
};

export const envNum = (name: string, fallback: number): number => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, not ${JSON.stringify(v)}`);
  return n;
};

export interface Summary {
  readonly n: number;
  readonly p10: number;
  readonly median: number;
  readonly p90: number;
  readonly p99: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
}

/** Nearest-rank percentiles. */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) return { n: 0, p10: NaN, median: NaN, p90: NaN, p99: NaN, mean: NaN, min: NaN, max: NaN };
  const s = [...samples].sort((a, b) => a - b);
  const rank = (p: number): number => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
  return { n: s.length, p10: rank(10), median: rank(50), p90: rank(90), p99: rank(99), mean: s.reduce((a, b) => a + b, 0) / s.length, min: s[0]!, max: s[s.length - 1]! };
}

/** mulberry32: reproducible "random" query positions. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Significant-figure formatting with thousands separators for large values. */
export function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  const abs = Math.abs(x);
  if (abs >= 10 ** digits) return Math.round(x).toLocaleString('en-US');
  if (abs === 0) return '0';
  return Number(x.toPrecision(digits)).toLocaleString('en-US', { maximumFractionDigits: 6 });
}

export const fmtInt = (x: number): string => Math.round(x).toLocaleString('en-US');

/** A load generator's message to its parent: the timed phase starts now (after the warm-up). */
export const TIMED = 'timed';

export interface RunResult {
  /** Operations completed inside the timed window. */
  readonly done: number;
  readonly ms: number;
  readonly latencies: number[];
  /** The open loop: when each timed request was due, ms from the timed start, in the order of `latencies`. */
  readonly dueMs?: number[];
  readonly errors: number;
  readonly firstError?: unknown;
}

/**
 * Runs `fn` over `items` with `concurrency` calls in flight until the items run out or `maxMs` have passed (a call
 * started before the deadline is waited for and counted). The first `warmup` items are run the same way, untimed;
 * `onTimed` is called between the two.
 */
export async function runConcurrent<T>(
  items: readonly T[],
  opts: { concurrency: number; maxMs: number; warmup: number; onTimed?: () => void },
  fn: (item: T) => Promise<unknown>,
): Promise<RunResult> {
  let next = 0;
  const phase = async (limit: number, deadline: number, latencies?: number[]): Promise<{ errors: number; firstError?: unknown }> => {
    let errors = 0;
    let firstError: unknown;
    const worker = async (): Promise<void> => {
      while (next < limit && now() < deadline) {
        const item = items[next++]!;
        const t0 = now();
        try {
          await fn(item);
          latencies?.push(now() - t0);
        } catch (e) {
          errors++;
          firstError ??= e;
        }
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
    return { errors, firstError };
  };
  await phase(Math.min(opts.warmup, items.length), Infinity);
  const latencies: number[] = [];
  opts.onTimed?.();
  const t0 = now();
  const { errors, firstError } = await phase(items.length, t0 + opts.maxMs, latencies);
  const ms = now() - t0;
  return { done: latencies.length, ms, latencies, errors, ...(firstError !== undefined ? { firstError } : {}) };
}

/** Things to undo (temp dirs, Redis prefixes, servers), run last-in first-out. */
export class Cleanup {
  private readonly tasks: { what: string; fn: () => Promise<unknown> }[] = [];

  add(what: string, fn: () => Promise<unknown>): () => Promise<void> {
    const task = { what, fn };
    this.tasks.push(task);
    return async () => {
      const i = this.tasks.indexOf(task);
      if (i >= 0) {
        this.tasks.splice(i, 1);
        await fn();
      }
    };
  }

  async runAll(): Promise<void> {
    while (this.tasks.length > 0) {
      const task = this.tasks.pop()!;
      try {
        await task.fn();
      } catch (e) {
        process.stderr.write(`bench cleanup: ${task.what} failed: ${e instanceof Error ? e.message : String(e)}\n`);
      }
    }
  }
}

export const cleanup = new Cleanup();

/** A fresh temp dir, removed by the returned function (or by cleanup.runAll). */
export async function tempDir(label: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `fulgor-bench-${label}-`));
  const remove = cleanup.add(`remove ${dir}`, () => rm(dir, { recursive: true, force: true }));
  return { dir, remove };
}

export const log = (msg: string): void => void process.stderr.write(`[bench] ${msg}\n`);

/**
 * A benched server's logger: `serve`'s (level info), each line formatted and written as in production, but to
 * /dev/null instead of stderr, and nothing kept (a memoryLogger's lines were garbage that production does not make).
 * `close` releases the descriptor; the cleanup registry does if the bench stops first.
 */
export function devNullLogger(): { readonly logger: Logger; close(): Promise<void> } {
  const fd = openSync('/dev/null', 'w');
  const close = cleanup.add('close /dev/null (a server log sink)', async () => closeSync(fd));
  return { logger: consoleLogger('info', (line) => void writeSync(fd, line)), close };
}

export const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));
