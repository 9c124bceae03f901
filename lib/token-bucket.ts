// A token bucket: at most `burst` events at once, refilled at `perSecond` events per second. Time comes from the
// injected clock, so tests are exact.
import type { Clock } from './clock.js';

export interface TokenBucket {
  /** Takes one token if there is one; false means the caller is over the rate and must not proceed. */
  take(): boolean;
  /** Milliseconds until take() would succeed (0: it would now). Takes nothing. */
  waitMs(): number;
}

export function tokenBucket(perSecond: number, burst: number, clock: Clock): TokenBucket {
  let tokens = burst;
  let last = clock().getTime();
  const refill = () => {
    const now = clock().getTime();
    tokens = Math.min(burst, tokens + (Math.max(0, now - last) * perSecond) / 1000);
    last = Math.max(last, now);
  };
  return {
    take() {
      refill();
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
    waitMs() {
      refill();
      return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) * 1000) / perSecond);
    },
  };
}
