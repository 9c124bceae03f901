// CA issuance end to end: the real HTTP server (server/serve.ts: CA + companion CT log over HTTP, development keys
// from ca/dev-keys.ts) trusting a real local OIDC issuer, driven from a worker thread with pre-minted tokens and
// pre-computed proofs of possession; certificates per second and per-certificate latency at 1 and 16 requests in
// flight. Variants: the companion log on a memory store and on a file store (fdatasync per group commit).
import { generateKeyPairSync, sign } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { createMissingDevKeys } from '../ca/dev-keys.js';
import { memoryLogger } from '../lib/log.js';
import { serve } from '../server/serve.js';
import type { ClientJob, ClientResult } from './issuance-client.js';
import { startBenchIssuer, type BenchIssuer } from './oidc-issuer.js';
import { cleanup, log, now, summarize, tempDir, type Summary } from './util.js';

const SUB = 'repo:acme/app:ref:refs/heads/main';

export interface IssuanceResult {
  readonly ctStorage: 'memory' | 'file';
  readonly concurrency: number;
  readonly perSecond: number;
  readonly latency: Summary;
  readonly count: number;
  readonly errors: number;
}

export interface IssuanceBench {
  readonly tokens: number;
  readonly mintMs: number;
  /** JWKS fetches the local issuer served during the whole issuance benchmark (the CA caches the key set). */
  readonly jwksFetches: number;
  readonly results: IssuanceResult[];
}

export interface IssuanceOptions {
  readonly concurrencies: readonly number[];
  /** Timed requests available per concurrency (the run stops earlier at the time box). */
  readonly requests: Record<number, number>;
  readonly warmup: number;
  readonly seconds: number;
  readonly storages: readonly ('memory' | 'file')[];
}

function drive(job: ClientJob): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./issuance-client.js', import.meta.url), { workerData: job });
    worker.once('message', (m: ClientResult) => resolve(m));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`issuance client exited with ${code}`));
    });
  });
}

/** A P-256 client key: its public key PEM and its proof of possession over `name`. */
function clientKey(name: string): { pem: string; proof: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { pem: publicKey.export({ type: 'spki', format: 'pem' }) as string, proof: sign('sha256', Buffer.from(name), privateKey).toString('base64') };
}

/** `fulgor serve` in-process on port 0 with fresh keys and an identity file trusting `issuerUrl`. */
async function startServer(storage: 'memory' | 'file', issuerUrl: string): Promise<{ caUrl: string; close: () => Promise<void> }> {
  const work = await tempDir(`issuance-${storage}`);
  try {
    const keysDir = join(work.dir, 'keys');
    await createMissingDevKeys(keysDir);
    const configPath = join(work.dir, 'identity.json');
    await writeFile(configPath, JSON.stringify({ OIDCIssuers: { [issuerUrl]: { IssuerURL: issuerUrl, ClientID: 'sigstore', Type: 'github-workflow' } } }));
    const running = await serve({
      host: '127.0.0.1',
      port: 0,
      ctPort: 0,
      keysDir,
      dev: false,
      allowDevKeys: true,
      ctStorage: storage === 'file' ? `file:${join(work.dir, 'ct')}` : 'memory',
      configPath,
      // Each request's log line is formatted as in production, but kept in memory instead of flooding stderr.
      logger: memoryLogger(),
    });
    const stop = cleanup.add(`stop CA (${storage} CT store)`, () => running.close());
    return {
      caUrl: running.caUrl,
      close: async () => {
        await stop();
        await work.remove();
      },
    };
  } catch (e) {
    await work.remove();
    throw e;
  }
}

export async function benchIssuance(o: IssuanceOptions): Promise<IssuanceBench> {
  const issuer: BenchIssuer = await startBenchIssuer();
  const stopIssuer = cleanup.add('stop OIDC issuer', () => issuer.close());
  try {
    const keys = Array.from({ length: 32 }, () => clientKey(SUB));
    // One fresh token per request; each server sees each token once (the pool is reused across server variants).
    const perRun = o.concurrencies.map((c) => o.warmup + (o.requests[c] ?? 1000));
    const tokenCount = perRun.reduce((a, b) => a + b, 0);
    log(`minting ${tokenCount} tokens`);
    const m0 = now();
    const tokens: string[] = [];
    for (let i = 0; i < tokenCount; i++) tokens.push(await issuer.mint());
    const mintMs = now() - m0;
    const bodies = tokens.map((token, i) => {
      const key = keys[i % keys.length]!;
      return JSON.stringify({
        credentials: { oidcIdentityToken: token },
        publicKeyRequest: { publicKey: { algorithm: 'ECDSA', content: key.pem }, proofOfPossession: key.proof },
      });
    });

    const results: IssuanceResult[] = [];
    for (const storage of o.storages) {
      const server = await startServer(storage, issuer.url);
      try {
        let offset = 0;
        for (const [k, concurrency] of o.concurrencies.entries()) {
          const slice = bodies.slice(offset, offset + perRun[k]!);
          offset += perRun[k]!;
          const r = await drive({ url: `${server.caUrl}/api/v2/signingCert`, bodies: slice, concurrency, maxMs: o.seconds * 1000, warmup: o.warmup });
          if (r.errors > 0) log(`issuance ${storage} c=${concurrency}: ${r.errors} errors, first: ${r.firstError}`);
          const res: IssuanceResult = { ctStorage: storage, concurrency, perSecond: (r.done / r.ms) * 1000, latency: summarize(r.latencies), count: r.done, errors: r.errors };
          results.push(res);
          log(`issuance (CT ${storage}) c=${concurrency}: ${res.perSecond.toFixed(0)} certs/s, median ${res.latency.median.toFixed(2)} ms (${r.done} in ${r.ms.toFixed(0)} ms)`);
        }
      } finally {
        await server.close();
      }
    }
    return { tokens: tokenCount, mintMs, jwksFetches: issuer.jwksFetches, results };
  } finally {
    await stopIssuer();
  }
}
