// The signing routes in node:http against the same routes in express (server/signing-http.ts, issue 12), driven in
// alternating rows (E N N E E N ...: a trend in the machine's load falls on both) with 16 in flight from a worker
// thread, two ways: `issuance`, two CAs in this process (serve(), companion log on a memory store, CA key in a file)
// and distinct tokens; `http`, the CA's request listener (server/app.ts) alone before a signing service that answers
// a fixed chain at once, so that the HTTP layer is all there is to measure. Per row: requests/s and the main thread's
// CPU time per request (Linux: the thread's utime + stime from /proc, 10 ms ticks; warm-up requests counted), which
// holds everything the CA, its log and the issuer do on that thread: the difference between the variants is the HTTP
// layer. Event-loop utilisation × elapsed / requests is printed too, but on a loaded machine it counts the time the
// thread waited for a core while busy.
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createDevCa } from '../ca/dev-ca.js';
import { listenHttp } from '../lib/listen.js';
import { parseIdentityConfig } from '../oidc/identity-compile.js';
import { createApp, type SigningRoutesIn as SigningRoutes } from '../server/app.js';
import { createMetrics } from '../server/metrics.js';
import type { SigningService } from '../server/signing-service.js';
import { mainThreadCpuMs } from './cpu-time.js';
import { drive } from './http-load.js';
import { clientKey, signingBody, startServer, SUB } from './issuance.js';
import { startBenchIssuer } from './oidc-issuer.js';
import { cleanup, devNullLogger, fmt, log, now } from './util.js';

export interface SigningRoutesRow {
  readonly routes: SigningRoutes;
  readonly perSecond: number;
  /** Main-thread CPU µs per request (warm-up requests counted); undefined where /proc is not there. */
  readonly cpuMicros: number | undefined;
  /** Main-thread busy µs per request by event-loop utilisation (wall-clock: includes waiting for a core). */
  readonly busyMicros: number;
  readonly count: number;
  readonly errors: number;
}

/** `issuance`: real issuance (serve(), distinct tokens); `http`: the CA's HTTP layer alone, before a signing service that answers at once. */
export type Layer = 'issuance' | 'http';

export interface SigningRoutesBench {
  readonly layer: Layer;
  readonly rows: SigningRoutesRow[];
  readonly concurrency: number;
  readonly seconds: number;
  readonly loadAtStart: number;
  readonly loadAtEnd: number;
}

export interface SigningRoutesOptions {
  readonly layer: Layer;
  readonly rounds: number;
  readonly seconds: number;
  readonly concurrency: number;
  /** Tokens per row (the row stops at `seconds` or when they run out). */
  readonly requests: number;
  readonly warmup: number;
}

interface Server {
  readonly caUrl: string;
  close(): Promise<void>;
}

/** The CA's request listener (server/app.ts) in front of a signing service that answers a fixed chain at once. */
async function startHttpOnlyServer(signingRoutes: SigningRoutes): Promise<Server> {
  const dev = await createDevCa();
  const chain = [dev.root, dev.intermediate, dev.root];
  const signing: SigningService = { issue: () => Promise.resolve({ chain }) };
  const identity = parseIdentityConfig('{}');
  const lines = devNullLogger();
  const app = createApp({ signing, caChain: [dev.intermediate, dev.root], identity, metrics: createMetrics(), logger: lines.logger, signingRoutes });
  const listening = await listenHttp('127.0.0.1', 0, app);
  const close = cleanup.add(`stop signing-routes server (${signingRoutes})`, async () => {
    await listening.close({ drainMs: 0 });
    await lines.close();
  });
  return { caUrl: listening.url, close };
}

async function requestBodies(layer: Layer, count: number): Promise<{ bodies: string[]; issuerUrl?: string; close: () => Promise<void> }> {
  const keys = Array.from({ length: 32 }, () => clientKey(SUB));
  const body = (token: string, i: number) => signingBody(token, keys, i);
  // The HTTP layer alone verifies nothing: a token-sized string does.
  if (layer === 'http') return { bodies: Array.from({ length: count }, (_, i) => body(`${'x'.repeat(1000)}${i}`, i)), close: () => Promise.resolve() };
  const issuer = await startBenchIssuer();
  const close = cleanup.add('stop OIDC issuer (signing routes)', () => issuer.close());
  log(`signing routes: minting ${count} tokens`);
  const bodies: string[] = [];
  for (let i = 0; i < count; i++) bodies.push(body(await issuer.mint(), i));
  return { bodies, issuerUrl: issuer.url, close };
}

export async function benchSigningRoutes(o: SigningRoutesOptions): Promise<SigningRoutesBench> {
  const loadAtStart = loadavg()[0]!;
  const order: SigningRoutes[] = [];
  for (let i = 0; i < o.rounds; i++) order.push(...(i % 2 === 0 ? (['express', 'node'] as const) : (['node', 'express'] as const)));
  const perRow = o.warmup + o.requests;
  // Before the rows, each server answers WARM_UP requests untimed (the JIT warms the code both share).
  const WARM_UP = 300;
  const total = order.length * perRow + 2 * WARM_UP;
  const { bodies, issuerUrl, close } = await requestBodies(o.layer, total);
  try {
    const start = (routes: SigningRoutes) => (issuerUrl === undefined ? startHttpOnlyServer(routes) : startServer('memory', 'file', issuerUrl, 1, routes));
    const servers = { express: await start('express'), node: await start('node') };
    const rows: SigningRoutesRow[] = [];
    try {
      for (const [i, routes] of (['express', 'node'] as const).entries()) {
        const slice = bodies.slice(order.length * perRow + i * WARM_UP, order.length * perRow + (i + 1) * WARM_UP);
        await drive({ url: `${servers[routes].caUrl}/api/v2/signingCert`, bodies: slice, concurrency: o.concurrency, maxMs: 60_000, warmup: 0 });
      }
      for (const [i, routes] of order.entries()) {
        const slice = bodies.slice(i * perRow, (i + 1) * perRow);
        const elu0 = performance.eventLoopUtilization();
        const cpu0 = mainThreadCpuMs();
        const t0 = now();
        const r = await drive({ url: `${servers[routes].caUrl}/api/v2/signingCert`, bodies: slice, concurrency: o.concurrency, maxMs: o.seconds * 1000, warmup: o.warmup });
        const elu = performance.eventLoopUtilization(elu0);
        const cpu1 = mainThreadCpuMs();
        const requests = r.done + r.errors + o.warmup;
        const cpuMicros = cpu0 === undefined || cpu1 === undefined ? undefined : ((cpu1 - cpu0) * 1000) / requests;
        const row: SigningRoutesRow = { routes, perSecond: (r.done / r.ms) * 1000, cpuMicros, busyMicros: (elu.active * 1000) / requests, count: r.done, errors: r.errors };
        if (r.errors > 0) log(`signing routes (${o.layer}, ${routes}): ${r.errors} errors, first: ${r.firstError}`);
        log(`signing routes (${o.layer}, ${routes}) row ${i + 1}: ${row.perSecond.toFixed(0)}/s, main thread ${cpuMicros?.toFixed(0) ?? '?'} µs CPU, ${row.busyMicros.toFixed(0)} µs busy per request (${fmt(elu.utilization * 100)} % busy over ${((now() - t0) / 1000).toFixed(1)} s)`);
        rows.push(row);
      }
    } finally {
      await servers.express.close();
      await servers.node.close();
    }
    return { layer: o.layer, rows, concurrency: o.concurrency, seconds: o.seconds, loadAtStart, loadAtEnd: loadavg()[0]! };
  } finally {
    await close();
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export function signingRoutesReport(b: SigningRoutesBench): string {
  const out = [
    `\n## Signing routes: express against node:http, ${b.layer === 'http' ? 'the HTTP layer alone (a signing service that answers at once)' : 'issuance end to end'} (alternating rows of ${b.seconds} s, ${b.concurrency} in flight${b.layer === 'issuance' ? ', distinct tokens' : ''}; load ${fmt(b.loadAtStart)} / ${fmt(b.loadAtEnd)} at start / end)\n\n`,
    '| row | signing routes in | requests/s | main-thread CPU µs per request | main-thread busy µs per request (ELU) | timed requests | errors |\n|---|---|---|---|---|---|---|\n',
    ...b.rows.map((r, i) => `| ${i + 1} | ${r.routes} | ${r.perSecond.toFixed(0)} | ${r.cpuMicros?.toFixed(0) ?? 'n/a'} | ${r.busyMicros.toFixed(0)} | ${r.count} | ${r.errors} |\n`),
  ];
  // Each round is one express row and one node:http row next to each other: compared pairwise, a change in the
  // machine's load between rounds falls on both sides of a pair.
  const pairs: Array<{ e: SigningRoutesRow; n: SigningRoutesRow }> = [];
  for (let i = 0; i + 1 < b.rows.length; i += 2) {
    const [x, y] = [b.rows[i]!, b.rows[i + 1]!];
    if (x.routes !== y.routes) pairs.push(x.routes === 'express' ? { e: x, n: y } : { e: y, n: x });
  }
  if (pairs.length > 0) {
    const cost = (r: SigningRoutesRow) => r.cpuMicros ?? r.busyMicros;
    const what = pairs[0]!.e.cpuMicros === undefined ? 'busy (ELU)' : 'CPU';
    const [eCost, nCost] = [median(pairs.map((p) => cost(p.e))), median(pairs.map((p) => cost(p.n)))];
    const saved = median(pairs.map((p) => cost(p.e) - cost(p.n)));
    const rate = median(pairs.map((p) => p.n.perSecond / p.e.perSecond));
    out.push(
      `\nMedians over ${pairs.length} rounds: main-thread ${what} per request express ${eCost.toFixed(0)} µs, node:http ${nCost.toFixed(0)} µs; ` +
        `node:http saves ${saved.toFixed(0)} µs per request (median of the rounds' differences) and answers ${fmt(rate)}× the requests/s of express (median of the rounds' ratios).\n`,
    );
  }
  return out.join('');
}
