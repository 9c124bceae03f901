// Where an issuance's time goes: the in-process server (memory CT store, the CA key in a file) under a closed loop of
// 16 requests in flight, with V8's sampling profiler on the server's main thread (the event loop every request
// crosses) for the timed phase. Each sample is charged to the first frame, walking from the leaf up, that one of
// CATEGORIES claims (native frames such as a signature's `run` or the socket's `writev` have no URL and are charged
// to the JavaScript that called them; shared encoders such as lib/der are charged to their caller), and each category
// is reported as its share of the main thread's samples times the main thread's CPU time per certificate from /proc
// (the samples are wall-clock: on a loaded machine a descheduled thread keeps collecting them, its CPU time does not).
// Beside it, the whole process's CPU per certificate, so what runs off the main thread (V8's GC helpers, libuv's pool)
// shows as the difference.
import { Session } from 'node:inspector/promises';
import { mainThreadCpuMs, processCpuMs } from './cpu-time.js';
import { drive } from './http-load.js';
import { clientKey, signingBody, startServer, SUB } from './issuance.js';
import { startBenchIssuer } from './oidc-issuer.js';
import { cleanup, fmt, fmtInt, log } from './util.js';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: number[];
}
interface CpuProfile {
  readonly nodes: ProfileNode[];
  readonly samples: number[];
  readonly timeDeltas: number[];
}

/** Encoding helpers every part uses: their time is charged to the part that called them. */
const SHARED = /\/lib\/(der|x509|pem|base64|certificate-identity)\./;

/** In order: a frame is charged to the first category whose test it passes. */
const CATEGORIES: readonly { readonly name: string; readonly test: (f: CallFrame) => boolean }[] = [
  { name: 'garbage collection (main thread)', test: (f) => f.functionName === '(garbage collector)' },
  { name: 'signatures and key import (node:crypto, OpenSSL)', test: (f) => f.url.startsWith('node:internal/crypto') },
  { name: 'identity token check (jose, oidc/token-verifier)', test: (f) => /\/jose\/|\/oidc\/(token-verifier|compact-jws|jws-signature|token-claims|provider-cache|discovery|static-jwks)\./.test(f.url) },
  { name: 'claim mapping and policy (oidc/issuers, decision)', test: (f) => /\/oidc\/|\/decision\//.test(f.url) },
  { name: 'companion search indexer (search/, SQLite)', test: (f) => /\/search\/|better-sqlite3/.test(f.url) },
  { name: 'CT log: chain check, entry, store (ct/)', test: (f) => /\/ct\//.test(f.url) },
  { name: 'certificate building and checks (ca/)', test: (f) => /\/ca\//.test(f.url) },
  { name: 'request body (express.json reader)', test: (f) => /body-parser|raw-body|iconv-lite|\/lib\/json-body\./.test(f.url) },
  { name: 'metrics (prom-client)', test: (f) => /prom-client/.test(f.url) },
  { name: 'HTTP in Node (parser, streams, socket writes)', test: (f) => /^node:(_http|net|internal\/(streams|stream_base_commons|http))/.test(f.url) },
  { name: 'server glue (routes, audit line, log line)', test: (f) => /\/server\/|\/lib\//.test(f.url) && !SHARED.test(f.url) },
];
const OTHER = 'other (promises, timers, Node internals)';

export interface ProfileRow {
  readonly category: string;
  /** Main-thread CPU µs per certificate (its share of the samples × the main thread's CPU time per certificate). */
  readonly us: number;
  /** Share of the main thread's busy time. */
  readonly share: number;
}

export interface ProfileBench {
  readonly concurrency: number;
  readonly certificates: number;
  readonly perSecond: number;
  /** Main-thread busy time per certificate in the profile's samples (µs, wall clock). */
  readonly mainBusyUs: number;
  /** CPU per certificate from /proc (µs): the main thread, and the whole process (every thread). */
  readonly mainCpuUs?: number;
  readonly processCpuUs?: number;
  readonly rows: ProfileRow[];
}

/** Shares of the main thread's busy samples by category; `perCertUs` spreads the main thread's time per certificate over them. */
function categorize(profile: CpuProfile, perCertUs: (busyUs: number) => number): { rows: ProfileRow[]; busyUs: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const charged = new Map<number, string>();
  const categoryOf = (id: number): string | undefined => {
    const known = charged.get(id);
    if (known !== undefined) return known;
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)' || frame.functionName === '(program)') return frame.functionName;
    let category = CATEGORIES.find((c) => c.test(frame))?.name;
    if (category === undefined) {
      const up = parent.get(id);
      category = up === undefined ? OTHER : (categoryOf(up) ?? OTHER);
      if (category === '(idle)' || category === '(program)') category = OTHER;
    }
    charged.set(id, category);
    return category;
  };
  const totals = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const category = categoryOf(profile.samples[i]!) ?? OTHER;
    totals.set(category, (totals.get(category) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  totals.delete('(idle)');
  const program = totals.get('(program)') ?? 0;
  totals.delete('(program)');
  totals.set(OTHER, (totals.get(OTHER) ?? 0) + program);
  const busy = [...totals.values()].reduce((a, b) => a + b, 0);
  const total = perCertUs(busy);
  const rows = [...totals].map(([category, us]) => ({ category, us: (us / busy) * total, share: us / busy })).sort((a, b) => b.us - a.us);
  return { rows, busyUs: busy };
}

export async function benchProfile(o: { concurrency: number; requests: number; warmup: number }): Promise<ProfileBench> {
  const issuer = await startBenchIssuer();
  const stopIssuer = cleanup.add('stop OIDC issuer (profile)', () => issuer.close());
  try {
    const keys = Array.from({ length: 32 }, () => clientKey(SUB));
    const bodies: string[] = [];
    for (let i = 0; i < o.warmup + o.requests; i++) bodies.push(signingBody(await issuer.mint(), keys, i));
    const server = await startServer('memory', 'file', issuer.url);
    try {
      const url = `${server.caUrl}/api/v2/signingCert`;
      await drive({ url, bodies: bodies.slice(0, o.warmup), concurrency: o.concurrency, maxMs: 60_000, warmup: 0 });
      const session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 250 });
      const cpu0 = processCpuMs();
      const main0 = mainThreadCpuMs();
      await session.post('Profiler.start');
      const r = await drive({ url, bodies: bodies.slice(o.warmup), concurrency: o.concurrency, maxMs: 120_000, warmup: 0 });
      const { profile } = await session.post('Profiler.stop');
      const cpu1 = processCpuMs();
      const main1 = mainThreadCpuMs();
      session.disconnect();
      if (r.errors > 0) throw new Error(`${r.errors} requests failed, first: ${r.firstError}`);
      const mainCpuUs = main0 !== undefined && main1 !== undefined ? ((main1 - main0) * 1000) / r.done : undefined;
      // Without /proc, the profile's own busy time stands in for the main thread's CPU time.
      const { rows, busyUs } = categorize(profile as unknown as CpuProfile, (busy) => mainCpuUs ?? busy / r.done);
      log(`profile: ${r.done} certificates, main thread busy ${(busyUs / r.done).toFixed(0)} µs (samples) per certificate`);
      return {
        concurrency: o.concurrency,
        certificates: r.done,
        perSecond: (r.done / r.ms) * 1000,
        mainBusyUs: busyUs / r.done,
        ...(cpu0 !== undefined && cpu1 !== undefined ? { processCpuUs: ((cpu1 - cpu0) * 1000) / r.done } : {}),
        ...(mainCpuUs !== undefined ? { mainCpuUs } : {}),
        rows,
      };
    } finally {
      await server.close();
    }
  } finally {
    await stopIssuer();
  }
}

export function profileReport(p: ProfileBench): string {
  const lines = [
    `\n## Where an issuance's time goes (main thread, ${p.concurrency} in flight)\n\n`,
    `The in-process server (memory CT store, CA key in a file), ${fmtInt(p.certificates)} certificates at ${fmtInt(p.perSecond)}/s with V8's ` +
      `sampling profiler on the main thread (which makes it slower: compare shares, not rates). ` +
      (p.mainCpuUs !== undefined && p.processCpuUs !== undefined
        ? `CPU per certificate from /proc: main thread ${fmt(p.mainCpuUs)} µs, whole process ${fmt(p.processCpuUs)} µs (the difference is the companion log's ` +
          `thread, the search index's thread, V8's GC helper threads and libuv's pool); each row is its share of the main thread's samples times the main thread's CPU time.`
        : `No /proc here: each row is its share of the main thread's samples times their busy time, ${fmt(p.mainBusyUs)} µs per certificate.`) +
      `\n\n`,
    `| where | main-thread µs per certificate | share of busy time |\n|---|---|---|\n`,
    ...p.rows.map((r) => `| ${r.category} | ${fmt(r.us)} | ${(r.share * 100).toFixed(1)} % |\n`),
  ];
  return lines.join('');
}
