// How the bench's markdown writes tables, ratios and a p99 with its interval (report.ts and targets.ts).
import type { Interval } from './tail-interval.js';
import { fmt } from './util.js';

export const table = (head: string[], rows: string[][]): string =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n') + '\n';

export const ratio = (a: number | undefined, b: number | undefined): string =>
  a === undefined || b === undefined || !Number.isFinite(a / b) ? 'n/a' : `${fmt(a / b)}×`;

/** A row's p99, and for an open-loop row the 95 % interval from resampling its seconds (bench/tail-interval.ts). */
export const p99Text = (x: { readonly latency: { readonly p99: number }; readonly p99Interval?: Interval }): string =>
  x.p99Interval ? `${fmt(x.latency.p99)} (${fmt(x.p99Interval.low)}–${fmt(x.p99Interval.high)})` : fmt(x.latency.p99);
