// Starts the real Fulgor (CA + companion CT log over HTTP) on port 0 with fresh keys and a given identity config.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { parseIdentityConfig } from '../../oidc/identity-compile.js';
import { createMissingDevKeys } from '../../ca/dev-keys.js';
import type { Clock } from '../../lib/clock.js';
import type { Signer } from '../../lib/signer.js';
import { memoryLogger, type Logger } from '../../lib/log.js';
import { serve, type RunningFulgor } from '../../server/serve.js';
import type { RateLimitOptions } from '../../server/open-rate-limiter.js';
import type { CaBody } from './response-body.js';

export interface TestFulgor extends RunningFulgor {
  readonly logLines: string[];
  readonly keysDir: string;
  /** `json` is the parsed body (undefined when it is not JSON), typed as far as the tests read it. */
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<{ status: number; json: CaBody; text: string; headers: Headers }>;
}

export async function startFulgor(identityJson: unknown, opts: { ctLogUrl?: string; ctLogPublicKey?: Buffer; ctStorage?: string; ctRedisPrefix?: string; searchIndex?: string; /** reuse (and keep) these keys */ keysDir?: string; clock?: Clock; caSigner?: Signer; drainTimeoutMs?: number; /** --ca-key / --ct-log-key */ caKey?: string; ctLogKey?: string; rateLimit?: RateLimitOptions; trustProxy?: number; enableExplain?: boolean; /** --audit-log */ auditLog?: string; /** false: the companion log in the serving thread */ logThread?: boolean; /** where the lines go (default: a memoryLogger, which keeps every line) */ logger?: Logger & { lines: string[] } } = {}): Promise<TestFulgor> {
  const keysDir = opts.keysDir ?? mkdtempSync(join(tmpdir(), 'fulgor-keys-'));
  await createMissingDevKeys(keysDir);
  const logger = opts.logger ?? memoryLogger();
  const running = await serve({
    host: '127.0.0.1',
    port: 0,
    ctPort: 0,
    keysDir,
    dev: false,
    // Development keys outside --dev: refused unless allowed (test/cli/production-keys.spec.ts tests the refusal).
    allowDevKeys: true,
    ctStorage: opts.ctStorage ?? 'memory',
    ...(opts.ctRedisPrefix ? { ctRedisPrefix: opts.ctRedisPrefix } : {}),
    ...(opts.searchIndex ? { searchIndex: opts.searchIndex } : {}),
    identity: parseIdentityConfig(JSON.stringify(identityJson)),
    logger,
    ...(opts.ctLogUrl ? { ctLogUrl: opts.ctLogUrl } : {}),
    ...(opts.ctLogPublicKey ? { ctLogPublicKey: opts.ctLogPublicKey } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.caSigner ? { caSigner: opts.caSigner } : {}),
    ...(opts.caKey ? { caKey: opts.caKey } : {}),
    ...(opts.ctLogKey ? { ctLogKey: opts.ctLogKey } : {}),
    ...(opts.drainTimeoutMs !== undefined ? { drainTimeoutMs: opts.drainTimeoutMs } : {}),
    ...(opts.rateLimit ? { rateLimit: opts.rateLimit } : {}),
    ...(opts.trustProxy !== undefined ? { trustProxy: opts.trustProxy } : {}),
    ...(opts.enableExplain ? { enableExplain: true } : {}),
    ...(opts.auditLog !== undefined ? { auditLog: opts.auditLog } : {}),
    ...(opts.logThread !== undefined ? { logThread: opts.logThread } : {}),
  });
  return {
    ...running,
    keysDir,
    logLines: logger.lines,
    async post(path, body, headers = {}) {
      const res = await fetch(running.caUrl + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.status, json: json as CaBody, text, headers: res.headers };
    },
    async close() {
      await running.close();
      if (!opts.keysDir) rmSync(keysDir, { recursive: true, force: true });
    },
  };
}

/** A client key pair and its proof of possession over `name`. */
export function clientKey(type: 'p256' | 'p384' | 'p521' | 'rsa2048' | 'rsa1024' | 'ed25519' = 'p256') {
  const pair =
    type === 'ed25519'
      ? generateKeyPairSync('ed25519')
      : type.startsWith('rsa')
        ? generateKeyPairSync('rsa', { modulusLength: Number(type.slice(3)) })
        : generateKeyPairSync('ec', { namedCurve: { p256: 'prime256v1', p384: 'secp384r1', p521: 'secp521r1' }[type as 'p256'] });
  const hash = type === 'ed25519' ? null : type === 'p384' ? 'sha384' : type === 'p521' ? 'sha512' : 'sha256';
  return {
    privateKey: pair.privateKey as KeyObject,
    pem: pair.publicKey.export({ type: 'spki', format: 'pem' }) as string,
    prove: (name: string) => sign(hash, Buffer.from(name), pair.privateKey).toString('base64'),
  };
}

export function v2Request(token: string, key: { readonly pem: string; prove(name: string): string }, name: string) {
  return {
    credentials: { oidcIdentityToken: token },
    publicKeyRequest: { publicKey: { algorithm: 'ECDSA', content: key.pem }, proofOfPossession: key.prove(name) },
  };
}
