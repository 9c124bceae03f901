// The limiter contract, run against the memory buckets and the Redis script (REDIS_URL, throwaway prefix): all or
// nothing across a request's buckets, the scope that waits longest refuses, Retry-After in whole seconds (>= 1),
// refill from the injected clock, a clock that goes back refills nothing, a changed rate is a new bucket.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { parseRate, type Rate, type RateScope } from '../../../config/rate-limit.js';
import { dropRedisLog, probeRedis } from '../../../ct/redis-store.js';
import { memoryLogger } from '../../../lib/log.js';
import { redisRateLimiter } from '../../../server/rate-limit-redis.js';
import { memoryRateLimiter, type BucketCheck, type RateLimiter } from '../../../server/rate-limiter.js';
import type { Clock } from '../../../lib/clock.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const rate = (text: string): Rate => parseRate(text) as Rate;
const bucket = (scope: RateScope, who: string, r: string): BucketCheck => ({ scope, key: ['https://issuer.example.com', who], rate: rate(r) });

type Make = (clock: Clock) => Promise<RateLimiter>;

function contract(name: string, make: () => Make, skip?: () => Promise<string | undefined>) {
  describe(`server/rate-limiter: ${name}`, () => {
    let now: number;
    let limiter: RateLimiter;
    before(async function () {
      const why = await skip?.();
      if (why !== undefined) {
        console.warn(`      SKIPPED: ${why}`);
        this.skip();
      }
    });
    beforeEach(async () => {
      now = 1_700_000_000_000;
      limiter = await make()(() => new Date(now));
    });
    afterEach(async () => {
      await limiter?.close();
    });

    it('allows a burst of COUNT, then refuses with the seconds until the next token', async () => {
      const b = [bucket('identity', 'alice', '3/minute')];
      for (let i = 0; i < 3; i++) assert.deepEqual(await limiter.check(b), { allowed: true });
      assert.deepEqual(await limiter.check(b), { allowed: false, scope: 'identity', retryAfterSeconds: 20 });
      now += 19_500;
      assert.deepEqual(await limiter.check(b), { allowed: false, scope: 'identity', retryAfterSeconds: 1 }, 'never 0');
      now += 500;
      assert.deepEqual(await limiter.check(b), { allowed: true });
    });

    it('takes from every bucket or from none; the scope that waits longest refuses', async () => {
      const identity = bucket('identity', 'alice', '2/minute');
      const address = bucket('address', '192.0.2.1', '3/hour');
      assert.equal((await limiter.check([identity, address])).allowed, true);
      assert.equal((await limiter.check([identity, address])).allowed, true);
      // identity empty (30 s to a token), address has 1 left: refused by identity, address untouched.
      assert.deepEqual(await limiter.check([identity, address]), { allowed: false, scope: 'identity', retryAfterSeconds: 30 });
      assert.equal((await limiter.check([bucket('identity', 'bob', '2/minute'), address])).allowed, true, 'address still had its token');
      // Both empty: address waits 20 min, identity 30 s.
      assert.deepEqual(await limiter.check([identity, address]), { allowed: false, scope: 'address', retryAfterSeconds: 1200 });
    });

    it('a clock that goes back refills nothing; a long pause refills only up to COUNT', async () => {
      const b = [bucket('repository', 'acme/app', '2/second')];
      assert.equal((await limiter.check(b)).allowed, true);
      assert.equal((await limiter.check(b)).allowed, true);
      now -= 60_000;
      assert.equal((await limiter.check(b)).allowed, false);
      now += 60_000 + 3_600_000;
      for (const expected of [true, true, false]) assert.equal((await limiter.check(b)).allowed, expected);
    });

    it('buckets are per scope and key, and a changed rate is a new bucket', async () => {
      assert.equal((await limiter.check([bucket('identity', 'alice', '1/hour')])).allowed, true);
      assert.equal((await limiter.check([bucket('identity', 'alice', '1/hour')])).allowed, false);
      assert.equal((await limiter.check([bucket('repository', 'alice', '1/hour')])).allowed, true);
      assert.equal((await limiter.check([bucket('identity', 'alice2', '1/hour')])).allowed, true);
      assert.equal((await limiter.check([bucket('identity', 'alice', '2/hour')])).allowed, true);
    });
  });
}

contract('memory buckets', () => async (clock) => memoryRateLimiter(clock));

const prefixes: string[] = [];
contract(
  'Redis (one Lua script per check)',
  () => async (clock) => {
    const prefix = `fulgor-rl-unit-${randomBytes(6).toString('hex')}`;
    prefixes.push(prefix);
    const logger = memoryLogger();
    // A fallback that fails the test if Redis did not answer.
    const fallback: RateLimiter = {
      check: async () => assert.fail(`the Redis limiter fell back: ${logger.lines.join('\n')}`),
      close: async () => undefined,
    };
    const limiter = redisRateLimiter(REDIS_URL, { prefix, clock, logger, fallback });
    await limiter.ready;
    return {
      check: (c) => limiter.check(c),
      close: async () => {
        await limiter.close();
        await dropRedisLog(REDIS_URL, prefix);
      },
    };
  },
  async () => {
    const why = await probeRedis(REDIS_URL, 1_000);
    return why === undefined ? undefined : `no Redis reachable at ${REDIS_URL} (${why}); set REDIS_URL to run these tests`;
  },
);

describe('server/rate-limiter: memory buckets are bounded', () => {
  it('forgets the least recently used bucket beyond its maximum (a forgotten bucket is a full one)', async () => {
    const limiter = memoryRateLimiter(() => new Date(0), { maxBuckets: 2 });
    const b = (who: string) => [bucket('identity', who, '1/hour')];
    assert.equal((await limiter.check(b('a'))).allowed, true);
    assert.equal((await limiter.check(b('b'))).allowed, true);
    assert.equal((await limiter.check(b('a'))).allowed, false);
    assert.equal((await limiter.check(b('c'))).allowed, true); // evicts b
    assert.equal((await limiter.check(b('b'))).allowed, true, 'b was forgotten');
  });
});
