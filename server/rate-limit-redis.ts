// Rate-limit buckets in Redis, so that every replica of the CA spends one budget. One check is one atomic Lua script
// over all the buckets of a request: it refills each from the time given, takes a token from every one or from none,
// and sets each key's expiry to its period (an expired bucket is a full one). Keys: `{prefix}:SCOPE:DIGEST` (one hash
// tag, so one Redis Cluster slot; digests, so no identity is stored as is). Time comes from the CA's clock, so
// replicas need synchronized clocks (as certificates do anyway); a clock behind the stored time refills nothing.
//
// When Redis cannot answer (down, unreachable, slow past the command timeout), the check is answered by this
// process's own memory buckets instead: issuance goes on, still limited, but each replica then enforces the whole
// budget by itself. A warning is logged (once per outage) and the observer's storeFailed is called on every such
// check, so a metric can alert. See README "Rate limits" for why this is neither fail-open nor fail-closed.
import { Redis } from 'ioredis';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import { redactRedisUrl } from '../ct/redis-store.js';
import { bucketId, retryAfterSeconds, type RateLimitObserver, type RateLimiter } from './rate-limiter.js';

export const DEFAULT_RATE_LIMIT_PREFIX = 'fulgor-rl';
/** A check Redis has not answered by then is answered by the memory buckets. */
export const RATE_LIMIT_REDIS_TIMEOUT_MS = 1_000;

/**
 * KEYS: one per bucket. ARGV: now (ms), then per bucket its count and period (ms).
 * Returns {0, 0} when a token was taken from every bucket, else {i, wait}: bucket i (1-based) is the one that must
 * wait longest, wait ms, and nothing was taken.
 */
export const RATE_LIMIT_LUA = `
local now = tonumber(ARGV[1])
local state = {}
local worst, wait = 0, 0
for i = 1, #KEYS do
  local count = tonumber(ARGV[2 * i])
  local period = tonumber(ARGV[2 * i + 1])
  local stored = redis.call('HMGET', KEYS[i], 't', 'ts')
  local t, ts = tonumber(stored[1]), tonumber(stored[2])
  if t == nil or ts == nil then t, ts = count, now end
  if now > ts then
    t = math.min(count, t + (now - ts) * count / period)
    ts = now
  end
  state[i] = { t, ts, period }
  if t < 1 then
    local w = math.ceil((1 - t) * period / count)
    if w > wait then worst, wait = i, w end
  end
end
if worst > 0 then return { worst, wait } end
for i = 1, #KEYS do
  local s = state[i]
  redis.call('HSET', KEYS[i], 't', string.format('%.17g', s[1] - 1), 'ts', string.format('%.17g', s[2]))
  redis.call('PEXPIRE', KEYS[i], s[3])
end
return { 0, 0 }
`;

interface ScriptCommands {
  fulgorRateLimit(...args: (string | number)[]): Promise<[number, number]>;
}

export interface RedisRateLimiterOptions {
  readonly prefix?: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Answers checks while Redis cannot (the process's own buckets). */
  readonly fallback: RateLimiter;
  readonly observer?: RateLimitObserver;
  readonly timeoutMs?: number;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Starts connecting (and keeps reconnecting); `ready` settles after the first attempt, whether it connected or not
 * (then a warning is logged and checks use the fallback until Redis answers).
 */
export function redisRateLimiter(url: string, o: RedisRateLimiterOptions): RateLimiter & { readonly ready: Promise<void> } {
  const prefix = o.prefix ?? DEFAULT_RATE_LIMIT_PREFIX;
  if (prefix === '' || /[{}]/.test(prefix)) throw new Error(`invalid rate-limit Redis prefix ${JSON.stringify(prefix)}: must be non-empty, without { or }`);
  if (!/^rediss?:\/\//.test(url)) throw new Error(`--rate-limit-redis must be a redis:// or rediss:// URL, not ${JSON.stringify(redactRedisUrl(url))}`);
  const where = redactRedisUrl(url);
  const timeoutMs = o.timeoutMs ?? RATE_LIMIT_REDIS_TIMEOUT_MS;
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs * 2,
    // A check never waits for a reconnect: it fails at once and the fallback answers.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: timeoutMs,
    retryStrategy: (times) => Math.min(100 * 2 ** times, 2_000),
    connectionName: 'fulgor-rate-limit',
  });
  redis.defineCommand('fulgorRateLimit', { lua: RATE_LIMIT_LUA });
  const scripts = redis as unknown as ScriptCommands;
  let healthy = true;
  const degraded = (e: unknown) => {
    if (healthy) {
      o.logger.log('warn', 'rate-limit Redis unavailable: each replica now enforces the limits alone, with its own buckets', { url: where, error: message(e) });
    }
    healthy = false;
  };
  redis.on('error', degraded);
  redis.on('ready', () => {
    if (!healthy) o.logger.log('info', 'rate-limit Redis available again: limits are shared', { url: where });
    healthy = true;
  });
  const ready = redis.connect().then(() => undefined, degraded); // retryStrategy keeps trying
  const base = `{${prefix}}:`;

  return {
    ready,
    async check(checks) {
      if (checks.length === 0) return { allowed: true };
      const keys = checks.map((c) => base + bucketId(c));
      const argv = [o.clock().getTime(), ...checks.flatMap((c) => [c.rate.count, c.rate.periodSeconds * 1000])];
      let reply: [number, number];
      try {
        reply = await scripts.fulgorRateLimit(keys.length, ...keys, ...argv);
      } catch (e) {
        degraded(e);
        o.observer?.storeFailed?.(e);
        return o.fallback.check(checks);
      }
      const [worst, waitMs] = reply;
      if (worst === 0) return { allowed: true };
      const refused = checks[worst - 1];
      if (refused === undefined) throw new Error(`the rate-limit script named bucket ${worst} of ${checks.length}`);
      return { allowed: false, scope: refused.scope, retryAfterSeconds: retryAfterSeconds(waitMs) };
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
      await o.fallback.close();
    },
  };
}
