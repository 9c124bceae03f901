// Compiles the ci-provider metadata config/ci-metadata.ts read: every template is parsed at load (Fulcio parse-checks
// every field, Issuer and Subject included, but never applies those two or blank ones), and problems are recorded
// with the location the file gave them.
import { type CiMetadataContext, type CiProviderSettings, readCiIssuerMetadata, type TemplateSource } from '../config/ci-metadata.js';
import type { CiExtensionTemplate, CiProvider, CiValue, ExtensionField } from './identity-config.js';
import { TemplateError, compileTemplate } from './template/index.js';

/** Compiles one template string, recording a problem at its location when it does not parse. */
function compileValue({ source, where }: TemplateSource, problems: string[]): CiValue | undefined {
  if (!source.includes('{{')) return { kind: 'claim', source, claim: source };
  try {
    return { kind: 'template', source, template: compileTemplate(source) };
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    problems.push(`${where}: ${e.message}`);
    return undefined;
  }
}

/** One provider's templates, compiled; undefined (problems recorded) when any does not parse or its shape was bad. */
export function compileCiProvider(p: CiProviderSettings, problems: string[]): CiProvider | undefined {
  const before = problems.length;
  const extensions: CiExtensionTemplate[] = [];
  for (const t of p.extensions) {
    const value = compileValue(t, problems);
    if (value === undefined || t.field === 'issuer' || t.field === 'subject' || t.source.trim() === '') continue;
    extensions.push({ field: t.field as ExtensionField, key: t.key, value });
  }
  const san = p.san === undefined ? undefined : compileValue(p.san, problems);
  if (!p.usable || problems.length > before) return undefined;
  const blank = p.san === undefined || p.san.source.trim() === '';
  return { name: p.name, defaults: p.defaults, overridable: p.overridable, extensions, ...(san !== undefined && !blank ? { san } : {}) };
}

/** Reads and compiles every CIIssuerMetadata entry; entries with problems (recorded in ctx.problems) are left out. */
export function compileCiIssuerMetadata(raw: Readonly<Record<string, unknown>>, ctx: CiMetadataContext): Map<string, CiProvider> {
  return compileCiProviders(readCiIssuerMetadata(raw, ctx), ctx.problems);
}

export function compileCiProviders(providers: ReadonlyMap<string, CiProviderSettings>, problems: string[]): Map<string, CiProvider> {
  const out = new Map<string, CiProvider>();
  for (const [name, p] of providers) {
    const compiled = compileCiProvider(p, problems);
    if (compiled !== undefined) out.set(name, compiled);
  }
  return out;
}
