// The identity monitor's watch rules: reading the rules file (JSON or YAML) and matching a logged certificate's
// identity against it. Patterns are the issuance policy's (config/policy.ts: globs where `*` stops at `/` and `**`
// crosses it, anchored `/^...$/` RE2 regexes), compiled and matched by the same code.
//
//     rules:
//       - name: acme-unexpected-ref              # required, non-empty, unique
//         match:                                 # required: every field must match one of its patterns
//           sourceRepositoryUri: ["https://github.com/acme/*"]
//         unless:                                # optional: no field may match one of its patterns
//           sourceRepositoryRef: ["refs/heads/main", "refs/tags/v*"]
//       - name: acme-email
//         match: { san: ["*@acme.example"] }
//       - name: acme-release-identities          # an expected-identities list
//         match: { sourceRepositoryUri: ["https://github.com/acme/**"] }
//         expected:                              # optional: a certificate that is any one of these is not reported
//           - san: ["https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"]
//             issuer: ["https://token.actions.githubusercontent.com"]
//
// A field is `san` (any of the certificate's SANs), `issuer` (extension .8, else .1), a Fulcio extension by its
// field name (lib/fulcio-extensions.ts FULCIO_FIELDS: sourceRepositoryUri, buildSignerUri, ...) or by its OID
// (1.3.6.1.4.1.57264.1.N). A certificate is reported by a rule when every `match` field matches, no `unless` field
// matches, and it is none of the `expected` identities (each an AND of its fields). A field the certificate lacks
// matches nothing. Keys are spelled exactly as above in JSON and YAML; anything else, and any pattern that does not
// compile, is a load error naming the rule.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { isRecord, matchingPattern, readConditions, type ClaimCondition } from '../config/index.js';
import type { CertificateIdentity } from '../lib/certificate-identity.js';
import { FULCIO_ARC, FULCIO_FIELDS, type FulcioField } from '../lib/fulcio-extensions.js';

export interface WatchRule {
  readonly name: string;
  readonly match: readonly ClaimCondition[];
  readonly unless: readonly ClaimCondition[];
  /** Identities that are expected: a certificate matching every condition of one of them is not reported. */
  readonly expected: readonly (readonly ClaimCondition[])[];
}

export interface WatchRules {
  readonly rules: readonly WatchRule[];
}

/** A field that matched, the value it had and the pattern that matched it. */
export interface FieldMatch {
  readonly value: string;
  readonly pattern: string;
}

const FIELD_NAMES: ReadonlySet<string> = new Set(['san', ...FULCIO_FIELDS.map((f) => f.field)]);
const OID_FIELD = new RegExp(`^${FULCIO_ARC.replaceAll('.', '\\.')}\\.[1-9][0-9]{0,3}$`);
const quote = (s: string) => JSON.stringify(s);

function checkFields(conditions: readonly ClaimCondition[], at: string, problems: string[]): void {
  for (const { claim } of conditions) {
    if (FIELD_NAMES.has(claim) || OID_FIELD.test(claim)) continue;
    problems.push(
      `${at}: unknown field ${quote(claim)} (expected san, issuer, a Fulcio extension field such as sourceRepositoryUri, ` +
        `or an extension OID ${FULCIO_ARC}.N)`,
    );
  }
}

function conditions(raw: unknown, at: string, flavor: 'json' | 'yaml', problems: string[]): ClaimCondition[] {
  const before = problems.length;
  const read = readConditions(raw, at, flavor, problems, 'field') ?? [];
  if (problems.length === before) checkFields(read, at, problems);
  return read;
}

const RULE_KEYS = ['name', 'match', 'unless', 'expected'];

function readRule(raw: unknown, i: number, flavor: 'json' | 'yaml', problems: string[]): WatchRule | undefined {
  if (!isRecord(raw)) {
    problems.push(`rules[${i}]: must be a mapping with name and match`);
    return undefined;
  }
  const name = raw.name;
  const at = typeof name === 'string' && name.trim() !== '' ? `rules[${i}] (${quote(name)})` : `rules[${i}]`;
  const before = problems.length;
  for (const k of Object.keys(raw)) if (!RULE_KEYS.includes(k)) problems.push(`${at}: unknown key ${quote(k)} (expected ${RULE_KEYS.join(', ')})`);
  if (name === undefined || name === null) problems.push(`${at}.name: required`);
  else if (typeof name !== 'string') problems.push(`${at}.name: must be a string`);
  else if (name.trim() === '') problems.push(`${at}.name: must not be empty`);
  if (raw.match === undefined || raw.match === null) problems.push(`${at}.match: required (the fields a reported certificate has)`);
  const match = conditions(raw.match ?? {}, `${at}.match`, flavor, problems);
  const unless = raw.unless === undefined || raw.unless === null ? [] : conditions(raw.unless, `${at}.unless`, flavor, problems);
  let expected: ClaimCondition[][] = [];
  if (raw.expected !== undefined && raw.expected !== null) {
    if (!Array.isArray(raw.expected) || raw.expected.length === 0) problems.push(`${at}.expected: must be a non-empty list of identities`);
    else expected = raw.expected.map((e: unknown, j) => conditions(e, `${at}.expected[${j}]`, flavor, problems));
  }
  if (problems.length > before) return undefined;
  return { name: name as string, match, unless, expected };
}

/** Parses a decoded rules document; records problems (each naming its rule) and returns undefined when any. */
export function parseWatchRules(doc: unknown, flavor: 'json' | 'yaml', problems: string[]): WatchRules | undefined {
  if (!isRecord(doc)) {
    problems.push('the rules file must be a mapping with a `rules` list');
    return undefined;
  }
  for (const k of Object.keys(doc)) if (k !== 'rules') problems.push(`unknown top-level key ${quote(k)} (expected rules)`);
  const raw = doc.rules;
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.push('rules: must be a non-empty list of rules');
    return undefined;
  }
  const before = problems.length;
  const rules: WatchRule[] = [];
  const seen = new Map<string, number>();
  raw.forEach((r: unknown, i) => {
    const rule = readRule(r, i, flavor, problems);
    if (rule === undefined) return;
    const first = seen.get(rule.name);
    if (first !== undefined) problems.push(`rules[${i}]: duplicate rule name ${quote(rule.name)} (also rules[${first}])`);
    else seen.set(rule.name, i);
    rules.push(rule);
  });
  return problems.length > before ? undefined : { rules };
}

/** Reads and parses a rules file (JSON, else YAML); throws an Error listing every problem. */
export function loadWatchRules(path: string): WatchRules {
  const text = readFileSync(path, 'utf8');
  let doc: unknown;
  let flavor: 'json' | 'yaml' = 'json';
  try {
    doc = JSON.parse(text);
  } catch {
    flavor = 'yaml';
    try {
      doc = parseYaml(text);
    } catch (e) {
      throw new Error(`${path}: neither valid JSON nor valid YAML: ${(e as Error).message}`, { cause: e });
    }
  }
  const problems: string[] = [];
  const rules = parseWatchRules(doc, flavor, problems);
  if (rules === undefined) throw new Error(`${path}: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n  ${problems.join('\n  ')}`);
  return rules;
}

/** The values a certificate has for a rule field (all SANs for `san`; at most one otherwise). */
export function fieldValues(identity: CertificateIdentity, field: string): string[] {
  if (field === 'san') return identity.sans.map((s) => s.value);
  const v = OID_FIELD.test(field) ? identity.extensionsByOid[field] : identity.extensions[field as FulcioField];
  return v === undefined ? [] : [v];
}

function firstMatch(c: ClaimCondition, identity: CertificateIdentity): FieldMatch | undefined {
  for (const value of fieldValues(identity, c.claim)) {
    const p = matchingPattern(c, value);
    if (p !== undefined) return { value, pattern: p.source };
  }
  return undefined;
}

/** The `match` fields that made `rule` report this certificate, or undefined when the rule does not report it. */
export function ruleFinding(rule: WatchRule, identity: CertificateIdentity): Record<string, FieldMatch> | undefined {
  const matched: Record<string, FieldMatch> = {};
  for (const c of rule.match) {
    const hit = firstMatch(c, identity);
    if (hit === undefined) return undefined;
    matched[c.claim] = hit;
  }
  if (rule.unless.some((c) => firstMatch(c, identity) !== undefined)) return undefined;
  if (rule.expected.some((identityConditions) => identityConditions.every((c) => firstMatch(c, identity) !== undefined))) return undefined;
  return matched;
}
