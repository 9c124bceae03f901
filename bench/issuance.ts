// CA issuance end to end: the real HTTP server (server/serve.ts: CA + companion CT log in one process, the log on a thread of its own reached by message; development keys
// from ca/dev-keys.ts) trusting a real local OIDC issuer, driven from a child process (bench/http-load.ts) with pre-minted tokens and
// pre-computed proofs of possession; certificates per second and per-certificate latency at 1 and 16 requests in
// flight. Variants: the companion log on a memory store and on a file store (fdatasync per group commit); and the
// issuing CA key in a SoftHSM2 token (pkcs11: URI, PIN from a file; memory store) next to the key file, or
// "skipped: <reason>" without softhsm2; a P-384 CA (as Sigstore's public intermediate) in files, memory store; and
// `fulgor serve --workers N` (bench/cluster-server.ts: a real process, the log in its primary on a file store), compared
// with the floor per core × N.
import { generateKeyPairSync, sign } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createMissingDevKeys } from '../ca/dev-keys.js';
import { KEY_FILES } from '../config/keys-dir.js';
import { createSoftHsm, SOFTHSM_MODULE, softhsmMissing } from '../signer/softhsm.js';
import type { SigningRoutesIn } from '../server/app.js';
import { serve } from '../server/serve.js';
import { drive, type ServerCpu } from './http-load.js';
import { processCpuMs, processTreeCpuMs, runQueueWaits } from './cpu-time.js';
import { startBareServer } from './bare-server.js';
import { p99Interval, type Interval } from './tail-interval.js';
import { startClusterServer } from './cluster-server.js';
import { cryptoFloorMeter, meanFloor, type CryptoFloor } from './floor.js';
import { startBenchIssuer, type BenchIssuer } from './oidc-issuer.js';
import { cleanup, devNullLogger, log, now, summarize, tempDir, type Summary } from './util.js';

export const SUB = 'repo:acme/app:ref:refs/heads/main';

/** Where the issuing CA key is: a PKCS#8 file, or a SoftHSM2 token (PKCS#11); `file-p384`: a P-384 CA (root and issuing key) in files. */
export type CaKeyKind = 'file' | 'softhsm2' | 'file-p384';

export interface IssuanceResult {
  /** 'none' for the bare server (bench/bare-server.ts), which has no log. */
  readonly ctStorage: 'memory' | 'file' | 'none';
  /** The bare node:http server doing only the crypto (bench/bare-server.ts), not Fulgor. */
  readonly bare?: true;
  readonly caKey: CaKeyKind;
  /** CA worker processes (`serve --workers N`, a separate process; the log in its primary); 1: in-process serve(). */
  readonly workers: number;
  /** Requests in flight (closed loop); 0 for the open-loop row. */
  readonly concurrency: number;
  /** The open-loop row: requests offered per second (half the variant's peak certificates/s). */
  readonly offeredPerSecond?: number;
  readonly perSecond: number;
  /** The server's CPU time per certificate in the timed phase (µs), without the load generator's; undefined without /proc. */
  readonly serverCpuUs?: number;
  /** The load generator's CPU time per request in the timed phase (µs; it shares the machine's cores with the server). */
  readonly clientCpuUs?: number;
  /** How long the server's threads, all together, were runnable but waiting for a CPU, per certificate (µs; bench/cpu-time.ts). */
  readonly serverWaitUs?: number;
  readonly latency: Summary;
  /** The open-loop row: the 95 % interval of its p99 from resampling its seconds (bench/tail-interval.ts). */
  readonly p99Interval?: Interval;
  /** The open-loop row of an in-process server: how late the server's event loop ran (ms), p99 and max. */
  readonly eventLoopDelay?: { readonly p99: number; readonly max: number };
  readonly count: number;
  readonly errors: number;
  /** The crypto floor measured just before and just after this row (their mean), when IssuanceOptions asked for it. */
  readonly floor?: CryptoFloor;
}

export interface IssuanceBench {
  readonly tokens: number;
  readonly mintMs: number;
  /** JWKS fetches the local issuer served during the whole issuance benchmark (the CA caches the key set). */
  readonly jwksFetches: number;
  readonly results: IssuanceResult[];
  /** Why the SoftHSM2 rows did not run. */
  readonly softhsmSkipped?: string;
}

export interface IssuanceOptions {
  readonly concurrencies: readonly number[];
  /** Timed requests available per concurrency (the run stops earlier at the time box). */
  readonly requests: Record<number, number>;
  readonly warmup: number;
  readonly seconds: number;
  readonly storages: readonly ('memory' | 'file')[];
  /** Tokens for each variant's open-loop row at half its peak (0: no such row). */
  readonly pacedRequests: number;
  /** Time box of the open-loop rows (default: `seconds`). */
  readonly pacedSeconds?: number;
  /** Untimed seconds at the same rate before each open-loop row's timed ones (default 0). */
  readonly pacedLeadInSeconds?: number;
  /** CA key variants run with the memory store in addition to the file-key rows (e.g. ['softhsm2', 'file-p384']). */
  readonly caKeys: readonly CaKeyKind[];
  /** `fulgor serve --workers N` rows (file store, CA key in a file), one per N. */
  readonly workers?: readonly number[];
  /**
   * Untimed requests per CA worker sent to a fresh `serve --workers N` before its rows (0: none). The in-process rows
   * run in the benchmark's own isolate, whose code V8 has already optimized on the rows before them; each worker
   * process starts cold, and without this its rows would charge its JIT warm-up to every certificate.
   */
  readonly clusterWarmup?: number;
  /**
   * Measure the crypto floor just before and just after each row with this many iterations (bench/floor.ts), so that
   * the row's ratios compare it with the machine as it was during the row (0 or absent: not measured).
   */
  readonly floorIterations?: number;
  /** Also run the bare node:http server's rows (bench/bare-server.ts): what Node allows on this machine. */
  readonly bare?: boolean;
}

/** A P-256 client key: its public key PEM and its proof of possession over `name`. */
export function clientKey(name: string): { pem: string; proof: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { pem: publicKey.export({ type: 'spki', format: 'pem' }) as string, proof: sign('sha256', Buffer.from(name), privateKey).toString('base64') };
}

/** A POST /api/v2/signingCert body: `token`, and one of `keys` (chosen by `i`) with its proof of possession. */
export function signingBody(token: string, keys: readonly { pem: string; proof: string }[], i: number): string {
  const key = keys[i % keys.length]!;
  return JSON.stringify({ credentials: { oidcIdentityToken: token }, publicKeyRequest: { publicKey: { algorithm: 'ECDSA', content: key.pem }, proofOfPossession: key.proof } });
}

/** Moves the keys dir's issuing CA key into a fresh SoftHSM2 token; resolves to its pkcs11: URI and the token's cleanup. */
async function caKeyInSoftHsm(keysDir: string): Promise<{ uri: string; close: () => Promise<void> }> {
  const hsm = await createSoftHsm();
  const close = cleanup.add('remove SoftHSM2 token dir', () => hsm.close());
  try {
    const pin = '12345678';
    const pinFile = join(hsm.dir, 'pin');
    await writeFile(pinFile, `${pin}\n`, { mode: 0o600 });
    await hsm.initToken('bench', pin);
    await hsm.importKey(join(keysDir, KEY_FILES.caKey), 'bench', 'issuing-ca', '01', pin);
    await rm(join(keysDir, KEY_FILES.caKey));
    return { uri: `pkcs11:token=bench;object=issuing-ca?module-path=${SOFTHSM_MODULE}&pin-source=file:${pinFile}`, close };
  } catch (e) {
    await close();
    throw e;
  }
}

export interface StartedServer extends ServerCpu {
  readonly caUrl: string;
  /** The server runs in this process (its event loop is this one); false for `serve --workers N`. */
  readonly inProcess: boolean;
  close(): Promise<void>;
}

/**
 * `fulgor serve` in-process on port 0 with fresh keys and an identity file trusting `issuerUrl` (the signing routes in
 * node:http, or in express for bench/signing-routes.ts's comparison).
 */
export async function startServer(
  storage: 'memory' | 'file',
  caKey: CaKeyKind,
  issuerUrl: string,
  workers = 1,
  signingRoutes: SigningRoutesIn = 'node',
): Promise<StartedServer> {
  const work = await tempDir(`issuance-${storage}-${caKey}-${workers}`);
  let token: { uri: string; close: () => Promise<void> } | undefined;
  try {
    const keysDir = join(work.dir, 'keys');
    await createMissingDevKeys(keysDir, caKey === 'file-p384' ? { caCurve: 'secp384r1' } : {});
    if (caKey === 'softhsm2') token = await caKeyInSoftHsm(keysDir);
    const configPath = join(work.dir, 'identity.json');
    await writeFile(configPath, JSON.stringify({ OIDCIssuers: { [issuerUrl]: { IssuerURL: issuerUrl, ClientID: 'sigstore', Type: 'github-workflow' } } }));
    const ctStorage = storage === 'file' ? `file:${join(work.dir, 'ct')}` : 'memory';
    if (workers > 1) {
      const cluster = await startClusterServer(workers, work.dir, ['--keys-dir', keysDir, '--config-path', configPath, '--ct-storage', ctStorage]);
      return {
        caUrl: cluster.caUrl,
        cpuMs: () => processTreeCpuMs(cluster.pid),
        runQueueWaits: () => runQueueWaits(cluster.pid, true),
        inProcess: false,
        close: async () => {
          await cluster.close();
          await work.remove();
        },
      };
    }
    const sink = devNullLogger();
    const running = await serve({
      host: '127.0.0.1',
      port: 0,
      ctPort: 0,
      keysDir,
      dev: false,
      allowDevKeys: true,
      ...(token ? { caKey: token.uri } : {}),
      ctStorage,
      configPath,
      signingRoutes,
      // Each request's log line is formatted and written as in production, to /dev/null.
      logger: sink.logger,
    });
    const stop = cleanup.add(`stop CA (${storage} CT store, CA key ${caKey})`, () => running.close());
    return {
      caUrl: running.caUrl,
      cpuMs: processCpuMs,
      runQueueWaits: () => runQueueWaits(process.pid),
      inProcess: true,
      close: async () => {
        await stop();
        await sink.close();
        await token?.close();
        await work.remove();
      },
    };
  } catch (e) {
    await token?.close();
    await work.remove();
    throw e;
  }
}

const cpuPerCert = (r: { serverCpuMs?: number; clientCpuMs?: number; serverWaitMs?: number; done: number }): { serverCpuUs?: number; clientCpuUs?: number; serverWaitUs?: number } => {
  if (r.done === 0) return {};
  const perCert = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : (ms * 1000) / r.done);
  const [serverCpuUs, clientCpuUs, serverWaitUs] = [perCert(r.serverCpuMs), perCert(r.clientCpuMs), perCert(r.serverWaitMs)];
  return {
    ...(serverCpuUs !== undefined ? { serverCpuUs } : {}),
    ...(clientCpuUs !== undefined ? { clientCpuUs } : {}),
    ...(serverWaitUs !== undefined ? { serverWaitUs } : {}),
  };
};

/** The open-loop row's p99 interval, when the load generator said when each request was due. */
const tailInterval = (r: { latencies: number[]; dueMs?: number[] }): { p99Interval?: Interval } => {
  const i = r.dueMs ? p99Interval(r.latencies, r.dueMs) : undefined;
  return i ? { p99Interval: i } : {};
};

/** A pause before each floor measurement, so that a row's last answers and the server's catch-ups do not share it. */
const FLOOR_SETTLE_MS = 200;

const rowFloor = (r: { floor?: CryptoFloor }): { floor?: CryptoFloor } => (r.floor ? { floor: r.floor } : {});

/** A server the issuance rows run against: Fulgor in one of its set-ups, or the bare node:http server. */
type Variant =
  | { readonly storage: 'memory' | 'file'; readonly caKey: CaKeyKind; readonly workers: number; readonly bare?: undefined }
  | { readonly storage: 'none'; readonly caKey: 'file'; readonly workers: 1; readonly bare: true };

export async function benchIssuance(o: IssuanceOptions): Promise<IssuanceBench> {
  const issuer: BenchIssuer = await startBenchIssuer();
  const stopIssuer = cleanup.add('stop OIDC issuer', () => issuer.close());
  try {
    const keys = Array.from({ length: 32 }, () => clientKey(SUB));
    // One fresh token per request; each server sees each token once (the pool is reused across server variants).
    const perRun = o.concurrencies.map((c) => o.warmup + (o.requests[c] ?? 1000));
    // The cluster warm-up's tokens come last; each cluster is a fresh server, so they serve every N.
    const clusterWarmup = (o.clusterWarmup ?? 0) * Math.max(0, ...(o.workers ?? []));
    const tokenCount = perRun.reduce((a, b) => a + b, 0) + o.pacedRequests + clusterWarmup;
    log(`minting ${tokenCount} tokens`);
    const m0 = now();
    const tokens: string[] = [];
    for (let i = 0; i < tokenCount; i++) tokens.push(await issuer.mint());
    const mintMs = now() - m0;
    const bodies = tokens.map((token, i) => signingBody(token, keys, i));

    const results: IssuanceResult[] = [];
    const meter = o.floorIterations ? cryptoFloorMeter() : undefined;
    /** The floor now, after a pause; undefined when not asked for. */
    const measure = async (): Promise<CryptoFloor | undefined> => {
      if (meter === undefined) return undefined;
      await sleep(FLOOR_SETTLE_MS);
      return meter(o.floorIterations as number);
    };
    /** `row`, with the crypto floor measured just before and just after it (their mean), when asked for. */
    const withFloor = async <T>(row: () => Promise<T>): Promise<T & { floor?: CryptoFloor }> => {
      const before = await measure();
      const r = await row();
      const after = await measure();
      return { ...r, ...(before && after ? { floor: meanFloor(before, after) } : {}) };
    };
    const softhsmSkipped = o.caKeys.includes('softhsm2') ? softhsmMissing() : undefined;
    if (softhsmSkipped) log(`issuance with the CA key in SoftHSM2 skipped: ${softhsmSkipped}`);
    const variants: Variant[] = [
      ...o.storages.map((storage) => ({ storage, caKey: 'file' as CaKeyKind })),
      ...o.caKeys.filter((k) => k !== 'file' && !softhsmSkipped).map((caKey) => ({ storage: 'memory' as const, caKey })),
    ].map((v): Variant => ({ ...v, workers: 1 }));
    for (const workers of o.workers ?? []) variants.push({ storage: 'file', caKey: 'file', workers });
    if (o.bare) variants.push({ storage: 'none', caKey: 'file', workers: 1, bare: true });
    for (const { storage, caKey, workers, bare } of variants) {
      const server = bare ? await startBareServer(issuer.url) : await startServer(storage, caKey, issuer.url, workers);
      const kind = { ctStorage: storage, caKey, workers, ...(bare ? { bare } : {}) };
      const rows: IssuanceResult[] = [];
      try {
        if (workers > 1 && clusterWarmup > 0) {
          const warm = bodies.slice(tokenCount - (o.clusterWarmup ?? 0) * workers);
          const concurrency = Math.max(...o.concurrencies);
          const w = await drive({ url: `${server.caUrl}/api/v2/signingCert`, bodies: warm, concurrency, maxMs: 0, warmup: warm.length });
          if (w.errors > 0) log(`issuance warm-up of serve --workers ${workers}: ${w.errors} errors, first: ${w.firstError}`);
          log(`issuance: warmed serve --workers ${workers} with ${warm.length} requests at ${concurrency} in flight`);
        }
        let offset = 0;
        for (const [k, concurrency] of o.concurrencies.entries()) {
          const slice = bodies.slice(offset, offset + perRun[k]!);
          offset += perRun[k]!;
          const r = await withFloor(() => drive({ url: `${server.caUrl}/api/v2/signingCert`, bodies: slice, concurrency, maxMs: o.seconds * 1000, warmup: o.warmup }, server));
          if (r.errors > 0) log(`issuance ${storage}/${caKey} c=${concurrency}: ${r.errors} errors, first: ${r.firstError}`);
          const res: IssuanceResult = { ...kind, concurrency, perSecond: (r.done / r.ms) * 1000, ...cpuPerCert(r), latency: summarize(r.latencies), count: r.done, errors: r.errors, ...rowFloor(r) };
          rows.push(res);
          log(`issuance (${bare ? 'bare node:http server' : `CT ${storage}, CA key ${caKey}, ${workers} worker(s)`}) c=${concurrency}: ${res.perSecond.toFixed(0)} certs/s, median ${res.latency.median.toFixed(2)} ms (${r.done} in ${r.ms.toFixed(0)} ms)`);
        }
        // p99 at half of peak: an open loop offering half this variant's best closed-loop rate.
        const peak = Math.max(...rows.map((x) => x.perSecond));
        if (o.pacedRequests > 0 && Number.isFinite(peak) && peak > 0) {
          const rate = peak / 2;
          const slice = bodies.slice(offset, offset + o.pacedRequests);
          // The server shares this thread's event loop when in process: a stall there (synchronous work, a blocking
          // system call) shows here as delay, and in the latency's tail.
          const delay = server.inProcess ? monitorEventLoopDelay({ resolution: 5 }) : undefined;
          const r = await withFloor(async () => {
            delay?.enable();
            const leadIn = Math.round(rate * (o.pacedLeadInSeconds ?? 0));
            const paced = await drive({ url: `${server.caUrl}/api/v2/signingCert`, bodies: slice, concurrency: 0, maxMs: (o.pacedSeconds ?? o.seconds) * 1000, warmup: leadIn, rate }, server);
            delay?.disable();
            return paced;
          });
          const eventLoopDelay = delay ? { eventLoopDelay: { p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 } } : {};
          if (r.errors > 0) log(`issuance ${storage}/${caKey} at ${rate.toFixed(0)}/s: ${r.errors} errors, first: ${r.firstError}`);
          const res: IssuanceResult = { ...kind, concurrency: 0, offeredPerSecond: rate, perSecond: (r.done / r.ms) * 1000, ...cpuPerCert(r), latency: summarize(r.latencies), ...tailInterval(r), ...eventLoopDelay, count: r.done, errors: r.errors, ...rowFloor(r) };
          rows.push(res);
          const loop = res.eventLoopDelay ? `; event-loop delay p99 ${res.eventLoopDelay.p99.toFixed(1)} ms, max ${res.eventLoopDelay.max.toFixed(1)} ms` : '';
          log(`issuance (${bare ? 'bare node:http server' : `CT ${storage}, CA key ${caKey}`}) open loop at ${rate.toFixed(0)}/s: p99 ${res.latency.p99.toFixed(2)} ms, median ${res.latency.median.toFixed(2)} ms${loop}`);
        }
      } finally {
        results.push(...rows);
        await server.close();
      }
    }
    return { tokens: tokenCount, mintMs, jwksFetches: issuer.jwksFetches, results, ...(softhsmSkipped ? { softhsmSkipped } : {}) };
  } finally {
    await stopIssuer();
  }
}
