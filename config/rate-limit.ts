// Rate limits (a Fulgor addition to Fulcio's issuer config): how many certificates one identity, one repository and
// one client address may get from an issuer, as token buckets. This file defines the syntax and parses it; the
// limiter is server/rate-limiter.ts, and decision/rate-limits.ts decides which limits apply to a request.
//
//   rate-limit:                      # YAML; JSON spells it RateLimit: {PerIdentity, PerRepository, PerAddress}
//     per-identity: 30/minute        # issuer + subject
//     per-repository: 60/minute      # issuer + the repository the certificate names (CI issuers); default per-identity
//     per-address: 600/minute        # issuer + client address
//
// A rate is `COUNT/UNIT`: COUNT a positive integer, UNIT `second`, `minute` or `hour`. It is a bucket of COUNT
// tokens refilled evenly over the unit (so a burst of COUNT, then one every unit/COUNT). `off` switches that scope
// off for this issuer even when `fulgor serve` sets a server-wide default. Unknown keys and bad values are load
// errors with their location. `fulgor serve --rate-limit-per-identity RATE` (and -per-repository, -per-address) sets
// the defaults for issuers that do not set a scope.
import { RATE_LIMIT_KEYS, isRecord, lookup, spell, type Flavor } from './keys.js';

export const RATE_UNITS = { second: 1, minute: 60, hour: 3600 } as const;
export type RateUnit = keyof typeof RATE_UNITS;

export interface Rate {
  /** Tokens per period, and the burst. */
  readonly count: number;
  readonly periodSeconds: number;
  /** As written, normalized: `30/minute`. */
  readonly text: string;
}

/** A scope's setting: a rate, or `off` (no limit, whatever the server default). */
export type RateSetting = Rate | 'off';

export type RateScope = keyof typeof RATE_LIMIT_KEYS;
export const RATE_SCOPES: readonly RateScope[] = ['identity', 'repository', 'address'];

/** Per scope; an absent scope takes the server default. */
export type RateLimitSettings = Partial<Readonly<Record<RateScope, RateSetting>>>;

const MAX_COUNT = 1_000_000;

/** Parses `30/minute` (or `off` when allowed); throws an Error saying what is expected. */
export function parseRate(text: string, options: { allowOff?: boolean } = {}): RateSetting {
  const t = text.trim();
  if (options.allowOff && t === 'off') return 'off';
  const m = /^(\d+)\s*\/\s*(second|minute|hour)$/.exec(t);
  const count = m ? Number(m[1]) : NaN;
  if (!m || !Number.isSafeInteger(count) || count < 1 || count > MAX_COUNT) {
    throw new Error(
      `${JSON.stringify(text)} is not a rate: write COUNT/UNIT, COUNT an integer from 1 to ${MAX_COUNT} and UNIT second, minute or hour (e.g. "30/minute")${options.allowOff ? ', or off' : ''}`,
    );
  }
  const unit = m[2] as RateUnit;
  return { count, periodSeconds: RATE_UNITS[unit], text: `${count}/${unit}` };
}

/** Reads an issuer's `rate-limit` / `RateLimit` value; problems are recorded with their location. */
export function parseRateLimit(raw: unknown, ctx: { where: string; flavor: Flavor; problems: string[] }): RateLimitSettings | undefined {
  const { where, flavor, problems } = ctx;
  if (!isRecord(raw)) {
    problems.push(`${where}: must be a mapping of ${RATE_SCOPES.map((s) => spellScope(s, flavor)).join(', ')}`);
    return undefined;
  }
  const known = RATE_SCOPES.map((s) => spellScope(s, flavor));
  for (const key of Object.keys(raw)) {
    const ok = flavor === 'json' ? known.some((k) => k.toLowerCase() === key.toLowerCase()) : known.includes(key);
    if (!ok) problems.push(`${where}.${key}: unknown key (expected ${known.join(', ')})`);
  }
  const out: Partial<Record<RateScope, RateSetting>> = {};
  for (const scope of RATE_SCOPES) {
    const key = spellScope(scope, flavor);
    const v = lookup(raw, key, flavor);
    if (v === undefined) continue;
    if (typeof v !== 'string') {
      problems.push(`${where}.${key}: must be a string such as "30/minute" (or off)`);
      continue;
    }
    try {
      out[scope] = parseRate(v, { allowOff: true });
    } catch (e) {
      problems.push(`${where}.${key}: ${(e as Error).message}`);
    }
  }
  return out;
}

const spellScope = (scope: RateScope, flavor: Flavor): string => spell(RATE_LIMIT_KEYS, scope, flavor);
