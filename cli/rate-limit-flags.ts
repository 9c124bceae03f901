// Rate-limit flags of `fulgor serve` (and, for the default rates, `fulgor explain`): server-wide default rates for
// issuers whose identity-file entry does not set `rate-limit`, Redis sharing, and how far to trust X-Forwarded-For.
// Defaults: no limits, the socket's address. README "Rate limits".
import { parseRate, RATE_SCOPES, type RateLimitSettings, type RateScope } from '../config/rate-limit.js';
import type { RateLimitOptions } from '../server/open-rate-limiter.js';
import { flag, str, type Flags } from './flags.js';

/** The server-wide default rates (serve, and explain to show the limit that applies). */
export const RATE_LIMIT_DEFAULT_FLAGS = {
  'rate-limit-per-identity': str('RATE', 'default limit per identity (issuer + subject): COUNT/second|minute|hour, or off'),
  'rate-limit-per-repository': str('RATE', 'default limit per repository (CI issuers): COUNT/second|minute|hour, or off'),
  'rate-limit-per-address': str('RATE', 'default limit per client address: COUNT/second|minute|hour, or off'),
};
/** serve's rate-limit flags. */
export const RATE_LIMIT_FLAGS = {
  ...RATE_LIMIT_DEFAULT_FLAGS,
  'rate-limit-redis': str('redis://HOST:PORT/DB', 'share the rate-limit buckets of every replica through this Redis'),
  'rate-limit-redis-prefix': str('PREFIX', 'key prefix for the buckets in that Redis (default fulgor-rl)'),
  'trust-proxy': str('HOPS', 'how many reverse proxies in front of the CA to believe X-Forwarded-For through', '0'),
};

const SCOPE_FLAGS: Readonly<Record<RateScope, string>> = {
  identity: 'rate-limit-per-identity',
  repository: 'rate-limit-per-repository',
  address: 'rate-limit-per-address',
};

/** `--rate-limit-per-identity RATE` etc.: `30/minute` (second, minute, hour) or `off`. */
export function rateLimitDefaultsFlags(flags: Flags): RateLimitSettings {
  const out: Partial<Record<RateScope, ReturnType<typeof parseRate>>> = {};
  for (const scope of RATE_SCOPES) {
    const name = SCOPE_FLAGS[scope];
    const v = flag(flags, name);
    if (v === undefined) continue;
    try {
      out[scope] = parseRate(v, { allowOff: true });
    } catch (e) {
      throw new Error(`--${name}: ${(e as Error).message}`, { cause: e });
    }
  }
  return out;
}

/** Everything `serve` needs: the default rates, --rate-limit-redis URL and --rate-limit-redis-prefix, --trust-proxy HOPS. */
export function rateLimitFlags(flags: Flags): { rateLimit: RateLimitOptions; trustProxy: number } {
  const redisUrl = flag(flags, 'rate-limit-redis');
  const redisPrefix = flag(flags, 'rate-limit-redis-prefix');
  if (redisPrefix !== undefined && redisUrl === undefined) throw new Error('--rate-limit-redis-prefix goes with --rate-limit-redis');
  const hops = flag(flags, 'trust-proxy');
  const trustProxy = hops === undefined ? 0 : Number(hops);
  if (!Number.isInteger(trustProxy) || trustProxy < 0 || trustProxy > 32 || hops?.trim() === '') {
    throw new Error('--trust-proxy must be the number of reverse proxies in front of the CA (0 to 32): X-Forwarded-For is believed that many hops back');
  }
  return {
    rateLimit: { defaults: rateLimitDefaultsFlags(flags), ...(redisUrl ? { redisUrl } : {}), ...(redisPrefix ? { redisPrefix } : {}) },
    trustProxy,
  };
}
