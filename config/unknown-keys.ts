// Keys in an identity config file that nothing reads. Fulcio ignores them silently, and so does the server (it logs
// them as warnings); `fulgor config check` reports them as problems, because a misspelt `cleint-id` or a JSON
// spelling in a YAML file is a setting the operator believes is in force and is not.
//
// Keys follow the file's flavor as Go decodes it: JSON keys are Fulcio's Go field names, matched case-insensitively;
// YAML keys are the struct tags, matched exactly. `define` is allowed at the top level of either (the anchor list of
// Fulcio's shipped YAML). Policy rules are checked by config/policy.ts, which already reports their unknown keys.
import { EXTENSION_KEYS } from './ci-metadata.js';
import { isRecord, lookup, type Flavor } from './keys.js';
import { decodeIdentityDocument } from './identity.js';

export { decodeIdentityDocument };

type Spellings = readonly (readonly [json: string, yaml: string])[];

const TOP: Spellings = [
  ['OIDCIssuers', 'oidc-issuers'],
  ['MetaIssuers', 'meta-issuers'],
  ['CIIssuerMetadata', 'ci-issuer-metadata'],
];

/** Fulcio's OIDCIssuer fields, then Fulgor's two additions. */
const ISSUER: Spellings = [
  ['IssuerURL', 'issuer-url'],
  ['ClientID', 'client-id'],
  ['Type', 'type'],
  ['CIProvider', 'ci-provider'],
  ['IssuerClaim', 'issuer-claim'],
  ['SubjectDomain', 'subject-domain'],
  ['SPIFFETrustDomain', 'spiffe-trust-domain'],
  ['ChallengeClaim', 'challenge-claim'],
  ['Description', 'description'],
  ['Contact', 'contact'],
  ['Environment', 'environment'],
  ['CACert', 'ca-cert'],
  ['SkipEmailVerification', 'skip-email-verification'],
  ['JWKSPath', 'jwks-path'],
  ['Policy', 'policy'],
];

const CI_PROVIDER: Spellings = [
  ['DefaultTemplateValues', 'default-template-values'],
  ['ExtensionTemplates', 'extension-templates'],
  ['SubjectAlternativeNameTemplate', 'subject-alternative-name-template'],
  ['ClaimsOverrideDefaults', 'claims-override-defaults'],
];

const EXTENSIONS: Spellings = EXTENSION_KEYS.map(([, json, yaml]) => [json, yaml] as const);

function check(obj: Record<string, unknown>, known: Spellings, flavor: Flavor, where: string, out: string[], extra: readonly string[] = []): void {
  const mine = known.map((k) => (flavor === 'json' ? k[0] : k[1]));
  for (const key of Object.keys(obj)) {
    if (extra.includes(key)) continue;
    if (flavor === 'json' ? mine.some((m) => m.toLowerCase() === key.toLowerCase()) : mine.includes(key)) continue;
    const at = where === '' ? key : `${where}.${key}`;
    const other = known.find((k) => (flavor === 'json' ? k[1] : k[0]) === key);
    const near = mine.find((m) => similar(m, key));
    out.push(
      other !== undefined
        ? `${at}: unknown key: "${key}" is the ${flavor === 'json' ? 'YAML' : 'JSON'} spelling; ${flavor === 'json' ? 'JSON' : 'YAML'} files use "${flavor === 'json' ? other[0] : other[1]}"`
        : `${at}: unknown key${near !== undefined ? ` (did you mean "${near}"?)` : ''}`,
    );
  }
}

/** Same letters, ignoring case and separators, or one edit apart: likely a typo of a known key. */
function similar(a: string, b: string): boolean {
  const norm = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
  const x = norm(a);
  const y = norm(b);
  if (x === y) return true;
  if (Math.abs(x.length - y.length) > 1 || x.length < 4) return false;
  let i = 0;
  while (i < x.length && x[i] === y[i]) i++;
  const rest = (p: number, q: number) => x.slice(p) === y.slice(q);
  return rest(i + 1, i + 1) || rest(i + 1, i) || rest(i, i + 1) || (x[i] === y[i + 1] && x[i + 1] === y[i] && rest(i + 2, i + 2));
}

/** Every key nothing reads, each with its location (`oidc-issuers["https://x"].cleint-id: unknown key ...`). */
export function unknownKeys(doc: unknown, flavor: Flavor): string[] {
  const out: string[] = [];
  if (!isRecord(doc)) return out;
  check(doc, TOP, flavor, '', out, ['define']);
  const name = (i: number) => (TOP[i] as readonly [string, string])[flavor === 'json' ? 0 : 1];
  for (const i of [0, 1]) {
    const section = lookup(doc, name(i), flavor);
    if (!isRecord(section)) continue;
    for (const [key, issuer] of Object.entries(section)) {
      if (isRecord(issuer)) check(issuer, ISSUER, flavor, `${name(i)}[${JSON.stringify(key)}]`, out);
    }
  }
  const ci = lookup(doc, name(2), flavor);
  if (isRecord(ci)) {
    for (const [provider, entry] of Object.entries(ci)) {
      if (!isRecord(entry)) continue;
      const where = `${name(2)}[${JSON.stringify(provider)}]`;
      check(entry, CI_PROVIDER, flavor, where, out);
      const ext = lookup(entry, flavor === 'json' ? 'ExtensionTemplates' : 'extension-templates', flavor);
      if (isRecord(ext)) check(ext, EXTENSIONS, flavor, `${where}.${flavor === 'json' ? 'ExtensionTemplates' : 'extension-templates'}`, out);
    }
  }
  return out;
}

/** The unknown keys of a file's text, or none when it does not decode (parseIdentityConfig reports that). */
export function unknownKeysInText(text: string): string[] {
  try {
    const { doc, flavor } = decodeIdentityDocument(text);
    return unknownKeys(doc, flavor);
  } catch {
    return [];
  }
}

/** The problems listed in a config loader's Error (its `  - ` lines), or its whole message when it lists none. */
export function problemLines(message: string): string[] {
  const listed = message.split('\n').filter((l) => l.startsWith('  - ')).map((l) => l.slice(4));
  return listed.length > 0 ? listed : [message];
}
