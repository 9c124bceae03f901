// The limiter `fulgor serve` runs with: memory buckets (with --workers, the primary's), or Redis (shared by replicas)
// with memory as its fallback;
// the observer hears of every refusal.
import type { RateLimitSettings } from '../config/rate-limit.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import { redactRedisUrl } from '../ct/redis-store.js';
import { DEFAULT_RATE_LIMIT_PREFIX, redisRateLimiter } from './rate-limit-redis.js';
import { memoryRateLimiter, type RateLimitObserver, type RateLimiter } from './rate-limiter.js';

export interface RateLimitOptions {
  /** Server-wide rates for issuers that do not set their own (`--rate-limit-per-*`). */
  readonly defaults?: RateLimitSettings;
  /** `--rate-limit-redis`: share the buckets between replicas. */
  readonly redisUrl?: string;
  /** `--rate-limit-redis-prefix` (default fulgor-rl). */
  readonly redisPrefix?: string;
  /** Metrics hook: refusals by scope, Redis failures. */
  readonly observer?: RateLimitObserver;
  /** Buckets kept by another process (the cluster primary, server/cluster.ts) in place of this process's memory ones. */
  readonly shared?: RateLimiter;
}

/** With Redis, resolves once the first connection attempt has settled (a failed one is logged, not thrown). */
export async function openRateLimiter(o: RateLimitOptions, clock: Clock, logger: Logger): Promise<RateLimiter> {
  const memory = o.shared ?? memoryRateLimiter(clock);
  let limiter: RateLimiter = memory;
  if (o.redisUrl !== undefined) {
    const redis = redisRateLimiter(o.redisUrl, { clock, logger, fallback: memory, ...(o.redisPrefix ? { prefix: o.redisPrefix } : {}), ...(o.observer ? { observer: o.observer } : {}) });
    await redis.ready;
    logger.log('info', 'rate limits shared through Redis', { url: redactRedisUrl(o.redisUrl), prefix: o.redisPrefix ?? DEFAULT_RATE_LIMIT_PREFIX });
    limiter = redis;
  }
  return {
    async check(checks) {
      const result = await limiter.check(checks);
      if (!result.allowed) o.observer?.limited?.(result.scope);
      return result;
    },
    close: () => limiter.close(),
  };
}
