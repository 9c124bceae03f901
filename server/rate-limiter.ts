// Token-bucket rate limiting of issuance: a check takes one token from every bucket that applies to a request
// (decision/rate-limits.ts decides which), or none when any of them is empty, and says which scope refused and when
// to retry. Buckets live in memory (this file; one budget per process) or in Redis (server/rate-limit-redis.ts; one
// budget shared by every replica).
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Rate, RateScope } from '../config/rate-limit.js';
import type { Clock } from '../lib/clock.js';
import { tokenBucket, type TokenBucket } from '../lib/token-bucket.js';

export interface BucketCheck {
  readonly scope: RateScope;
  /** What the bucket counts (issuer + subject, issuer + repository, issuer + address): hashed, never stored as is. */
  readonly key: readonly string[];
  readonly rate: Rate;
}

export type LimitResult =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly scope: RateScope; /** whole seconds, at least 1 */ readonly retryAfterSeconds: number };

export interface RateLimiter {
  /** Takes one token from each bucket, or none when one of them is empty (then the emptiest scope refuses). */
  check(buckets: readonly BucketCheck[]): Promise<LimitResult>;
  close(): Promise<void>;
}

/** Told about what the limiter does, for metrics (wired by the composition root). */
export interface RateLimitObserver {
  /** A request was refused by the bucket of this scope. */
  limited?(scope: RateScope): void;
  /** The shared store (Redis) failed a check; the process's own buckets answered it instead. */
  storeFailed?(error: unknown): void;
}

/** Buckets kept in memory at most; the least recently used go first (an idle bucket refills to full anyway). */
export const MAX_MEMORY_BUCKETS = 100_000;

/** A bucket's name: the scope and a digest of what it counts and its rate (a changed rate starts a new bucket). */
export const bucketId = (b: BucketCheck): string =>
  `${b.scope}:${createHash('sha256').update(JSON.stringify([...b.key, b.rate.text])).digest('base64url').slice(0, 32)}`;

export const retryAfterSeconds = (waitMs: number): number => Math.max(1, Math.ceil(waitMs / 1000));

export function memoryRateLimiter(clock: Clock, options: { maxBuckets?: number } = {}): RateLimiter {
  const buckets = new LRUCache<string, TokenBucket>({ max: options.maxBuckets ?? MAX_MEMORY_BUCKETS });
  const bucketFor = (b: BucketCheck): TokenBucket => {
    const id = bucketId(b);
    let bucket = buckets.get(id);
    if (bucket === undefined) {
      bucket = tokenBucket(b.rate.count / b.rate.periodSeconds, b.rate.count, clock);
      buckets.set(id, bucket);
    }
    return bucket;
  };
  return {
    async check(checks) {
      const held = checks.map((c) => ({ check: c, bucket: bucketFor(c) }));
      let worst: { scope: RateScope; waitMs: number } | undefined;
      for (const { check, bucket } of held) {
        const waitMs = bucket.waitMs();
        if (waitMs > 0 && (worst === undefined || waitMs > worst.waitMs)) worst = { scope: check.scope, waitMs };
      }
      if (worst !== undefined) return { allowed: false, scope: worst.scope, retryAfterSeconds: retryAfterSeconds(worst.waitMs) };
      for (const { bucket } of held) bucket.take();
      return { allowed: true };
    },
    async close() {
      buckets.clear();
    },
  };
}
