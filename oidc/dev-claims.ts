// Realistic claims for development tokens, shaped like GitHub Actions, GitLab CI and an email login.
export type DevTokenType = 'github' | 'gitlab' | 'email';
export const DEV_TOKEN_TYPES: readonly DevTokenType[] = ['github', 'gitlab', 'email'];

const SHA = '6c1e1b1ab1d3e2d4a4f3c2b1a09f8e7d6c5b4a39';

export function devClaims(type: DevTokenType): Record<string, unknown> {
  switch (type) {
    case 'github':
      return {
        sub: 'repo:acme/app:ref:refs/heads/main',
        job_workflow_ref: 'acme/app/.github/workflows/release.yml@refs/heads/main',
        job_workflow_sha: SHA,
        sha: SHA,
        event_name: 'push',
        repository: 'acme/app',
        repository_id: '123456789',
        repository_owner: 'acme',
        repository_owner_id: '987654',
        repository_visibility: 'private',
        workflow: 'release',
        workflow_ref: 'acme/app/.github/workflows/release.yml@refs/heads/main',
        workflow_sha: SHA,
        ref: 'refs/heads/main',
        ref_type: 'branch',
        run_id: '4242424242',
        run_number: '17',
        run_attempt: '1',
        runner_environment: 'github-hosted',
        actor: 'octocat',
        actor_id: '583231',
      };
    case 'gitlab':
      return {
        sub: 'project_path:acme/app:ref_type:branch:ref:main',
        namespace_id: '1730270',
        namespace_path: 'acme',
        project_id: '42831435',
        project_path: 'acme/app',
        project_visibility: 'private',
        pipeline_id: '757451528',
        pipeline_source: 'push',
        job_id: '3659681386',
        ref: 'main',
        ref_type: 'branch',
        ref_protected: 'true',
        ci_config_ref_uri: 'gitlab.com/acme/app//.gitlab-ci.yml@refs/heads/main',
        ci_config_sha: SHA,
        sha: SHA,
        runner_id: 1,
        runner_environment: 'gitlab-hosted',
        user_login: 'dev',
      };
    case 'email':
      return { sub: 'dev@example.com', email: 'dev@example.com', email_verified: true };
  }
}
