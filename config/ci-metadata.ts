// Fulcio's `CIIssuerMetadata` / `ci-issuer-metadata`: per CI provider, default template values, extension templates
// and the SAN template used by `ci-provider` issuers (pkg/config/config.go IssuerMetadata). This file reads their
// shape and keeps every template as text, with its location; oidc/ci-compile.ts compiles them. Keys follow the
// file's flavor as Go decodes it: JSON uses the Go field names (DefaultTemplateValues, ExtensionTemplates/
// BuildSignerURI, SubjectAlternativeNameTemplate; matched case-insensitively), YAML the struct tags
// (default-template-values, extension-templates/build-signer-uri, subject-alternative-name-template).

import { FULCIO_FIELDS, type FulcioField } from '../lib/fulcio-extensions.js';
import { CI_PROVIDER_KEYS, EXTENSION_TEMPLATE_KEYS, type Flavor, isRecord, lookup, spell } from './keys.js';

/** certificate.Extensions fields, in struct order: [our field, JSON (Go field name), YAML tag]. */
export const EXTENSION_KEYS: readonly (readonly [FulcioField, string, string])[] = FULCIO_FIELDS.map(({ field }) => [
  field,
  ...EXTENSION_TEMPLATE_KEYS[field],
] as const);

/** One template (or bare claim name) as written, with where it was written. */
export interface TemplateSource {
  /** The key as the config file spells it, for messages (e.g. `build-signer-uri` or `BuildSignerURI`). */
  readonly key: string;
  /** The full location, e.g. `ci-issuer-metadata["github-workflow"].extension-templates.build-signer-uri`. */
  readonly where: string;
  readonly source: string;
}

export interface ExtensionTemplateSource extends TemplateSource {
  readonly field: FulcioField;
}

export interface CiProviderSettings {
  /** The CIIssuerMetadata key (the issuer's CIProvider). */
  readonly name: string;
  readonly defaults: Readonly<Record<string, string>>;
  /**
   * Defaults a claim of the same name replaces. Operator values are fixed: a non-empty default (for example
   * `url: https://github.com`) wins over a token's claim unless it is listed in `claims-override-defaults`; an empty
   * default only declares an optional claim (Fulcio's `environment: ""`), so the claim fills it when present.
   */
  readonly overridable: ReadonlySet<string>;
  /** Every non-empty extension template in certificate.Extensions order, Issuer and Subject included. */
  readonly extensions: readonly ExtensionTemplateSource[];
  /** The SAN template ("" when absent); undefined when it is not a string. */
  readonly san?: TemplateSource;
  /** False when the entry has shape problems of its own (recorded in ctx.problems). */
  readonly usable: boolean;
}

export interface CiMetadataContext {
  readonly flavor: Flavor;
  /** e.g. `ci-issuer-metadata` or `CIIssuerMetadata` */
  readonly where: string;
  readonly problems: string[];
  /** Suspicious but accepted settings, with locations. */
  readonly warnings?: string[];
}

const idx = (flavor: Flavor): 0 | 1 => (flavor === 'json' ? 0 : 1);

/** A Go `string` decoded from the file: YAML scalars by their text, JSON strings only; null is "". */
function str(v: unknown, flavor: Flavor, where: string, problems: string[]): string | undefined {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (flavor === 'yaml' && (typeof v === 'number' || typeof v === 'boolean')) return String(v);
  problems.push(`${where}: must be a string`);
  return undefined;
}

/** Warns about keys Fulcio would silently ignore: the other flavor's spelling, or no such field at all. */
function unknownKeys(obj: Record<string, unknown>, known: readonly (readonly [string, string])[], flavor: Flavor, where: string, warnings?: string[]): void {
  if (warnings === undefined) return;
  const mine = new Set(known.map((k) => (flavor === 'json' ? k[0].toLowerCase() : k[1])));
  for (const key of Object.keys(obj)) {
    if (mine.has(flavor === 'json' ? key.toLowerCase() : key)) continue;
    const other = known.find((k) => k[1 - idx(flavor)] === key);
    warnings.push(
      other !== undefined
        ? `${where}.${key}: ignored: "${key}" is the ${flavor === 'json' ? 'YAML' : 'JSON'} spelling; ${flavor === 'json' ? 'JSON' : 'YAML'} files use "${other[idx(flavor)]}"`
        : `${where}.${key}: ignored: unknown key`,
    );
  }
}

function readProvider(name: string, raw: unknown, ctx: CiMetadataContext): CiProviderSettings | undefined {
  const { flavor, problems } = ctx;
  const where = `${ctx.where}[${JSON.stringify(name)}]`;
  if (!isRecord(raw)) {
    problems.push(`${where}: must be a mapping`);
    return undefined;
  }
  const before = problems.length;
  const key = (k: keyof typeof CI_PROVIDER_KEYS): string => spell(CI_PROVIDER_KEYS, k, flavor);
  unknownKeys(raw, Object.values(CI_PROVIDER_KEYS), flavor, where, ctx.warnings);

  const defaults: Record<string, string> = {};
  const rawDefaults = lookup(raw, key('defaults'), flavor);
  if (rawDefaults !== undefined && !isRecord(rawDefaults)) problems.push(`${where}.${key('defaults')}: must be a mapping`);
  else if (rawDefaults !== undefined) {
    for (const [k, v] of Object.entries(rawDefaults)) {
      const s = str(v, flavor, `${where}.${key('defaults')}[${JSON.stringify(k)}]`, problems);
      if (s !== undefined) defaults[k] = s;
    }
  }

  const overridable = new Set(Object.entries(defaults).filter(([, v]) => v === '').map(([k]) => k));
  const rawOverride = lookup(raw, key('overridable'), flavor);
  if (rawOverride !== undefined) {
    const at = `${where}.${key('overridable')}`;
    if (!Array.isArray(rawOverride) || rawOverride.some((v) => typeof v !== 'string'))
      problems.push(`${at}: must be a list of default value names`);
    else
      for (const k of rawOverride as string[]) {
        if (!(k in defaults)) problems.push(`${at}: "${k}" is not one of ${key('defaults')}`);
        overridable.add(k);
      }
  }

  const extensions: ExtensionTemplateSource[] = [];
  const rawExt = lookup(raw, key('extensions'), flavor);
  if (rawExt !== undefined && !isRecord(rawExt)) problems.push(`${where}.${key('extensions')}: must be a mapping`);
  else if (rawExt !== undefined) {
    const at = `${where}.${key('extensions')}`;
    unknownKeys(rawExt, EXTENSION_KEYS.map(([, j, y]) => [j, y] as const), flavor, at, ctx.warnings);
    for (const [field, json, yaml] of EXTENSION_KEYS) {
      const spelled = flavor === 'json' ? json : yaml;
      const source = str(lookup(rawExt, spelled, flavor), flavor, `${at}.${spelled}`, problems);
      if (source === undefined || source === '') continue;
      extensions.push({ field, key: spelled, where: `${at}.${spelled}`, source });
    }
  }

  const sanKey = `${where}.${key('san')}`;
  const sanSource = str(lookup(raw, key('san'), flavor), flavor, sanKey, problems);
  if (sanSource !== undefined && sanSource.trim() === '') {
    ctx.warnings?.push(`${sanKey}: blank; every token from a ci-provider issuer using "${name}" will be refused`);
  }
  const san = sanSource === undefined ? {} : { san: { key: key('san'), where: sanKey, source: sanSource } };
  return { name, defaults, overridable, extensions, ...san, usable: problems.length === before };
}

/** Reads every CIIssuerMetadata entry; shape problems are recorded in ctx.problems (the entry is then unusable). */
export function readCiIssuerMetadata(raw: Readonly<Record<string, unknown>>, ctx: CiMetadataContext): Map<string, CiProviderSettings> {
  const out = new Map<string, CiProviderSettings>();
  for (const [name, entry] of Object.entries(raw)) {
    const provider = readProvider(name, entry, ctx);
    if (provider !== undefined) out.set(name, provider);
  }
  return out;
}
