// Fulcio's legacy `gitlab-pipeline` issuer type (pkg/identity/gitlabcom/principal.go). The SAN is the
// scheme-less `ci_config_ref_uri` parsed as a Go URL with its scheme forced to https; other URLs are
// url.Parse("https://gitlab.com/").JoinPath(...). No .2–.6 and no .23.

import type { IssuerConfig } from '../identity-config.js';
import type { Claims, Principal } from '../principal.js';
import { baseExtensions, compactExtensions, int64Claim, invalidClaim, missingClaim, requireAscii, stringClaims, subjectClaim } from './claims.js';
import { type GoURL, GoURLError, goPathJoiner, goURLString, parseGoURL } from './go-url.js';

export const GITLAB_REQUIRED_CLAIMS = [
  'project_path',
  'pipeline_source',
  'pipeline_id',
  'ci_config_ref_uri',
  'job_id',
  'ref',
  'ref_type',
  'namespace_path',
  'namespace_id',
  'project_id',
  'sha',
  'runner_environment',
] as const;
const OPTIONAL = ['ci_config_sha', 'project_visibility'] as const;

const GITLAB = parseGoURL('https://gitlab.com/');
const gitlab = goPathJoiner(GITLAB);

function configRefURL(ciConfigRefUri: string): string {
  let u: GoURL;
  try {
    u = parseGoURL(ciConfigRefUri);
  } catch (e) {
    if (e instanceof GoURLError) throw invalidClaim('ci_config_ref_uri', `is not a valid URL: ${e.message}`);
    throw e;
  }
  // Default to https, or the base URL's scheme when the host is the base's: also https.
  return requireAscii(goURLString({ ...u, scheme: 'https' }), 'ci_config_ref_uri');
}

export function gitlabPipelinePrincipal(_issuer: IssuerConfig, claims: Claims): Principal {
  // Decode everything first (a type error anywhere wins), then check required values in Fulcio's order.
  const c = stringClaims(claims, [...GITLAB_REQUIRED_CLAIMS, ...OPTIONAL], GITLAB_REQUIRED_CLAIMS);
  const runnerId = int64Claim(claims, 'runner_id');
  if (runnerId === 0) throw missingClaim('runner_id');
  let ref: string;
  if (c.ref_type === 'branch') ref = `refs/heads/${c.ref}`;
  else if (c.ref_type === 'tag') ref = `refs/tags/${c.ref}`;
  else throw invalidClaim('ref_type', `must be "branch" or "tag", not "${c.ref_type}"`);
  const name = subjectClaim(claims);
  const base = baseExtensions(claims);
  const san = configRefURL(c.ci_config_ref_uri);
  return {
    name,
    san: { kind: 'uri', value: san },
    extensions: compactExtensions({
      // Named, not spread: a spread followed by this many fields makes V8 build the object the slow way (~10 KB of garbage).
      issuer: base.issuer,
      subject: base.subject,
      buildConfigUri: san,
      buildConfigDigest: c.ci_config_sha,
      buildSignerUri: san,
      buildSignerDigest: c.ci_config_sha,
      runnerEnvironment: c.runner_environment,
      sourceRepositoryUri: gitlab(c.project_path),
      sourceRepositoryDigest: c.sha,
      sourceRepositoryRef: ref,
      sourceRepositoryIdentifier: c.project_id,
      sourceRepositoryOwnerUri: gitlab(c.namespace_path),
      sourceRepositoryOwnerIdentifier: c.namespace_id,
      buildTrigger: c.pipeline_source,
      runInvocationUri: gitlab(c.project_path, '/-/jobs/', c.job_id),
      sourceRepositoryVisibilityAtSigning: c.project_visibility,
    }),
  };
}
