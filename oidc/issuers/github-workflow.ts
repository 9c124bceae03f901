// Fulcio's legacy `github-workflow` issuer type (pkg/identity/github/principal.go). Every claim below must be a
// non-empty string; URLs are built as url.Parse("https://github.com/").JoinPath(...), which cleans "." and "..".
// The deployment environment (.23) is never emitted by this type.

import type { IssuerConfig } from '../identity-config.js';
import type { Claims, Principal } from '../principal.js';
import { baseExtensions, compactExtensions, requireAscii, stringClaims, subjectClaim } from './claims.js';
import { goPathJoiner, parseGoURL } from './go-url.js';

export const GITHUB_REQUIRED_CLAIMS = [
  'job_workflow_ref',
  'sha',
  'event_name',
  'repository',
  'workflow',
  'ref',
  'job_workflow_sha',
  'runner_environment',
  'repository_id',
  'repository_owner',
  'repository_owner_id',
  'repository_visibility',
  'workflow_ref',
  'workflow_sha',
  'run_id',
  'run_attempt',
] as const;

const GITHUB = parseGoURL('https://github.com/');
const github = goPathJoiner(GITHUB);

export function githubWorkflowPrincipal(_issuer: IssuerConfig, claims: Claims): Principal {
  const c = stringClaims(claims, GITHUB_REQUIRED_CLAIMS);
  const name = subjectClaim(claims);
  const base = baseExtensions(claims);
  const signer = requireAscii(github(c.job_workflow_ref), 'job_workflow_ref');
  return {
    name,
    san: { kind: 'uri', value: signer },
    extensions: compactExtensions({
      // Named, not spread: a spread followed by this many fields makes V8 build the object the slow way (~10 KB of garbage).
      issuer: base.issuer,
      subject: base.subject,
      githubWorkflowTrigger: c.event_name,
      githubWorkflowSha: c.sha,
      githubWorkflowName: c.workflow,
      githubWorkflowRepository: c.repository,
      githubWorkflowRef: c.ref,
      buildSignerUri: signer,
      buildSignerDigest: c.job_workflow_sha,
      runnerEnvironment: c.runner_environment,
      sourceRepositoryUri: github(c.repository),
      sourceRepositoryDigest: c.sha,
      sourceRepositoryRef: c.ref,
      sourceRepositoryIdentifier: c.repository_id,
      sourceRepositoryOwnerUri: github(c.repository_owner),
      sourceRepositoryOwnerIdentifier: c.repository_owner_id,
      buildConfigUri: github(c.workflow_ref),
      buildConfigDigest: c.workflow_sha,
      buildTrigger: c.event_name,
      runInvocationUri: github(c.repository, 'actions/runs', c.run_id, 'attempts', c.run_attempt),
      sourceRepositoryVisibilityAtSigning: c.repository_visibility,
    }),
  };
}
