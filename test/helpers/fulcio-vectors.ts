// Claims from Fulcio's own tests (fulcio.md §7.2), shared by every spec that maps them.

// Fulcio TestAPIWithGitHub (fulcio.md §7.2 V1).
export const V1 = {
  iss: 'https://token.actions.githubusercontent.com',
  aud: 'sigstore',
  sub: 'repo:sigstore/fulcio:ref:refs/heads/main',
  job_workflow_ref: 'job/workflow/ref',
  sha: 'sha',
  event_name: 'trigger',
  repository: 'sigstore/fulcio',
  workflow: 'workflow',
  ref: 'refs/heads/main',
  job_workflow_sha: 'example-sha',
  runner_environment: 'cloud-hosted',
  repository_id: '12345',
  repository_owner: 'username',
  repository_owner_id: '345',
  repository_visibility: 'public',
  workflow_ref: 'sigstore/other/.github/workflows/foo.yaml@refs/heads/main',
  workflow_sha: 'example-sha-other',
  run_id: '42',
  run_attempt: '1',
} as const;

// Fulcio TestAPIWithGitLab (fulcio.md §7.2 V3).
export const V3 = {
  iss: 'https://gitlab.com',
  aud: 'sigstore',
  sub: 'project_path:cpanato/testing-cosign:ref_type:branch:ref:main',
  project_path: 'cpanato/testing-cosign',
  project_id: '42831435',
  pipeline_source: 'push',
  pipeline_id: '757451528',
  ci_config_ref_uri: 'gitlab.com/cpanato/testing-cosign//.gitlab-ci.yml@refs/heads/main',
  ci_config_sha: '714a629c0b401fdce83e847fc9589983fc6f46bc',
  namespace_path: 'cpanato',
  namespace_id: '1730270',
  job_id: '3659681386',
  ref: 'main',
  ref_type: 'branch',
  sha: '714a629c0b401fdce83e847fc9589983fc6f46bc',
  runner_id: 1,
  runner_environment: 'gitlab-hosted',
  project_visibility: 'public',
} as const;

const CODEFRESH_SUB = 'account:628a80b693a15c0f9c13ab75:pipeline:65e6d5551e47e5bc243ca93f:scm_repo_url:https://github.com/test-codefresh/fulcio';

// Fulcio TestAPIWithCodefresh (fulcio.md §7.2 V4).
export const V4 = {
  iss: 'https://oidc.codefresh.io',
  aud: 'sigstore',
  sub: CODEFRESH_SUB,
  account_id: '628a80b693a15c0f9c13ab75',
  account_name: 'test-codefresh',
  pipeline_id: '65e6d5551e47e5bc243ca93f',
  pipeline_name: 'oidc-test/oidc-test-2',
  workflow_id: '65e6ebe0bfbfa1782876165e',
  scm_user_name: 'test-codefresh',
  scm_repo_url: 'https://github.com/test-codefresh/fulcio',
  scm_ref: 'feat/codefresh-issuer',
  scm_pull_request_target_branch: 'main',
  runner_environment: 'hybrid',
  platform_url: 'https://g.codefresh.io',
} as const;
