// Fulcio's `CIIssuerMetadata` / `ci-issuer-metadata`: per CI provider, default template values, extension templates
// and the SAN template used by `ci-provider` issuers (pkg/config/config.go IssuerMetadata). Every template is compiled
// at load, and problems are recorded with their location. Keys follow the file's flavor as Go decodes it: JSON uses
// the Go field names (DefaultTemplateValues, ExtensionTemplates/BuildSignerURI, SubjectAlternativeNameTemplate;
// matched case-insensitively), YAML the struct tags (default-template-values, extension-templates/build-signer-uri,
// subject-alternative-name-template).

import { type Template, TemplateError, compileTemplate } from '../oidc/template/index.js';
import type { FulcioExtensionValues } from '../oidc/principal.js';
import { type Flavor, isRecord, lookup } from './identity-issuer.js';

export type ExtensionField = Exclude<keyof FulcioExtensionValues, 'issuer' | 'subject'>;

/** certificate.Extensions fields, in struct order: [our field, JSON (Go field name), YAML tag]. */
export const EXTENSION_KEYS: readonly (readonly [ExtensionField | 'issuer' | 'subject', string, string])[] = [
  ['issuer', 'Issuer', 'issuer'],
  ['githubWorkflowTrigger', 'GithubWorkflowTrigger', 'github-workflow-trigger'],
  ['githubWorkflowSha', 'GithubWorkflowSHA', 'github-workflow-sha'],
  ['githubWorkflowName', 'GithubWorkflowName', 'github-workflow-name'],
  ['githubWorkflowRepository', 'GithubWorkflowRepository', 'github-workflow-repository'],
  ['githubWorkflowRef', 'GithubWorkflowRef', 'github-workflow-ref'],
  ['buildSignerUri', 'BuildSignerURI', 'build-signer-uri'],
  ['buildSignerDigest', 'BuildSignerDigest', 'build-signer-digest'],
  ['runnerEnvironment', 'RunnerEnvironment', 'runner-environment'],
  ['sourceRepositoryUri', 'SourceRepositoryURI', 'source-repository-uri'],
  ['sourceRepositoryDigest', 'SourceRepositoryDigest', 'source-repository-digest'],
  ['sourceRepositoryRef', 'SourceRepositoryRef', 'source-repository-ref'],
  ['sourceRepositoryIdentifier', 'SourceRepositoryIdentifier', 'source-repository-identifier'],
  ['sourceRepositoryOwnerUri', 'SourceRepositoryOwnerURI', 'source-repository-owner-uri'],
  ['sourceRepositoryOwnerIdentifier', 'SourceRepositoryOwnerIdentifier', 'source-repository-owner-identifier'],
  ['buildConfigUri', 'BuildConfigURI', 'build-config-uri'],
  ['buildConfigDigest', 'BuildConfigDigest', 'build-config-digest'],
  ['buildTrigger', 'BuildTrigger', 'build-trigger'],
  ['runInvocationUri', 'RunInvocationURI', 'run-invocation-uri'],
  ['sourceRepositoryVisibilityAtSigning', 'SourceRepositoryVisibilityAtSigning', 'source-repository-visibility-at-signing'],
  ['deploymentEnvironment', 'DeploymentEnvironment', 'deployment-environment'],
  ['subject', 'Subject', 'subject'],
];

const KEYS = {
  defaults: ['DefaultTemplateValues', 'default-template-values'],
  extensions: ['ExtensionTemplates', 'extension-templates'],
  san: ['SubjectAlternativeNameTemplate', 'subject-alternative-name-template'],
  // Fulgor's addition: default values a token's claims may override.
  overridable: ['ClaimsOverrideDefaults', 'claims-override-defaults'],
} as const;

/**
 * A value source: a Go template when the text contains "{{" (Fulcio's rule), else the name of a claim (or default)
 * whose value is copied.
 */
export type CiValue =
  | { readonly kind: 'template'; readonly source: string; readonly template: Template }
  | { readonly kind: 'claim'; readonly source: string; readonly claim: string };

export interface CiExtensionTemplate {
  readonly field: ExtensionField;
  /** The key as the config file spells it, for messages (e.g. `build-signer-uri` or `BuildSignerURI`). */
  readonly key: string;
  readonly value: CiValue;
}

export interface CiProvider {
  /** The CIIssuerMetadata key (the issuer's CIProvider). */
  readonly name: string;
  readonly defaults: Readonly<Record<string, string>>;
  /**
   * Defaults a claim of the same name replaces. Operator values are fixed: a non-empty default (for example
   * `url: https://github.com`) wins over a token's claim unless it is listed in `claims-override-defaults`; an empty
   * default only declares an optional claim (Fulcio's `environment: ""`), so the claim fills it when present.
   */
  readonly overridable: ReadonlySet<string>;
  /** Non-blank extension templates in certificate.Extensions order; Issuer and Subject are never templated. */
  readonly extensions: readonly CiExtensionTemplate[];
  /** Undefined when blank: Fulcio then refuses every token of this provider (checked per token, not at load). */
  readonly san?: CiValue;
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

/** Compiles one template string, recording a problem at `where` when it does not parse. */
function compileValue(source: string, where: string, problems: string[]): CiValue | undefined {
  if (!source.includes('{{')) return { kind: 'claim', source, claim: source };
  try {
    return { kind: 'template', source, template: compileTemplate(source) };
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    problems.push(`${where}: ${e.message}`);
    return undefined;
  }
}

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

function compileProvider(name: string, raw: unknown, ctx: CiMetadataContext): CiProvider | undefined {
  const { flavor, problems } = ctx;
  const where = `${ctx.where}[${JSON.stringify(name)}]`;
  if (!isRecord(raw)) {
    problems.push(`${where}: must be a mapping`);
    return undefined;
  }
  const before = problems.length;
  const key = (k: keyof typeof KEYS): string => KEYS[k][idx(flavor)];
  unknownKeys(raw, Object.values(KEYS), flavor, where, ctx.warnings);

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

  const extensions: CiExtensionTemplate[] = [];
  const rawExt = lookup(raw, key('extensions'), flavor);
  if (rawExt !== undefined && !isRecord(rawExt)) problems.push(`${where}.${key('extensions')}: must be a mapping`);
  else if (rawExt !== undefined) {
    const at = `${where}.${key('extensions')}`;
    unknownKeys(rawExt, EXTENSION_KEYS.map(([, j, y]) => [j, y] as const), flavor, at, ctx.warnings);
    for (const [field, json, yaml] of EXTENSION_KEYS) {
      const spelled = flavor === 'json' ? json : yaml;
      const source = str(lookup(rawExt, spelled, flavor), flavor, `${at}.${spelled}`, problems);
      if (source === undefined) continue;
      // Fulcio parse-checks every field, Issuer and Subject included, but never applies those two or blank ones.
      const value = compileValue(source, `${at}.${spelled}`, problems);
      if (value === undefined || field === 'issuer' || field === 'subject' || source.trim() === '') continue;
      extensions.push({ field, key: spelled, value });
    }
  }

  const sanKey = `${where}.${key('san')}`;
  const sanSource = str(lookup(raw, key('san'), flavor), flavor, sanKey, problems);
  const san = sanSource === undefined ? undefined : compileValue(sanSource, sanKey, problems);
  if (sanSource !== undefined && sanSource.trim() === '') {
    ctx.warnings?.push(`${sanKey}: blank; every token from a ci-provider issuer using "${name}" will be refused`);
  }
  if (problems.length > before) return undefined;
  return { name, defaults, overridable, extensions, ...(san !== undefined && sanSource?.trim() !== '' ? { san } : {}) };
}

/** Compiles every CIIssuerMetadata entry; entries with problems (recorded in ctx.problems) are left out. */
export function compileCiIssuerMetadata(raw: Readonly<Record<string, unknown>>, ctx: CiMetadataContext): Map<string, CiProvider> {
  const out = new Map<string, CiProvider>();
  for (const [name, entry] of Object.entries(raw)) {
    const provider = compileProvider(name, entry, ctx);
    if (provider !== undefined) out.set(name, provider);
  }
  return out;
}
