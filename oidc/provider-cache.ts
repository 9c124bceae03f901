// Which issuers' providers (discovery document + JWKS) are kept, and how often the network is asked for them.
// - Configured issuers (OIDCIssuers) are kept for the life of the verifier and never evicted.
// - Issuers matched by a MetaIssuers wildcard are kept in an LRU cache of at most `maxMetaProviders` entries, and
//   discoveries under one pattern are limited by a token bucket: anyone can send an unsigned token naming a fresh
//   URL under a wildcard, and each would otherwise cost a discovery and a JWKS fetch and stay in memory for good.
// - A failed discovery is remembered: the issuer is not asked again until its backoff has passed (1 s, doubling
//   per consecutive failure up to 5 min); tokens meanwhile get ISSUER_UNAVAILABLE at once, with no request sent.
// Every refusal here is ISSUER_UNAVAILABLE (503): the issuer may be real and the client's token good, so "try again
// later" is the honest answer; it costs no outbound request, so a flood of made-up issuers gets cheap answers.
import { LRUCache } from 'lru-cache';
import type { Clock } from '../lib/clock.js';
import { FulgorError, wrap } from '../lib/errors.js';
import { tokenBucket, type TokenBucket } from '../lib/token-bucket.js';
import type { Provider } from './discovery.js';

/** At most this many MetaIssuers-matched issuers (working or recently failed) are remembered. */
export const META_PROVIDER_CACHE_SIZE = 1000;
/** The wait after an issuer's first failed discovery; it doubles with each further failure... */
export const DISCOVERY_BACKOFF_MIN_MS = 1000;
/** ...up to this. */
export const DISCOVERY_BACKOFF_MAX_MS = 5 * 60 * 1000;
/** New discoveries per second under one MetaIssuers pattern, after a burst of META_DISCOVERY_BURST. */
export const META_DISCOVERIES_PER_SECOND = 10;
export const META_DISCOVERY_BURST = 20;

export interface ProviderCacheLimits {
  readonly maxMetaProviders?: number;
  readonly backoffMinMs?: number;
  readonly backoffMaxMs?: number;
  readonly metaDiscoveriesPerSecond?: number;
  readonly metaDiscoveryBurst?: number;
}

export interface ProviderCache {
  /**
   * The provider for `url`, discovering it with `discover` when it is not cached. `pattern` is the MetaIssuers
   * wildcard the URL matched, or undefined for a configured issuer. Throws ISSUER_UNAVAILABLE when the issuer is in
   * its failure backoff or its pattern is over its discovery rate.
   */
  get(url: string, pattern: string | undefined, discover: () => Promise<Provider>): Promise<Provider>;
  /** How many MetaIssuers-matched issuers are remembered now (for tests and metrics). */
  readonly metaSize: number;
}

interface Slot {
  provider?: Promise<Provider>;
  failures: number;
  retryAt: number;
  lastError?: FulgorError;
}

export function createProviderCache(clock: Clock, limits: ProviderCacheLimits = {}): ProviderCache {
  const backoffMin = limits.backoffMinMs ?? DISCOVERY_BACKOFF_MIN_MS;
  const backoffMax = limits.backoffMaxMs ?? DISCOVERY_BACKOFF_MAX_MS;
  const configured = new Map<string, Slot>();
  const meta = new LRUCache<string, Slot>({ max: limits.maxMetaProviders ?? META_PROVIDER_CACHE_SIZE });
  const buckets = new Map<string, TokenBucket>();
  const bucketFor = (pattern: string): TokenBucket => {
    let b = buckets.get(pattern);
    if (!b) {
      b = tokenBucket(limits.metaDiscoveriesPerSecond ?? META_DISCOVERIES_PER_SECOND, limits.metaDiscoveryBurst ?? META_DISCOVERY_BURST, clock);
      buckets.set(pattern, b); // one per configured pattern: bounded by the config
    }
    return b;
  };

  return {
    get metaSize() {
      return meta.size;
    },
    get(url, pattern, discover) {
      const slots = pattern === undefined ? configured : meta;
      const old = slots.get(url);
      if (old?.provider) return old.provider;
      const now = clock().getTime();
      if (old && now < old.retryAt) {
        const wait = Math.ceil((old.retryAt - now) / 1000);
        const why = old.lastError?.message ?? `OIDC discovery for ${url} failed`;
        throw new FulgorError('ISSUER_UNAVAILABLE', `${why} (not retried for another ${wait} s)`, {
          ...(old.lastError ? { cause: old.lastError } : {}),
          metadata: { issuer: url },
        });
      }
      if (pattern !== undefined && !bucketFor(pattern).take())
        throw new FulgorError('ISSUER_UNAVAILABLE', `too many new issuers matching ${pattern} are being discovered; try again shortly`, {
          metadata: { issuer: url },
        });
      const slot: Slot = { failures: old?.failures ?? 0, retryAt: 0 };
      const provider = discover();
      slot.provider = provider;
      slots.set(url, slot);
      provider.then(
        () => {
          slot.failures = 0;
        },
        (e: unknown) => {
          delete slot.provider;
          slot.failures += 1;
          slot.retryAt = clock().getTime() + Math.min(backoffMax, backoffMin * 2 ** (slot.failures - 1));
          slot.lastError = wrap(e, 'ISSUER_UNAVAILABLE', `OIDC discovery for ${url} failed`);
        },
      );
      return provider;
    },
  };
}
