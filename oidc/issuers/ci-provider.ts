// The template-driven `ci-provider` identity type (Fulcio's pkg/identity/ciprovider). The issuer's compiled
// CIIssuerMetadata entry (IssuerConfig.ci, compiled at load by oidc/identity-compile.ts) maps the token's claims to
// the URI SAN and the extensions:
//   1. claims are flattened to strings (integral numbers without exponent, other numbers in shortest decimal form,
//      booleans as true/false, objects and arrays as Go's %v);
//   2. claims are merged with the provider's default-template-values. Unlike Fulcio (where claims always win), an
//      operator's non-empty default wins over a claim of the same name unless the provider lists it in
//      `claims-override-defaults`; empty defaults (optional claims, e.g. `environment: ""`) take the claim;
//   3. each value is a template (text containing "{{", run with missingkey=error) or a bare claim name;
//   4. the SAN (non-blank) is url.Parse'd and written as Go writes it, with no path cleaning; empty extension values
//      are left out; Issuer and Subject always come from `iss` and `sub`.
// Failures are 400s: MISSING_CLAIM when a referenced claim is absent, INVALID_CLAIM otherwise.

import { FulgorError } from '../../lib/errors.js';
import type { IssuerConfig } from '../identity-config.js';
import type { CiProvider, CiValue } from '../identity-config.js';
import { TemplateExecError, goFloatF, goSprintV } from '../template/index.js';
import type { Claims, FulcioExtensionValues, Principal } from '../principal.js';
import { baseExtensions, compactExtensions, subjectClaim } from './claims.js';
import { GoURLError, goURLString, parseGoURL } from './go-url.js';

/** Fulcio's mapValuesToString: every claim as the string its templates see. */
export function flattenClaims(claims: Claims): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(claims)) {
    if (v === undefined) continue; // not a JSON value: absent
    out[k] = typeof v === 'number' ? goFloatF(v) : goSprintV(v);
  }
  return out;
}

/** A template execution failure as a 400: MISSING_CLAIM for missingkey=error, else INVALID_CLAIM. */
function ciError(ci: CiProvider, what: string, e: unknown): FulgorError {
  if (!(e instanceof TemplateExecError)) throw e;
  const prefix = `ci-provider "${ci.name}": ${what}`;
  if (e.missingKey !== undefined) {
    return new FulgorError('MISSING_CLAIM', `${prefix}: token is missing claim "${e.missingKey}" (${e.message})`, {
      metadata: { claim: e.missingKey, template: what },
    });
  }
  return new FulgorError('INVALID_CLAIM', `${prefix}: ${e.message}`, {
    metadata: { ...(e.key !== undefined ? { claim: e.key } : {}), template: what },
  });
}

/** Fulcio's applyTemplateOrReplace against the merged defaults+claims. */
function apply(ci: CiProvider, what: string, value: CiValue, data: Readonly<Record<string, string>>): string {
  if (value.kind === 'claim') {
    if (!Object.prototype.hasOwnProperty.call(data, value.claim)) {
      throw new FulgorError('MISSING_CLAIM', `ci-provider "${ci.name}": ${what}: token is missing claim "${value.claim}" (value <${value.claim}> not present in either claims or defaults)`, {
        metadata: { claim: value.claim, template: what },
      });
    }
    return data[value.claim] as string;
  }
  try {
    return value.template.execute(data);
  } catch (e) {
    throw ciError(ci, what, e);
  }
}

/** Claims fill in only what the operator left open: empty defaults, defaults listed as overridable, and new names. */
function mergeDefaults(ci: CiProvider, claims: Record<string, string>): Record<string, string> {
  const data: Record<string, string> = { ...claims };
  for (const [k, v] of Object.entries(ci.defaults)) if (!(k in claims) || !ci.overridable.has(k)) data[k] = v;
  return data;
}

export function ciProviderPrincipal(issuer: IssuerConfig, claims: Claims): Principal {
  const ci = issuer.ci;
  if (ci === undefined) {
    throw new FulgorError('BAD_REQUEST', `metadata not found for ci provider ${issuer.ciProvider ?? '(none)'}`, {
      metadata: { issuerType: issuer.type },
    });
  }
  const base = baseExtensions(claims);
  const name = subjectClaim(claims);
  if (ci.san === undefined) {
    throw new FulgorError('BAD_REQUEST', `ci-provider "${ci.name}": SubjectAlternativeNameTemplate should not be empty. Issuer: ${base.issuer}`);
  }
  const data = mergeDefaults(ci, flattenClaims(claims));

  const sanText = apply(ci, 'subject-alternative-name-template', ci.san, data);
  const sanError = (why: string): FulgorError =>
    new FulgorError('INVALID_CLAIM', `ci-provider "${ci.name}": subject alternative name "${sanText}" ${why}`, {
      metadata: { ...(ci.san?.kind === 'claim' ? { claim: ci.san.claim } : {}), template: 'subject-alternative-name-template' },
    });
  let san: string;
  try {
    san = goURLString(parseGoURL(sanText));
  } catch (e) {
    if (!(e instanceof GoURLError)) throw e;
    throw sanError(`is not a valid URL: ${e.message}`);
  }
  // x509 writes a URI SAN as an IA5String; Go refuses to build a certificate with a non-ASCII one.
  if (!/^\p{ASCII}*$/u.test(san)) throw sanError('is not ASCII');

  const ext: Record<string, string> = {};
  for (const t of ci.extensions) ext[t.field] = apply(ci, t.key, t.value, data);
  return {
    name,
    san: { kind: 'uri', value: san },
    extensions: compactExtensions({ ...ext, ...base } as FulcioExtensionValues),
  };
}
