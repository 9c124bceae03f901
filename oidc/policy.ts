// Evaluates an issuer's issuance policy over verified claims. Pure: the verdicts feed both issuance (a refusal names
// the rule) and `fulgor explain`. The language and its exact semantics are documented in config/policy.ts. Matching
// is linear-time (RE2, compiled there), and an oversized claim value is refused (INVALID_CLAIM) before any matching.
import { matchingPattern, type ClaimCondition, type IssuancePolicy, type PolicyRule } from '../config/policy.js';
import { FulgorError } from '../lib/errors.js';
import type { Claims } from './principal.js';
import { goFloatF } from './template/index.js';

/** One claim of one rule, as evaluated. */
export interface ClaimCheck {
  readonly claim: string;
  /** The claim as compared (a string); absent when the claim is missing or not comparable. */
  readonly value?: string;
  readonly state: 'present' | 'missing' | 'not-comparable';
  /** The first pattern that matched, as written; absent when none did. */
  readonly matched?: string;
}

export interface RuleVerdict {
  readonly rule: string;
  readonly effect: 'allow' | 'deny';
  readonly allowed: boolean;
  /** Why, in words an operator can act on (which claim, which value, which pattern). */
  readonly reason: string;
  readonly checks: readonly ClaimCheck[];
}

export interface PolicyDecision {
  readonly allowed: boolean;
  /** The first rule that refused, when refused. */
  readonly refusedBy?: string;
  readonly verdicts: readonly RuleVerdict[];
}

type ClaimText = { state: 'present'; text: string } | { state: 'missing' } | { state: 'not-comparable'; type: string };

/** A claim as the policy compares it: strings as is, booleans and numbers as Fulcio's ci-provider flattens them. */
export function claimText(v: unknown): ClaimText {
  if (v === undefined || v === null) return { state: 'missing' };
  if (typeof v === 'string') return { state: 'present', text: v };
  if (typeof v === 'boolean') return { state: 'present', text: v ? 'true' : 'false' };
  if (typeof v === 'number') return { state: 'present', text: goFloatF(v) };
  return { state: 'not-comparable', type: Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : typeof v };
}

/** A token's own claim (never an inherited property) as the policy compares it. */
const ownClaimText = (claims: Claims, name: string): ClaimText =>
  claimText(Object.prototype.hasOwnProperty.call(claims, name) ? claims[name] : undefined);

/**
 * The longest claim value, in bytes of UTF-8, the policy compares. Real claims (refs, repository names, emails,
 * workflow paths) are far shorter; a longer one refuses the request before any matching.
 */
export const MAX_POLICY_CLAIM_BYTES = 1024;

/** Throws INVALID_CLAIM (400) naming the first claim a rule compares whose value is too long; never its value. */
export function checkPolicyClaimLengths(policy: IssuancePolicy, claims: Claims): void {
  for (const rule of policy.rules) {
    for (const { claim } of rule.conditions) {
      const t = ownClaimText(claims, claim);
      if (t.state !== 'present' || Buffer.byteLength(t.text, 'utf8') <= MAX_POLICY_CLAIM_BYTES) continue;
      throw new FulgorError('INVALID_CLAIM', `token claim ${JSON.stringify(claim)} is longer than ${MAX_POLICY_CLAIM_BYTES} bytes, the most the issuance policy compares`, {
        metadata: { claim },
      });
    }
  }
}

const MAX_SHOWN = 200;
const shown = (s: string) => JSON.stringify(s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN)}…` : s);
const patternList = (c: ClaimCondition) => c.patterns.map((p) => shown(p.source)).join(', ');

function check(c: ClaimCondition, claims: Claims): { check: ClaimCheck; words: string } {
  const t = ownClaimText(claims, c.claim);
  if (t.state === 'missing') return { check: { claim: c.claim, state: 'missing' }, words: `claim ${shown(c.claim)} is missing` };
  if (t.state === 'not-comparable') {
    return { check: { claim: c.claim, state: 'not-comparable' }, words: `claim ${shown(c.claim)} is ${t.type}, which no pattern matches` };
  }
  const hit = matchingPattern(c, t.text);
  const value = `${c.claim} ${shown(t.text)}`;
  if (hit === undefined) {
    return { check: { claim: c.claim, value: t.text, state: 'present' }, words: `${value} matches none of ${patternList(c)}` };
  }
  return { check: { claim: c.claim, value: t.text, state: 'present', matched: hit.source }, words: `${value} matches ${shown(hit.source)}` };
}

export function evaluateRule(rule: PolicyRule, claims: Claims): RuleVerdict {
  const results = rule.conditions.map((c) => check(c, claims));
  const checks = results.map((r) => r.check);
  const firstMiss = results.find((r) => r.check.matched === undefined);
  const base = { rule: rule.name, effect: rule.effect, checks };
  if (rule.effect === 'allow') {
    if (firstMiss !== undefined) return { ...base, allowed: false, reason: firstMiss.words };
    return { ...base, allowed: true, reason: results.map((r) => r.words).join('; ') };
  }
  if (firstMiss !== undefined) return { ...base, allowed: true, reason: `not denied: ${firstMiss.words}` };
  return { ...base, allowed: false, reason: `denied: ${results.map((r) => r.words).join('; ')}` };
}

/** Every rule's verdict; throws INVALID_CLAIM (see checkPolicyClaimLengths) before matching anything. */
export function evaluatePolicy(policy: IssuancePolicy | undefined, claims: Claims): PolicyDecision {
  if (!policy) return { allowed: true, verdicts: [] };
  checkPolicyClaimLengths(policy, claims);
  const verdicts = policy.rules.map((r) => evaluateRule(r, claims));
  const refused = verdicts.find((v) => !v.allowed);
  return refused === undefined ? { allowed: true, verdicts } : { allowed: false, refusedBy: refused.rule, verdicts };
}
