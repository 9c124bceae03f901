// Fulcio's legacy `codefresh-workflow` issuer type (pkg/identity/codefresh/principal.go). URLs are
// url.Parse(platform_url).JoinPath(...), platform_url defaulting to https://g.codefresh.io:
//   SAN        <platform>/<account_name>/<pipeline_name>:<account_id>/<pipeline_id>
//   .9 = .21   <platform>/build/<workflow_id>
//   .18        <platform>/api/pipelines/<pipeline_id>
//   .11 runner_environment, .12 scm_repo_url, .14 scm_ref (left out when empty)

import type { IssuerConfig } from '../identity-config.js';
import type { Claims, Principal } from '../principal.js';
import { baseExtensions, compactExtensions, requireAscii, stringClaims, subjectClaim } from './claims.js';
import { goJoinPath, goURLString } from './go-url.js';
import { parseClaimURL } from './uri-san.js';

export const CODEFRESH_DEFAULT_PLATFORM_URL = 'https://g.codefresh.io';
export const CODEFRESH_REQUIRED_CLAIMS = ['account_id', 'pipeline_id', 'workflow_id'] as const;
/** Every claim Fulcio decodes (as Go strings) for this type. */
const DECODED = [
  'account_id',
  'account_name',
  'pipeline_id',
  'pipeline_name',
  'workflow_id',
  'initiator',
  'scm_repo_url',
  'scm_user_name',
  'scm_ref',
  'scm_pull_request_target_branch',
  'runner_environment',
  'platform_url',
] as const;

export function codefreshWorkflowPrincipal(_issuer: IssuerConfig, claims: Claims): Principal {
  const c = stringClaims(claims, DECODED, CODEFRESH_REQUIRED_CLAIMS);
  const sub = subjectClaim(claims);
  const base = baseExtensions(claims);
  const platform = parseClaimURL(c.platform_url === '' ? CODEFRESH_DEFAULT_PLATFORM_URL : c.platform_url, 'platform_url');
  const at = (...elem: string[]): string => goURLString(goJoinPath(platform, ...elem));
  const san = requireAscii(at(c.account_name, `${c.pipeline_name}:${c.account_id}/${c.pipeline_id}`), 'pipeline_name');
  const build = at('build', c.workflow_id);
  return {
    name: sub,
    san: { kind: 'uri', value: san },
    extensions: compactExtensions({
      // Named, not spread: a spread followed by this many fields makes V8 build the object the slow way (~10 KB of garbage).
      issuer: base.issuer,
      subject: base.subject,
      buildSignerUri: build,
      runnerEnvironment: c.runner_environment,
      sourceRepositoryUri: c.scm_repo_url,
      sourceRepositoryRef: c.scm_ref,
      buildConfigUri: at('api', 'pipelines', c.pipeline_id),
      runInvocationUri: build,
    }),
  };
}
