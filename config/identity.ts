// Fulcio's identity (issuer) config file: which OIDC issuers are trusted, with which audience and identity type
// (pkg/config/config.go). Accepts Fulcio's own files unchanged: JSON is tried first, then YAML; unknown keys
// (such as the public config's top-level `define:` anchor list) are ignored. YAML aliases used as mapping keys, as in
// Fulcio's shipped config, are read as yaml.v3 reads them (config/yaml-alias-keys.ts).

import { readFileSync } from 'node:fs';
import { type Flavor, isKnownIssuerType, isRecord, keyName, lookup, readIssuer } from './identity-issuer.js';
import type { IssuancePolicy } from './policy.js';
import { type CiProvider, compileCiIssuerMetadata } from './ci-metadata.js';
import { parseYamlConfig } from './yaml-alias-keys.js';

export type IssuerType =
  | 'email'
  | 'github-workflow'
  | 'gitlab-pipeline'
  | 'ci-provider'
  | 'buildkite-job'
  | 'codefresh-workflow'
  | 'chainguard-identity'
  | 'kubernetes'
  | 'spiffe'
  | 'uri'
  | 'username';

export interface IssuerConfig {
  readonly issuerUrl: string;
  readonly clientId: string;
  readonly type: IssuerType;
  readonly ciProvider?: string;
  readonly issuerClaim?: string;
  readonly subjectDomain?: string;
  readonly spiffeTrustDomain?: string;
  readonly challengeClaim?: string;
  readonly skipEmailVerification?: boolean;
  readonly caCert?: string;
  readonly description?: string;
  readonly contact?: string;
  /** Metadata for Sigstore's config sync job (`staging`/`production`); unused by the server. */
  readonly environment?: string;
  /** Fulgor: a static JWKS file used instead of discovery (air-gapped issuers). */
  readonly jwksPath?: string;
  /** Fulgor: who may get a certificate from this issuer. */
  readonly policy?: IssuancePolicy;
  /** ci-provider issuers: the compiled `CIIssuerMetadata[CIProvider]` templates. */
  readonly ci?: CiProvider;
}

export interface MetaIssuer {
  readonly pattern: string;
  readonly regex: RegExp;
  /** issuerUrl = pattern */
  readonly config: IssuerConfig;
}

export interface IdentityConfig {
  readonly oidcIssuers: ReadonlyMap<string, IssuerConfig>;
  readonly metaIssuers: readonly MetaIssuer[];
  /** Kept raw: interpreted by the ci-provider issuer type. */
  readonly ciIssuerMetadata: Readonly<Record<string, unknown>>;
  /** Suspicious but accepted settings (for example a key that differs from its IssuerURL), with locations. */
  readonly warnings?: readonly string[];
}

export { isKnownIssuerType };

const TOP = {
  oidcIssuers: ['OIDCIssuers', 'oidc-issuers'],
  metaIssuers: ['MetaIssuers', 'meta-issuers'],
  ciIssuerMetadata: ['CIIssuerMetadata', 'ci-issuer-metadata'],
} as const;

/** Fulcio's MetaRegex: regex-quote the URL, each `*` becomes `[-_a-zA-Z0-9]+`, anchored at both ends. */
export function metaIssuerRegex(pattern: string): RegExp {
  const quoted = pattern.split('*').map((part) => part.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&'));
  return new RegExp(`^${quoted.join('[-_a-zA-Z0-9]+')}$`);
}

function decode(text: string, source: string): { doc: unknown; flavor: Flavor } {
  try {
    return { doc: JSON.parse(text), flavor: 'json' };
  } catch {
    // not JSON: fall through to YAML, as Fulcio does
  }
  try {
    return { doc: parseYamlConfig(text), flavor: 'yaml' };
  } catch (e) {
    throw new Error(`${source}: identity config is neither valid JSON nor valid YAML: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/** Parses and validates an identity config; throws an Error listing every problem with its location. */
export function parseIdentityConfig(text: string, source = 'identity config'): IdentityConfig {
  const { doc, flavor } = decode(text, source);
  const name = (k: keyof typeof TOP): string => TOP[k][flavor === 'json' ? 0 : 1];
  const problems: string[] = [];
  const warnings: string[] = [];
  const root: Record<string, unknown> = doc === null || doc === undefined ? {} : isRecord(doc) ? doc : {};
  if (!isRecord(doc) && doc !== null && doc !== undefined) problems.push(`(top level): must be a mapping`);

  const section = (k: keyof typeof TOP): Record<string, unknown> => {
    const v = lookup(root, name(k), flavor);
    if (v === undefined) return {};
    if (!isRecord(v)) {
      problems.push(`${name(k)}: must be a mapping`);
      return {};
    }
    return v;
  };

  const ciIssuerMetadata = section('ciIssuerMetadata');
  const ciProviders = compileCiIssuerMetadata(ciIssuerMetadata, { flavor, where: name('ciIssuerMetadata'), problems, warnings });
  // A ci-provider issuer gets its compiled metadata; Fulcio only notices missing metadata per token, we do at load.
  const withCi = (cfg: IssuerConfig | undefined, where: string): IssuerConfig | undefined => {
    if (cfg === undefined || cfg.type !== 'ci-provider') return cfg;
    const at = `${where}.${keyName('ciProvider', flavor)}`;
    if (cfg.ciProvider === undefined) {
      problems.push(`${at}: required for ci-provider issuers`);
      return undefined;
    }
    if (!Object.prototype.hasOwnProperty.call(ciIssuerMetadata, cfg.ciProvider)) {
      problems.push(`${at}: "${cfg.ciProvider}" has no entry in ${name('ciIssuerMetadata')}`);
      return undefined;
    }
    const ci = ciProviders.get(cfg.ciProvider);
    return ci === undefined ? undefined : { ...cfg, ci }; // undefined: its metadata already has a recorded problem
  };

  const oidcIssuers = new Map<string, IssuerConfig>();
  for (const [key, raw] of Object.entries(section('oidcIssuers'))) {
    const where = `${name('oidcIssuers')}[${JSON.stringify(key)}]`;
    const cfg = withCi(readIssuer(raw, { flavor, where, key, meta: false, problems, warnings }), where);
    if (cfg !== undefined) oidcIssuers.set(key, cfg);
  }
  const metaIssuers: MetaIssuer[] = [];
  for (const [pattern, raw] of Object.entries(section('metaIssuers'))) {
    const where = `${name('metaIssuers')}[${JSON.stringify(pattern)}]`;
    const cfg = withCi(readIssuer(raw, { flavor, where, key: pattern, meta: true, problems, warnings }), where);
    if (cfg !== undefined) metaIssuers.push({ pattern, regex: metaIssuerRegex(pattern), config: cfg });
  }

  if (problems.length > 0) {
    throw new Error(`${source}: invalid identity config:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  if (oidcIssuers.size === 0 && metaIssuers.length === 0) {
    warnings.push(`no issuers configured (expected ${name('oidcIssuers')} or ${name('metaIssuers')})`);
  }
  return { oidcIssuers, metaIssuers, ciIssuerMetadata, warnings };
}

export function loadIdentityConfig(path: string): IdentityConfig {
  return parseIdentityConfig(readFileSync(path, 'utf8'), path);
}

/**
 * The issuer that handles tokens with this `iss`: the OIDCIssuers entry with that key, else the first meta issuer
 * whose pattern matches, made concrete with issuerUrl = iss. As in Fulcio, a meta match carries over ClientID,
 * Type, IssuerClaim, SubjectDomain, CIProvider, SkipEmailVerification and CACert only, and issuers of unknown
 * type (accepted at load because they set ChallengeClaim) never match.
 */
export function findIssuer(cfg: IdentityConfig, iss: string): IssuerConfig | undefined {
  const exact = cfg.oidcIssuers.get(iss);
  if (exact !== undefined) return isKnownIssuerType(exact.type) ? exact : undefined;
  const meta = findMetaIssuer(cfg, iss);
  if (meta !== undefined) {
    const m = meta.config;
    const out: Record<string, unknown> = { issuerUrl: iss, clientId: m.clientId, type: m.type };
    const carried = {
      issuerClaim: m.issuerClaim,
      subjectDomain: m.subjectDomain,
      ciProvider: m.ciProvider,
      skipEmailVerification: m.skipEmailVerification,
      caCert: m.caCert,
      ci: m.ci,
      policy: m.policy,
      jwksPath: m.jwksPath,
    };
    for (const [k, v] of Object.entries(carried)) if (v !== undefined) out[k] = v;
    return out as unknown as IssuerConfig;
  }
  return undefined;
}

/** The MetaIssuers entry that handles tokens with this `iss` (none when an OIDCIssuers entry names it). */
export function findMetaIssuer(cfg: IdentityConfig, iss: string): MetaIssuer | undefined {
  if (cfg.oidcIssuers.has(iss)) return undefined;
  return cfg.metaIssuers.find((m) => isKnownIssuerType(m.config.type) && m.regex.test(iss));
}

/** The claim the proof of possession is made over: configured, else `email` for email issuers, else `sub`. */
export function challengeClaimFor(cfg: IssuerConfig): string {
  if (cfg.challengeClaim !== undefined && cfg.challengeClaim !== '') return cfg.challengeClaim;
  return cfg.type === 'email' ? 'email' : 'sub';
}
