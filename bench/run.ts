// `npm run bench`: measures, in one run, CT append throughput (memory, file, Redis), proof latency at 1,000,000
// entries, bytes per stored entry, and CA issuance end to end, then prints the machine and a markdown report.
// Progress goes to stderr, the report to stdout. Every temp dir and Redis prefix is removed, even on failure.
// Settings (env): see BENCHMARKS.md.
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { probeRedis } from '../ct/redis-store.js';
import { benchAppends } from './ct-appends.js';
import { measureCryptoFloor } from './floor.js';
import { benchIssuance } from './issuance.js';
import { describeMachine } from './machine.js';
import { benchProfile, profileReport } from './profile.js';
import { benchProofs, type ProofResult } from './proofs.js';
import { benchSearch, searchReport } from './search.js';
import { report } from './report.js';
import { settings, type Results } from './settings.js';
import { benchSigningRoutes, signingRoutesReport } from './signing-routes.js';
import { benchSignatures, signaturesReport } from './signatures.js';
import type { StoreKind } from './stores.js';
import { benchTimestamps, timestampReport } from './timestamps.js';
import { cleanup, envInt, envNum, log, message, now } from './util.js';

async function main(): Promise<number> {
  const s = settings();
  const started = now();
  const errors: string[] = [];
  const redisSkipped = s.skip.has('redis') ? 'BENCH_SKIP=redis' : await probeRedis(s.redisUrl, 1_000);
  if (redisSkipped) log(`Redis skipped: ${redisSkipped}`);
  const kinds: StoreKind[] = redisSkipped ? ['memory', 'file'] : ['memory', 'file', 'redis'];
  const machine = await describeMachine(s.redisUrl, redisSkipped);
  const attempt = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (e) {
      log(`${what} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      errors.push(`${what}: ${message(e)}`);
      return undefined;
    }
  };

  const floor = s.skip.has('floor') ? undefined : measureCryptoFloor();
  // Issuance runs first (before the CT appends' memory stores and the big proof fills) so that its in-process server
  // does not inherit their heap: a 390-440 ms main-thread stall hit its first open-loop row in 2 of 3 runs after them.
  const issuance = s.skip.has('issuance')
    ? undefined
    : await attempt('CA issuance', () =>
        benchIssuance({
          concurrencies: s.caConcurrency,
          requests: Object.fromEntries(s.caConcurrency.map((c, i) => [c, s.caRequests[i] ?? s.caRequests[s.caRequests.length - 1]!])),
          warmup: s.caWarmup,
          seconds: s.caSeconds,
          storages: ['memory', 'file'],
          caKeys: ['softhsm2', 'file-p384'],
          pacedRequests: s.caPacedRequests,
          pacedSeconds: s.caPacedSeconds,
          pacedLeadInSeconds: s.caPacedLeadIn,
          workers: s.caWorkers,
          clusterWarmup: envInt('BENCH_CA_CLUSTER_WARMUP', 1500),
          floorIterations: s.skip.has('floor') ? 0 : s.rowFloorIterations,
          bare: !s.skip.has('bare'),
        }),
      );
  // Where the time goes: the main thread's profile of issuance at 16 in flight, by category (BENCH_SKIP=profile).
  const profile = s.skip.has('profile')
    ? undefined
    : await attempt('issuance profile', () => benchProfile({ concurrency: 16, requests: envInt('BENCH_PROFILE_REQUESTS', 3000), warmup: 200 }));
  const appends = s.skip.has('appends')
    ? undefined
    : await attempt('CT appends', () =>
        benchAppends({
          kinds,
          concurrencies: s.ctConcurrency,
          chains: s.ctChains,
          warmup: 200,
          seconds: s.seconds,
          rawBatches: s.rawBatches,
          rawKinds: kinds.filter((k) => k !== 'memory'),
          redisUrl: s.redisUrl,
          httpKinds: s.skip.has('ct-http') ? [] : kinds.filter((k) => k !== 'memory'),
          httpWarmup: s.ctHttpWarmup,
        }),
      );
  // The signing routes in express against node:http: the HTTP layer alone, then issuance end to end (BENCH_SKIP=routes: neither).
  const routes = [];
  for (const layer of ['http', 'issuance'] as const) {
    if (s.skip.has('routes')) break;
    const r = await attempt(`signing routes (${layer})`, () =>
      benchSigningRoutes({ layer, rounds: envInt('BENCH_ROUTES_ROUNDS', 3), seconds: envNum('BENCH_ROUTES_SECONDS', 3), concurrency: 16, requests: layer === 'http' ? 20_000 : envInt('BENCH_ROUTES_REQUESTS', 2000), warmup: 50 }),
    );
    if (r) routes.push(r);
  }
  const timestamps = s.skip.has('timestamps')
    ? undefined
    : await attempt('timestamps', () => benchTimestamps({ seconds: s.caSeconds, concurrencies: s.caConcurrency }));

  const signatures = s.skip.has('signatures')
    ? undefined
    : await attempt('signatures', () => benchSignatures({ concurrencies: [1, 16], seconds: s.seconds }));

  const proofs: ProofResult[] = [];
  const proofErrors: string[] = [];
  if (!s.skip.has('proofs')) {
    const runs: [StoreKind, number, number][] = [
      ['file', s.proofSmallSize, s.fillBatch],
      ['file', s.proofSize, s.fillBatch],
    ];
    if (!redisSkipped) runs.push(['redis', s.proofSmallSize, s.redisFillBatch], ['redis', s.redisProofSize, s.redisFillBatch]);
    // BENCH_BIG=1 adds a file store of 10,000,000 entries (BENCH_BIG_PROOF_SIZE; ~4 GB of entries.log, many minutes).
    if (process.env['BENCH_BIG'] === '1') runs.push(['file', envInt('BENCH_BIG_PROOF_SIZE', 10_000_000), s.fillBatch]);
    for (const [kind, size, fillBatch] of runs) {
      const r = await attempt(`proofs ${kind} @ ${size}`, () =>
        benchProofs({ kind, size, fillBatch, queries: s.proofQueries, warmup: 100, redisUrl: s.redisUrl, seed: 6962 }),
      );
      if (r) proofs.push(r);
      else proofErrors.push(`${kind} @ ${size}`);
    }
  }
  // BENCH_BIG=1 measures the search index at 1,000,000 entries (about 10 minutes here); the default row is short.
  const searchSize = process.env['BENCH_BIG'] === '1' ? 1_000_000 : envInt('BENCH_SEARCH_SIZE', 20_000);
  const searchResult = s.skip.has('search')
    ? undefined
    : await attempt(`search @ ${searchSize}`, () => benchSearch({ size: searchSize, smallSize: Math.min(searchSize, 20_000), queries: envInt('BENCH_SEARCH_QUERIES', 200), seed: 6962 }));
  const results: Results = {
    settings: { ...s, skip: [...s.skip] },
    machine,
    ...(redisSkipped ? { redisSkipped } : {}),
    ...(floor ? { floor } : {}),
    ...(appends ? { appends } : {}),
    proofs,
    proofErrors,
    ...(issuance ? { issuance } : {}),
    ...(signatures ? { signatures } : {}),
    ...(timestamps ? { timestamps } : {}),
    totalSeconds: (now() - started) / 1000,
    loadAtEnd: loadavg()[0]!,
    errors,
  };
  process.stdout.write(report(results) + (signatures ? signaturesReport(signatures, s.seconds) : ''));
  if (profile) process.stdout.write(profileReport(profile));
  for (const r of routes) process.stdout.write(signingRoutesReport(r));
  if (timestamps) process.stdout.write(timestampReport(timestamps));
  if (searchResult) process.stdout.write(searchReport(searchResult));
  if (s.json) await writeFile(s.json, JSON.stringify({ ...results, ...(searchResult ? { search: searchResult } : {}) }, null, 2) + '\n');
  return errors.length > 0 ? 1 : 0;
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: cleaning up`);
    void cleanup.runAll().finally(() => process.exit(130));
  });
}

let code = 1;
try {
  code = await main();
} catch (e) {
  log(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
} finally {
  await cleanup.runAll();
}
process.exit(code);
