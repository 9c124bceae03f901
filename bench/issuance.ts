// CA issuance end to end: the real HTTP server (CA + companion CT log over HTTP) trusting a real local OIDC issuer,
// driven from a worker thread with pre-minted tokens and pre-computed proofs of possession; certificates per second
// and per-certificate latency at 1 and 16 requests in flight. Variants: the companion log on a memory store
// (startFulgor, as the integration tests run it) and on a file store (fdatasync per group commit).
import { Worker } from 'node:worker_threads';
import { clientKey, startFulgor } from '../test/helpers/fulgor.js';
import { startIssuer, type TestIssuer } from '../test/helpers/oidc-issuer.js';
import type { ClientJob, ClientResult } from './issuance-client.js';
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

async function startServer(storage: 'memory' | 'file', identity: unknown): Promise<{ caUrl: string; close: () => Promise<void> }> {
  const ct = storage === 'file' ? await tempDir('issuance-ct') : undefined;
  const f = await startFulgor(identity, ct ? { ctStorage: `file:${ct.dir}` } : {});
  const stop = cleanup.add(`stop CA (${storage} CT store)`, () => f.close());
  return {
    caUrl: f.caUrl,
    close: async () => {
      await stop();
      await ct?.remove();
    },
  };
}

export async function benchIssuance(o: IssuanceOptions): Promise<IssuanceBench> {
  const issuer: TestIssuer = await startIssuer();
  const stopIssuer = cleanup.add('stop OIDC issuer', () => issuer.close());
  try {
    const identity = { OIDCIssuers: { [issuer.url]: { IssuerURL: issuer.url, ClientID: 'sigstore', Type: 'github-workflow' } } };
    const keys = Array.from({ length: 32 }, () => {
      const k = clientKey();
      return { pem: k.pem, proof: k.prove(SUB) };
    });
    // One fresh token per request; each server sees each token once (the pool is reused across server variants).
    const perRun = o.concurrencies.map((c) => o.warmup + (o.requests[c] ?? 1000));
    const tokenCount = perRun.reduce((a, b) => a + b, 0);
    log(`minting ${tokenCount} tokens`);
    const m0 = now();
    const tokens: string[] = [];
    for (let i = 0; i < tokenCount; i++) tokens.push(await issuer.mint('github'));
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
      const server = await startServer(storage, identity);
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
