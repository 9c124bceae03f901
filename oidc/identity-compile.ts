// From the identity file config/ read (data, with shape problems already recorded) to the IdentityConfig oidc and
// server use: the rules that depend on what an issuer is (known types, IssuerClaim paths, SPIFFE trust domains,
// subject domains, ci-provider metadata) are checked here, templates are compiled, and meta issuer patterns become
// regexes. Every problem keeps its location; a file with any problem is refused as a whole.
import {
  identityConfigError,
  loadIdentityFile,
  readIdentityFile,
  sectionName,
  type IdentityFile,
  type IssuerEntry,
} from '../config/identity.js';
import { keyName, type IssuerField } from '../config/identity-issuer.js';
import { compileCiProviders } from './ci-compile.js';
import type { CiProvider, IdentityConfig, IssuerConfig, MetaIssuer } from './identity-config.js';
import { isKnownIssuerType } from './issuer-types.js';
import { metaIssuerRegex } from './issuer-routing.js';
import { parseClaimPath } from './issuers/claim-path.js';
import { SpiffeIdError, trustDomainFromString } from './issuers/spiffe-id.js';
import { subjectDomainProblem } from './issuers/subject-domain.js';

/** spiffeid.TrustDomainFromString: undefined when valid, else why not. */
function trustDomainProblem(td: string): string | undefined {
  try {
    trustDomainFromString(td);
    return undefined;
  } catch (e) {
    if (e instanceof SpiffeIdError) return e.message;
    throw e;
  }
}

/** Fulcio's validateConfig rules that depend on the issuer's type; records problems and warnings. */
function checkIssuer(entry: IssuerEntry, problems: string[], warnings: string[]): void {
  const { settings: s, where, flavor } = entry;
  const at = (f: IssuerField): string => `${where}.${keyName(f, flavor)}`;
  if (!isKnownIssuerType(s.type)) {
    if (s.challengeClaim === undefined) {
      problems.push(s.type === '' ? `${at('type')}: required` : `${at('type')}: unknown issuer type "${s.type}"`);
    } else {
      warnings.push(`${at('type')}: unknown issuer type "${s.type}"; tokens from this issuer will not be accepted`);
    }
  }

  if (s.issuerClaim !== undefined && s.type !== 'email') {
    problems.push(`${at('issuerClaim')}: only email issuers can use issuer claim mapping`);
  } else if (s.issuerClaim !== undefined) {
    try {
      parseClaimPath(s.issuerClaim);
    } catch (e) {
      problems.push(`${at('issuerClaim')}: ${(e as Error).message}`);
    }
  }

  if (s.type === 'spiffe') {
    if (entry.meta) problems.push(`${at('type')}: SPIFFE meta issuers are not supported`);
    else if (s.spiffeTrustDomain === undefined) problems.push(`${at('spiffeTrustDomain')}: required for spiffe issuers`);
    else {
      const why = trustDomainProblem(s.spiffeTrustDomain);
      if (why !== undefined) problems.push(`${at('spiffeTrustDomain')}: "${s.spiffeTrustDomain}" is not a valid SPIFFE trust domain (${why})`);
    }
  }

  // uri and username issuers may only vouch for subjects under their own domain (Fulcio isURISubjectAllowed and
  // validateAllowedDomain). Fulcio checks OIDCIssuers only; meta issuers are held to the same rule against their
  // pattern's host, where a wildcard label matches only itself.
  if (s.type === 'uri' || s.type === 'username') {
    if (s.subjectDomain === undefined) problems.push(`${at('subjectDomain')}: required for ${s.type} issuers`);
    else {
      const why = subjectDomainProblem(s.type, s.subjectDomain, s.issuerUrl);
      if (why !== undefined) problems.push(`${at('subjectDomain')}: ${why}`);
    }
  }
}

/** Validates and compiles a read identity file; throws an Error listing every problem with its location. */
export function compileIdentityConfig(file: IdentityFile): IdentityConfig {
  const problems: string[] = [...file.problems];
  const warnings: string[] = [];
  const ciProviders: Map<string, CiProvider> = compileCiProviders(file.ciProviders, problems);
  const ciSection = sectionName('ciIssuerMetadata', file.flavor);

  // A ci-provider issuer gets its compiled metadata; Fulcio only notices missing metadata per token, we do at load.
  const withCi = (cfg: IssuerConfig, entry: IssuerEntry): IssuerConfig | undefined => {
    if (cfg.type !== 'ci-provider') return cfg;
    const at = `${entry.where}.${keyName('ciProvider', entry.flavor)}`;
    if (cfg.ciProvider === undefined) {
      problems.push(`${at}: required for ci-provider issuers`);
      return undefined;
    }
    if (!Object.prototype.hasOwnProperty.call(file.ciIssuerMetadata, cfg.ciProvider)) {
      problems.push(`${at}: "${cfg.ciProvider}" has no entry in ${ciSection}`);
      return undefined;
    }
    const ci = ciProviders.get(cfg.ciProvider);
    return ci === undefined ? undefined : { ...cfg, ci }; // undefined: its metadata already has a recorded problem
  };

  const oidcIssuers = new Map<string, IssuerConfig>();
  const metaIssuers: MetaIssuer[] = [];
  for (const entry of file.issuers) {
    const before = problems.length;
    checkIssuer(entry, problems, warnings);
    if (!entry.usable || problems.length > before) continue;
    // Unknown types are kept (they set ChallengeClaim) but never routed to: see findIssuer.
    const cfg = withCi(entry.settings as IssuerConfig, entry);
    if (cfg === undefined) continue;
    if (entry.meta) metaIssuers.push({ pattern: entry.key, regex: metaIssuerRegex(entry.key), config: cfg });
    else oidcIssuers.set(entry.key, cfg);
  }

  if (problems.length > 0) throw identityConfigError(file.source, problems);
  return { oidcIssuers, metaIssuers, ciIssuerMetadata: file.ciIssuerMetadata, warnings: [...file.warnings, ...warnings] };
}

/** Reads, validates and compiles an identity config's text; throws an Error listing every problem with its location. */
export function parseIdentityConfig(text: string, source = 'identity config'): IdentityConfig {
  return compileIdentityConfig(readIdentityFile(text, source));
}

export function loadIdentityConfig(path: string): IdentityConfig {
  return compileIdentityConfig(loadIdentityFile(path));
}
