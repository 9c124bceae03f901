// Rate limits shared through Redis (REDIS_URL, a throwaway prefix, deleted after): two real servers spend one budget,
// keys carry the prefix and an expiry and no identity in clear, refill follows the (injected) clock, and a Redis
// that cannot be reached leaves each server limiting with its own buckets, saying so in the log and to the observer.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createMissingDevKeys } from '../../ca/dev-keys.js';
import { parseRate, type Rate, type RateScope } from '../../config/rate-limit.js';
import { dropRedisLog, probeRedis } from '../../ct/redis-store.js';
import { clientKey, startFulgor, v2Request, type TestFulgor } from '../helpers/fulgor.js';
import { startIssuer, type TestIssuer } from '../helpers/oidc-issuer.js';
import { until } from '../helpers/serve-process.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const rate = (text: string): Rate => parseRate(text) as Rate;

/** A TCP relay to the real Redis that a test can cut and restore (on the same port). */
function relay() {
  const target = new URL(REDIS_URL);
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const open = (port = 0) =>
    new Promise<number>((resolve) => {
      server = createServer((client) => {
        const upstream = connect(Number(target.port || 6379), target.hostname);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('error', () => s.destroy());
          s.on('close', () => sockets.delete(s));
        }
        client.pipe(upstream).pipe(client);
      }).listen(port, '127.0.0.1', () => resolve((server!.address() as { port: number }).port));
    });
  const cut = () =>
    new Promise<void>((resolve) => {
      if (server === undefined) return resolve();
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
  return { open, cut, pathname: target.pathname };
}

describe('integration: rate limits shared through Redis', function () {
  this.timeout(60_000);
  let email: TestIssuer, keysDir: string, prefix: string, redis: Redis | undefined;
  const running: TestFulgor[] = [];
  const config = () => ({ OIDCIssuers: { [email.url]: { IssuerURL: email.url, ClientID: 'sigstore', Type: 'email', RateLimit: { PerIdentity: '3/minute' } } } });
  const start = async (opts: Parameters<typeof startFulgor>[1] = {}) => {
    const f = await startFulgor(config(), { keysDir, ...opts });
    running.push(f);
    return f;
  };
  const request = async (who: string) => v2Request(await email.mint('email', { claims: { sub: who, email: who } }), clientKey(), who);

  before(async function () {
    const reason = await probeRedis(REDIS_URL, 1_000);
    if (reason !== undefined) {
      console.warn(`      SKIPPED: no Redis reachable at ${REDIS_URL} (${reason}); set REDIS_URL to run these tests`);
      this.skip();
    }
    redis = new Redis(REDIS_URL);
    email = await startIssuer('/mail');
    keysDir = mkdtempSync(join(tmpdir(), 'fulgor-rl-redis-'));
    await createMissingDevKeys(keysDir);
  });
  beforeEach(() => {
    prefix = `fulgor-rl-test-${randomBytes(6).toString('hex')}`;
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((f) => f.close()));
    if (redis) await dropRedisLog(REDIS_URL, prefix);
  });
  after(async () => {
    await email?.close();
    redis?.disconnect();
    if (keysDir) rmSync(keysDir, { recursive: true, force: true });
  });

  const status = async (ca: TestFulgor, who: string) => (await ca.post('/api/v2/signingCert', await request(who))).status;

  it('two servers spend one budget per identity; keys have the prefix, an expiry, and no identity in clear', async () => {
    const [a, b] = [await start({ rateLimit: { redisUrl: REDIS_URL, redisPrefix: prefix } }), await start({ rateLimit: { redisUrl: REDIS_URL, redisPrefix: prefix } })];
    assert.deepEqual([await status(a, 'alice@example.com'), await status(b, 'alice@example.com'), await status(a, 'alice@example.com')], [200, 200, 200]);
    const over = await b.post('/api/v2/signingCert', await request('alice@example.com'));
    assert.equal(over.status, 429, over.text);
    assert.equal(over.json.details[0].reason, 'RATE_LIMITED');
    assert.match(over.headers.get('retry-after') ?? '', /^(19|20)$/);
    assert.equal(await status(a, 'alice@example.com'), 429, 'the other replica agrees');
    assert.equal(await status(b, 'bob@example.com'), 200, 'another identity is unaffected');

    const keys = await redis!.keys(`{${prefix}}:*`);
    assert.equal(keys.length, 2, keys.join(' '));
    for (const k of keys) {
      assert.match(k, new RegExp(`^\\{${prefix}\\}:identity:[A-Za-z0-9_-]{32}$`));
      const ttl = await redis!.pttl(k);
      assert.ok(ttl > 0 && ttl <= 60_000, `${k} expires within its period (${ttl} ms)`);
    }
    assert.ok(!keys.some((k) => k.includes('example.com')));
  });

  it('refill follows the clock the servers share (injected: no sleeping)', async () => {
    let offset = 0;
    const clock = () => new Date(Date.now() + offset);
    const opts = { clock, rateLimit: { redisUrl: REDIS_URL, redisPrefix: prefix } };
    const [a, b] = [await start(opts), await start(opts)];
    for (const ca of [a, b, a]) assert.equal(await status(ca, 'alice@example.com'), 200);
    assert.equal(await status(b, 'alice@example.com'), 429);
    offset += 20_000; // one token at 3/minute
    assert.equal(await status(b, 'alice@example.com'), 200);
    assert.equal(await status(a, 'alice@example.com'), 429);
  });

  it('server-wide defaults and per-address limits are shared too', async () => {
    const opts = { rateLimit: { redisUrl: REDIS_URL, redisPrefix: prefix, defaults: { address: rate('2/hour') } } };
    const [a, b] = [await start(opts), await start(opts)];
    assert.equal(await status(a, 'a@example.com'), 200);
    assert.equal(await status(b, 'b@example.com'), 200);
    const res = await a.post('/api/v2/signingCert', await request('c@example.com'));
    assert.equal(res.status, 429);
    assert.equal(res.json.details[0].metadata['scope'], 'address');
  });

  it('Redis unreachable: each server limits with its own buckets, warns once, and tells the observer', async () => {
    const { open, cut, pathname } = relay();
    const closedPort = await open();
    await cut();
    const failures: unknown[] = [];
    const limited: RateScope[] = [];
    const observer = { storeFailed: (e: unknown) => void failures.push(e), limited: (s: RateScope) => void limited.push(s) };
    const opts = { rateLimit: { redisUrl: `redis://127.0.0.1:${closedPort}${pathname}`, redisPrefix: prefix, observer } };
    const [a, b] = [await start(opts), await start(opts)];
    for (let i = 0; i < 3; i++) assert.equal(await status(a, 'alice@example.com'), 200);
    assert.equal(await status(a, 'alice@example.com'), 429, 'still limited, by the process’s own buckets');
    assert.equal(await status(b, 'alice@example.com'), 200, 'the other replica has its own budget meanwhile');
    assert.equal(failures.length, 5, 'every check that Redis could not answer');
    assert.deepEqual(limited, ['identity']);
    const warnings = a.logLines.filter((l) => l.includes('rate-limit Redis unavailable'));
    assert.equal(warnings.length, 1, a.logLines.join('\n'));
    assert.match(warnings[0]!, new RegExp(`127\\.0\\.0\\.1:${closedPort}`));
    // Redis appears: both reconnect on their own and share one budget from then on.
    try {
      await open(closedPort);
      for (const ca of [a, b]) await until('reconnection', () => (ca.logLines.some((l) => l.includes('rate-limit Redis available again')) ? true : undefined));
      assert.deepEqual([await status(a, 'carol@example.com'), await status(b, 'carol@example.com'), await status(a, 'carol@example.com')], [200, 200, 200]);
      assert.equal(await status(b, 'carol@example.com'), 429);
      assert.equal(failures.length, 5, 'no fallback once Redis answers');
    } finally {
      await cut();
    }
  });

  it('Redis lost mid-way: checks fall back at once, then are shared again when it returns', async () => {
    const { open, cut, pathname } = relay();
    const port = await open();
    const failures: unknown[] = [];
    const url = `redis://127.0.0.1:${port}${pathname}`;
    const ca = await start({ rateLimit: { redisUrl: url, redisPrefix: prefix, observer: { storeFailed: (e) => void failures.push(e) } } });
    try {
      assert.equal(await status(ca, 'alice@example.com'), 200);
      assert.equal(failures.length, 0);
      await cut();
      // Alice spent one shared token; her local buckets are fresh: 3 more locally, then 429.
      for (const expected of [200, 200, 200, 429]) assert.equal(await status(ca, 'alice@example.com'), expected);
      assert.equal(failures.length, 4);
      assert.ok(ca.logLines.some((l) => l.includes('rate-limit Redis unavailable')));
      await open(port);
      await until('the limiter to reconnect', () => (ca.logLines.some((l) => l.includes('rate-limit Redis available again')) ? true : undefined));
      // Shared again: the budget in Redis has 2 of alice's 3 left.
      for (const expected of [200, 200, 429]) assert.equal(await status(ca, 'alice@example.com'), expected);
      assert.equal(failures.length, 4, 'no fallback once Redis is back');
    } finally {
      await cut().catch(() => undefined);
    }
  });
});
