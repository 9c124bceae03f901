// Fulcio's identity (issuer) config file, read as data: which OIDC issuers are trusted, with which audience, type
// and settings (pkg/config/config.go). Accepts Fulcio's own files unchanged: JSON is tried first, then YAML; unknown
// keys (such as the public config's top-level `define:` anchor list) are ignored. YAML aliases used as mapping keys,
// as in Fulcio's shipped config, are read as yaml.v3 reads them (config/yaml-alias-keys.ts).
//
// This file knows no identity logic: it checks shapes and records every problem with its location. What the
// settings mean (issuer types, claim paths, SPIFFE and subject-domain rules, templates, routing) is oidc's:
// oidc/identity-compile.ts turns an IdentityFile into the IdentityConfig the server uses.

import { readFileSync } from 'node:fs';
import { type CiProviderSettings, readCiIssuerMetadata } from './ci-metadata.js';
import { type IssuerEntry, readIssuer } from './identity-issuer.js';
import { TOP_KEYS, isRecord, lookup, spell, type Flavor } from './keys.js';
import { parseYamlConfig } from './yaml-alias-keys.js';

export type { IssuerEntry, IssuerSettings } from './identity-issuer.js';
export type { CiProviderSettings } from './ci-metadata.js';

export const sectionName = (k: keyof typeof TOP_KEYS, flavor: Flavor): string => spell(TOP_KEYS, k, flavor);

/** An identity file as read: every entry with its location, and every problem and warning found so far. */
export interface IdentityFile {
  /** Where the text came from (a path), for messages. */
  readonly source: string;
  readonly flavor: Flavor;
  /** OIDCIssuers entries (by URL), then MetaIssuers entries (by pattern), in file order. */
  readonly issuers: readonly IssuerEntry[];
  /** Kept raw as well: Fulcio's form, for tools that inspect it. */
  readonly ciIssuerMetadata: Readonly<Record<string, unknown>>;
  readonly ciProviders: ReadonlyMap<string, CiProviderSettings>;
  readonly problems: readonly string[];
  /** Suspicious but accepted settings (for example a key that differs from its IssuerURL), with locations. */
  readonly warnings: readonly string[];
}

/** Decodes an identity file's text: JSON first, then YAML with alias keys; throws if neither. */
export function decodeIdentityDocument(text: string): { doc: unknown; flavor: Flavor } {
  try {
    return { doc: JSON.parse(text), flavor: 'json' };
  } catch {
    return { doc: parseYamlConfig(text), flavor: 'yaml' };
  }
}

function decode(text: string, source: string): { doc: unknown; flavor: Flavor } {
  try {
    return decodeIdentityDocument(text);
  } catch (e) {
    throw new Error(`${source}: identity config is neither valid JSON nor valid YAML: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/** The Error a loader throws for a file with problems: every problem on its own `  - ` line. */
export function identityConfigError(source: string, problems: readonly string[]): Error {
  return new Error(`${source}: invalid identity config:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
}

/** Reads an identity config's text; throws only when it is neither JSON nor YAML (problems are returned). */
export function readIdentityFile(text: string, source = 'identity config'): IdentityFile {
  const { doc, flavor } = decode(text, source);
  const name = (k: keyof typeof TOP_KEYS): string => sectionName(k, flavor);
  const problems: string[] = [];
  const warnings: string[] = [];
  const root: Record<string, unknown> = doc === null || doc === undefined ? {} : isRecord(doc) ? doc : {};
  if (!isRecord(doc) && doc !== null && doc !== undefined) problems.push(`(top level): must be a mapping`);

  const section = (k: keyof typeof TOP_KEYS): Record<string, unknown> => {
    const v = lookup(root, name(k), flavor);
    if (v === undefined) return {};
    if (!isRecord(v)) {
      problems.push(`${name(k)}: must be a mapping`);
      return {};
    }
    return v;
  };

  const ciIssuerMetadata = section('ciIssuerMetadata');
  const ciProviders = readCiIssuerMetadata(ciIssuerMetadata, { flavor, where: name('ciIssuerMetadata'), problems, warnings });

  const issuers: IssuerEntry[] = [];
  for (const meta of [false, true]) {
    const k = meta ? 'metaIssuers' : 'oidcIssuers';
    for (const [key, raw] of Object.entries(section(k))) {
      const where = `${name(k)}[${JSON.stringify(key)}]`;
      const entry = readIssuer(raw, { flavor, where, key, meta, problems, warnings });
      if (entry !== undefined) issuers.push(entry);
    }
  }
  if (issuers.length === 0) {
    warnings.push(`no issuers configured (expected ${name('oidcIssuers')} or ${name('metaIssuers')})`);
  }
  return { source, flavor, issuers, ciIssuerMetadata, ciProviders, problems, warnings };
}

export function loadIdentityFile(path: string): IdentityFile {
  return readIdentityFile(readFileSync(path, 'utf8'), path);
}
