// Issuance policy (a Fulgor addition to Fulcio's issuer config): per issuer, rules over verified claims that decide
// who may get a certificate. This file parses and validates the `Policy` / `policy` key of an issuer entry.

export interface PolicyRule {
  /** Stable name, reported when the rule refuses a request. */
  readonly name: string;
}

export interface IssuancePolicy {
  readonly rules: readonly PolicyRule[];
}

export interface PolicyContext {
  readonly where: string;
  readonly problems: string[];
}

/** Parses an issuer's policy; records problems (with locations) and returns undefined when it is unusable. */
export function parsePolicy(raw: unknown, ctx: PolicyContext): IssuancePolicy | undefined {
  ctx.problems.push(`${ctx.where}: issuance policies are not supported yet`);
  void raw;
  return undefined;
}
