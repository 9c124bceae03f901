import assert from 'node:assert/strict';
import type { IssuerConfig } from '../../../../oidc/identity-config.js';
import { isFulgorError } from '../../../../lib/errors.js';
import { mapClaims } from '../../../../oidc/issuers/index.js';
import { BUILDKITE_REQUIRED_CLAIMS } from '../../../../oidc/issuers/buildkite-job.js';

const ISSUER: IssuerConfig = { issuerUrl: 'https://agent.buildkite.com', clientId: 'sigstore', type: 'buildkite-job' };
const SUB = 'organization:acme-inc:pipeline:bash-example:ref:refs/heads/main:commit:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:step:build';

// Fulcio TestAPIWithBuildkite / buildkite TestJobPrincipalFromIDToken (fulcio.md §7.2 V5).
const V5 = { iss: 'https://agent.buildkite.com', aud: 'sigstore', organization_slug: 'acme-inc', pipeline_slug: 'bash-example', sub: SUB } as const;

const rejects = (claims: Record<string, unknown>, code: string, claim: string): void => {
  assert.throws(() => mapClaims(ISSUER, claims), (e: unknown) => isFulgorError(e) && e.code === code && e.metadata['claim'] === claim);
};

describe('oidc/issuers: buildkite-job', () => {
  it('maps Fulcio vector V5: the pipeline URL, and only .1/.8/.24', () => {
    assert.deepEqual(mapClaims(ISSUER, V5), {
      name: SUB,
      san: { kind: 'uri', value: 'https://buildkite.com/acme-inc/bash-example' },
      extensions: { issuer: 'https://agent.buildkite.com', subject: SUB },
    });
  });

  it('ignores other Buildkite claims', () => {
    const p = mapClaims(ISSUER, { ...V5, build_number: 1, job_id: 'j', build_commit: 'c', runner_environment: 'x' });
    assert.deepEqual(Object.keys(p.extensions).sort(), ['issuer', 'subject']);
  });

  it('concatenates the slugs as they are, then reads the URL as url.Parse does', () => {
    assert.equal(mapClaims(ISSUER, { ...V5, pipeline_slug: 'a b' }).san.value, 'https://buildkite.com/acme-inc/a%20b');
    assert.equal(mapClaims(ISSUER, { ...V5, pipeline_slug: '../x' }).san.value, 'https://buildkite.com/acme-inc/../x');
    rejects({ ...V5, organization_slug: 'bad%zz' }, 'INVALID_CLAIM', 'organization_slug');
    rejects({ ...V5, pipeline_slug: 'bad\n' }, 'INVALID_CLAIM', 'pipeline_slug');
  });

  for (const claim of BUILDKITE_REQUIRED_CLAIMS) {
    it(`requires ${claim}`, () => {
      const { [claim]: _dropped, ...rest } = V5;
      rejects(rest, 'MISSING_CLAIM', claim);
      rejects({ ...V5, [claim]: '' }, 'MISSING_CLAIM', claim);
      rejects({ ...V5, [claim]: null }, 'MISSING_CLAIM', claim);
      rejects({ ...V5, [claim]: 7 }, 'INVALID_CLAIM', claim);
    });
  }

  it('requires iss, and sub (the proof-of-possession subject) as a non-empty string', () => {
    const { iss: _i, ...noIss } = V5;
    rejects(noIss, 'MISSING_CLAIM', 'iss');
    const { sub: _s, ...noSub } = V5;
    rejects(noSub, 'MISSING_CLAIM', 'sub');
    rejects({ ...V5, sub: '' }, 'MISSING_CLAIM', 'sub');
    rejects({ ...V5, sub: 7 }, 'INVALID_CLAIM', 'sub');
  });
});
