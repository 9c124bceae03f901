// Issuance policy (a Fulgor addition to Fulcio's issuer config): per issuer, rules over verified claims that decide
// who may get a certificate. This file defines the language, parses and validates it; oidc/policy.ts evaluates it.
//
// ## The policy language
//
// An issuer entry may carry `policy:` (YAML) or `Policy` (JSON): an ordered, non-empty list of rules.
//
//     policy:
//       - name: acme-only                # required, non-empty, unique within the issuer
//         allow:                         # exactly one of `allow` or `deny`
//           repository_owner: [acme, acme-labs]
//       - name: release-refs
//         allow:
//           ref: ["refs/heads/main", "refs/tags/v*"]
//       - name: no-sandbox
//         deny:
//           repository: ["acme/sandbox", "acme/tmp-*"]
//       - name: protected-gitlab-refs
//         allow:
//           ref_protected: ["true"]
//
// Keys: YAML spells them `name`, `allow`, `deny` exactly; JSON spells them `Name`, `Allow`, `Deny`, matched
// case-insensitively as Go's encoding/json (and the rest of the file) does. Any other key in a rule is an error.
// Under `allow`/`deny` each key is a top-level claim name, taken literally and case-sensitively (a `.` is part of
// the name, not a path), and each value is a non-empty list of patterns. In YAML a number or boolean pattern is
// read by its text (`[true]` is `["true"]`); in JSON patterns must be strings.
//
// Claim values. Claims are those of the verified token (before claim mapping). Values are compared as strings:
// a string as is; a boolean as `true`/`false`; a number as Fulcio's ci-provider flattening prints it, in shortest
// decimal form with no exponent (`1753000000`, `1.5`, `0.00001`). A claim that is absent or null is *missing*; an
// array or object is *not comparable*. Neither matches any pattern. A value longer than MAX_POLICY_CLAIM_BYTES
// (oidc/policy.ts: 1024 bytes of UTF-8) in a claim the policy compares refuses the request before any matching, as
// INVALID_CLAIM (400, naming the claim, never echoing its value), whatever the rules say.
//
// Patterns are always anchored: they must match the whole value.
//   - glob: any pattern not written as a regex. `*` matches any run of characters except `/` (so
//     `refs/heads/*` matches `refs/heads/main` but not `refs/heads/a/b`); `**` matches any run of characters,
//     `/` included (`refs/heads/**`). `\*` is a literal star and `\\` a literal backslash; every other character
//     (`?`, `[`, `.`, ...) is literal. An empty pattern is an error (write `/^$/` to match an empty value).
//   - regex: written `/^...$/`, in RE2 syntax (that of Go's regexp, https://github.com/google/re2/wiki/Syntax),
//     which must begin with `^` and end with an unescaped `$`; it is matched as `^(?:...)$`, so a top-level `|`
//     cannot unanchor it. RE2 matches in time linear in the value, so no pattern can stall the CA. Its syntax is
//     JavaScript's without backreferences (`\1`, `\k<n>`), lookahead or lookbehind, which are load errors; other
//     differences: `\u00e9` is written `\x{e9}`, `.` excludes only `\n`, `\s` is `[\t\n\f\r ]`, `[[:alpha:]]` is a
//     POSIX class, inline flags such as `(?i)` work, and a repeat count is at most 1000.
//     A pattern of the form `/.../` that is not anchored at both ends, a pattern starting with `/^` that does not
//     end with `$/` (for example one with flags), and a regex RE2 does not compile are errors.
//   Globs compile to the same engine, so nothing in policy matching backtracks.
//
// Rules.
//   - `allow` rule: passes when every listed claim is present and its value matches at least one of that claim's
//     patterns; otherwise it refuses (a missing claim never satisfies an allow rule).
//   - `deny` rule: refuses when every listed claim is present and matches at least one of its patterns; otherwise
//     it passes (so a deny rule never fires on a token that lacks one of its claims).
// Every rule is evaluated (explain shows all verdicts); a request is refused when any rule refuses, and the refusal
// names the first refusing rule in list order. An issuer without a policy allows every identity its mapping accepts.
// The policy runs after claim mapping: a token the mapping refuses never reaches it.
//
// Load errors (reported with their location, e.g. `OIDCIssuers["https://x"].Policy[1].Allow.ref[0]`): a policy
// that is not a non-empty list; a rule that is not a mapping; unknown keys; a missing, empty or duplicate name;
// both or neither of allow/deny; an allow/deny that lists no claim; a claim with an empty or non-list pattern list;
// a pattern that does not parse (a regex RE2 does not support among them); and a policy that can never allow
// anything, as far as is cheap to tell: for a claim, one allow rule lists only literal values and none of them
// satisfies every other allow rule on that claim and escapes every single-claim deny rule on it; or a single-claim
// deny rule matches everything (`**`, `/^.*$/`, `/^[\s\S]*$/`) on a claim that some allow rule requires.

import { RE2JS } from 're2js';
import { isRecord, lookup } from './keys.js';

export interface PolicyPattern {
  /** As written in the config. */
  readonly source: string;
  readonly kind: 'glob' | 'regex';
  /** Whether the whole value matches, in time linear in its length (RE2). */
  matches(value: string): boolean;
  /** A glob without wildcards: the one value it matches. */
  readonly literal?: string;
  /** The literal text every value a glob matches starts with (before its first `*`); '' for a regex. */
  readonly literalPrefix: string;
  /** Matches every string (`**`, `/^.*$/`, `/^[\s\S]*$/`). */
  readonly matchesAll: boolean;
}

export interface ClaimCondition {
  readonly claim: string;
  readonly patterns: readonly PolicyPattern[];
}

export interface PolicyRule {
  /** Stable name, reported when the rule refuses a request. */
  readonly name: string;
  readonly effect: 'allow' | 'deny';
  readonly conditions: readonly ClaimCondition[];
}

export interface IssuancePolicy {
  readonly rules: readonly PolicyRule[];
}

export interface PolicyContext {
  readonly where: string;
  readonly problems: string[];
  /** Key spelling; by default inferred from `where` (`….policy` is YAML, anything else JSON). */
  readonly flavor?: 'json' | 'yaml';
}

const quote = (s: string) => JSON.stringify(s);
const claimLoc = (claim: string) => (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(claim) ? `.${claim}` : `[${quote(claim)}]`);

/** An anchored, linear-time matcher for an RE2 pattern (already wrapped in `^(?:...)$`). */
function linearMatcher(re2: string): (value: string) => boolean {
  const re = RE2JS.compile(re2);
  return (value) => re.testExact(value);
}

/** Compiles one pattern; throws Error saying why it cannot be used. */
export function compilePattern(source: string): PolicyPattern {
  if (source === '') throw new Error('empty pattern (write /^$/ to match an empty value)');
  if (source.length >= 2 && source.startsWith('/') && source.endsWith('/')) return compileRegex(source);
  if (source.startsWith('/^')) throw new Error(`${quote(source)} starts like a regex but does not end with $/ (flags are not supported)`);
  let re = '';
  let literal: string | undefined = '';
  let literalPrefix = '';
  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string;
    if (c === '\\') {
      const next = source[i + 1];
      if (next === undefined) throw new Error(`${quote(source)} ends with a lone backslash (write \\\\ for a literal one)`);
      re += RE2JS.quote(next);
      if (literal !== undefined) literal += next;
      i++;
    } else if (c === '*') {
      let run = 1;
      while (source[i + run] === '*') run++;
      re += run >= 2 ? '[\\s\\S]*' : '[^/]*';
      if (literal !== undefined) literalPrefix = literal;
      literal = undefined;
      i += run - 1;
    } else {
      re += RE2JS.quote(c);
      if (literal !== undefined) literal += c;
    }
  }
  const matchesAll = /^\*{2,}$/.test(source);
  if (literal !== undefined) literalPrefix = literal;
  return { source, kind: 'glob', matches: linearMatcher(`^(?:${re})$`), matchesAll, literalPrefix, ...(literal !== undefined ? { literal } : {}) };
}

function compileRegex(source: string): PolicyPattern {
  const inner = source.slice(1, -1);
  let trailingBackslashes = 0;
  for (let i = inner.length - 2; i >= 0 && inner[i] === '\\'; i--) trailingBackslashes++;
  if (!inner.startsWith('^') || !inner.endsWith('$') || inner.length < 2 || trailingBackslashes % 2 === 1) {
    throw new Error(`regex ${source} must be anchored at both ends: write /^...$/`);
  }
  try {
    RE2JS.compile(inner); // as written, so an error quotes the author's text rather than our wrapping
  } catch (e) {
    const why = (e as Error).message.replace(/^error parsing regexp: /, '');
    if (!compilesAsJavaScript(inner)) throw new Error(`regex ${source} does not compile: ${why}`, { cause: e });
    throw new Error(
      `regex ${source} uses syntax the linear-time engine (RE2) does not support: ${why}; ` +
        'policy regexes have no backreferences, lookahead or lookbehind (and write \\x{e9}, not \\u00e9)',
      { cause: e },
    );
  }
  const matches = linearMatcher(`^(?:${inner.slice(1, -1)})$`);
  return { source, kind: 'regex', matches, literalPrefix: '', matchesAll: ['^.*$', '^[\\s\\S]*$'].includes(inner) };
}

/** Only to word an error: JavaScript syntax RE2 refuses is a missing feature, not a typo. Never used to match. */
function compilesAsJavaScript(inner: string): boolean {
  try {
    new RegExp(inner, 'u');
    return true;
  } catch {
    return false;
  }
}

function readConditions(raw: unknown, at: string, flavor: 'json' | 'yaml', problems: string[]): ClaimCondition[] | undefined {
  if (!isRecord(raw)) {
    problems.push(`${at}: must be a mapping of claim names to lists of patterns`);
    return undefined;
  }
  const before = problems.length;
  const conditions: ClaimCondition[] = [];
  if (Object.keys(raw).length === 0) problems.push(`${at}: lists no claim`);
  for (const [claim, list] of Object.entries(raw)) {
    const cat = `${at}${claimLoc(claim)}`;
    if (claim === '') problems.push(`${cat}: empty claim name`);
    if (!Array.isArray(list)) {
      problems.push(`${cat}: must be a list of patterns`);
      continue;
    }
    if (list.length === 0) problems.push(`${cat}: empty pattern list (it could never match)`);
    const patterns: PolicyPattern[] = [];
    list.forEach((p: unknown, j) => {
      const text = typeof p === 'string' ? p : flavor === 'yaml' && (typeof p === 'number' || typeof p === 'boolean') ? String(p) : undefined;
      if (text === undefined) return void problems.push(`${cat}[${j}]: must be a string`);
      try {
        patterns.push(compilePattern(text));
      } catch (e) {
        problems.push(`${cat}[${j}]: ${(e as Error).message}`);
      }
    });
    conditions.push({ claim, patterns });
  }
  return problems.length > before ? undefined : conditions;
}

function readRule(raw: unknown, at: string, flavor: 'json' | 'yaml', problems: string[]): PolicyRule | undefined {
  if (!isRecord(raw)) {
    problems.push(`${at}: must be a mapping with name and allow or deny`);
    return undefined;
  }
  const before = problems.length;
  const key = (k: 'name' | 'allow' | 'deny') => (flavor === 'json' ? k[0]!.toUpperCase() + k.slice(1) : k);
  for (const k of Object.keys(raw)) {
    const norm = flavor === 'json' ? k.toLowerCase() : k;
    if (!['name', 'allow', 'deny'].includes(norm)) problems.push(`${at}: unknown key ${quote(k)} (expected ${key('name')}, ${key('allow')} or ${key('deny')})`);
  }
  const name = lookup(raw, 'name', flavor);
  if (name === undefined) problems.push(`${at}.${key('name')}: required`);
  else if (typeof name !== 'string') problems.push(`${at}.${key('name')}: must be a string`);
  else if (name.trim() === '') problems.push(`${at}.${key('name')}: must not be empty`);
  const allow = lookup(raw, 'allow', flavor);
  const deny = lookup(raw, 'deny', flavor);
  if (allow !== undefined && deny !== undefined) problems.push(`${at}: has both ${key('allow')} and ${key('deny')}; write two rules`);
  if (allow === undefined && deny === undefined) {
    problems.push(`${at}: needs ${key('allow')} or ${key('deny')}`);
    return undefined;
  }
  const effect = allow !== undefined ? 'allow' : 'deny';
  const conditions = readConditions(allow ?? deny, `${at}.${key(effect)}`, flavor, problems);
  if (problems.length > before || conditions === undefined) return undefined;
  return { name: name as string, effect, conditions };
}

/** Why a policy whose rules all parsed can never allow a request, when that is cheap to tell. */
function neverAllows(rules: readonly PolicyRule[]): string | undefined {
  const allowsOn = (claim: string) => rules.filter((r) => r.effect === 'allow' && r.conditions.some((c) => c.claim === claim));
  const denyOnly = (claim: string) => rules.filter((r) => r.effect === 'deny' && r.conditions.length === 1 && r.conditions[0]!.claim === claim);
  const claims = new Set(rules.flatMap((r) => r.conditions.map((c) => c.claim)));
  for (const claim of claims) {
    const allows = allowsOn(claim);
    const denies = denyOnly(claim);
    const patternsOf = (r: PolicyRule) => r.conditions.find((c) => c.claim === claim)!.patterns;
    const denyAll = denies.find((r) => patternsOf(r).some((p) => p.matchesAll));
    if (denyAll !== undefined && allows.length > 0) {
      return `deny rule ${quote(denyAll.name)} refuses every value of claim ${quote(claim)}, which allow rule ${quote(allows[0]!.name)} requires`;
    }
    for (const literalRule of allows) {
      const pats = patternsOf(literalRule);
      if (!pats.every((p) => p.literal !== undefined)) continue;
      const survivors = pats.filter((p) => {
        const v = p.literal as string;
        return allows.every((r) => patternsOf(r).some((q) => q.matches(v))) && !denies.some((r) => patternsOf(r).some((q) => q.matches(v)));
      });
      if (survivors.length === 0) {
        const others = [...allows.filter((r) => r !== literalRule), ...denies].map((r) => quote(r.name));
        return `no value of claim ${quote(claim)} allowed by rule ${quote(literalRule.name)} gets past rule${others.length > 1 ? 's' : ''} ${others.join(', ')}`;
      }
    }
  }
  return undefined;
}

/** Parses an issuer's policy; records problems (with locations) and returns undefined when it is unusable. */
export function parsePolicy(raw: unknown, ctx: PolicyContext): IssuancePolicy | undefined {
  const { where, problems } = ctx;
  const flavor = ctx.flavor ?? (where.endsWith('.policy') ? 'yaml' : 'json');
  if (!Array.isArray(raw)) {
    problems.push(`${where}: must be a list of rules`);
    return undefined;
  }
  if (raw.length === 0) {
    problems.push(`${where}: lists no rules (leave the key out for no policy)`);
    return undefined;
  }
  const before = problems.length;
  const rules: PolicyRule[] = [];
  const seen = new Map<string, number>();
  raw.forEach((r: unknown, i) => {
    const rule = readRule(r, `${where}[${i}]`, flavor, problems);
    if (rule === undefined) return;
    const first = seen.get(rule.name);
    if (first !== undefined) problems.push(`${where}[${i}]: duplicate rule name ${quote(rule.name)} (also ${where}[${first}])`);
    else seen.set(rule.name, i);
    rules.push(rule);
  });
  if (problems.length > before) return undefined;
  const never = neverAllows(rules);
  if (never !== undefined) {
    problems.push(`${where}: the policy can never allow a certificate: ${never}`);
    return undefined;
  }
  return { rules };
}
