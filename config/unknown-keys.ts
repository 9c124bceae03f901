// Keys in an identity config file that nothing reads. Fulcio ignores them silently, and so does the server (it logs
// them as warnings); `fulgor config check` reports them as problems, because a misspelt `cleint-id` or a JSON
// spelling in a YAML file is a setting the operator believes is in force and is not.
//
// Keys follow the file's flavor as Go decodes it: JSON keys are Fulcio's Go field names, matched case-insensitively;
// YAML keys are the struct tags, matched exactly. `define` is allowed at the top level of either (the anchor list of
// Fulcio's shipped YAML). Policy rules and rate limits are checked by config/policy.ts and config/rate-limit.ts,
// which already report their unknown keys.
import { CI_PROVIDER_KEYS, EXTENSION_TEMPLATE_KEYS, ISSUER_KEYS, TOP_KEYS, isRecord, lookup, spell, type Flavor, type Spelling } from './keys.js';
import { decodeIdentityDocument } from './identity.js';

export { decodeIdentityDocument };

type Spellings = readonly Spelling[];

const TOP: Spellings = Object.values(TOP_KEYS);
const ISSUER: Spellings = Object.values(ISSUER_KEYS);
const CI_PROVIDER: Spellings = Object.values(CI_PROVIDER_KEYS);
const EXTENSIONS: Spellings = Object.values(EXTENSION_TEMPLATE_KEYS);

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
  for (const k of ['oidcIssuers', 'metaIssuers'] as const) {
    const name = spell(TOP_KEYS, k, flavor);
    const section = lookup(doc, name, flavor);
    if (!isRecord(section)) continue;
    for (const [key, issuer] of Object.entries(section)) {
      if (isRecord(issuer)) check(issuer, ISSUER, flavor, `${name}[${JSON.stringify(key)}]`, out);
    }
  }
  const ciName = spell(TOP_KEYS, 'ciIssuerMetadata', flavor);
  const ci = lookup(doc, ciName, flavor);
  if (isRecord(ci)) {
    for (const [provider, entry] of Object.entries(ci)) {
      if (!isRecord(entry)) continue;
      const where = `${ciName}[${JSON.stringify(provider)}]`;
      check(entry, CI_PROVIDER, flavor, where, out);
      const extName = spell(CI_PROVIDER_KEYS, 'extensions', flavor);
      const ext = lookup(entry, extName, flavor);
      if (isRecord(ext)) check(ext, EXTENSIONS, flavor, `${where}.${extName}`, out);
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
