import assert from 'node:assert/strict';
import { UnsecuredJWT } from 'jose';
import { findIssuer } from '../../../oidc/issuer-routing.js';
import { parseIdentityConfig } from '../../../oidc/identity-compile.js';
import { FulgorError } from '../../../lib/errors.js';
import { devClaims } from '../../../oidc/dev-claims.js';
import { explainClaims, explainToken } from '../../../decision/explain.js';
import { explanationText } from '../../../decision/explain-text.js';
import type { TokenVerifier } from '../../../oidc/token-verifier.js';

const GH = 'https://token.actions.githubusercontent.com';
const ARC = '1.3.6.1.4.1.57264.1';
const identity = parseIdentityConfig(JSON.stringify({
  OIDCIssuers: {
    [GH]: {
      IssuerURL: GH, ClientID: 'sigstore', Type: 'github-workflow',
      Policy: [
        { Name: 'acme-only', Allow: { repository_owner: ['acme'] } },
        { Name: 'release-refs', Allow: { ref: ['refs/heads/main', 'refs/tags/v*'] } },
        { Name: 'no-sandbox', Deny: { repository: ['acme/sandbox'] } },
      ],
    },
    'https://login.example.com': { IssuerURL: 'https://login.example.com', ClientID: 'sigstore', Type: 'username', SubjectDomain: 'example.com' },
    'https://odd.example.com': { IssuerURL: 'https://odd.example.com', ClientID: 'sigstore', Type: 'odd', ChallengeClaim: 'sub' },
  },
  MetaIssuers: { 'https://accounts.*.example.com': { ClientID: 'sigstore', Type: 'email' } },
}));
const GITHUB: Record<string, unknown> = { ...devClaims('github'), iss: GH };

describe('decision/explain: what a token or claims would get', () => {
  it('lists the rate limits that apply: none set anywhere, server defaults, and none at all when the mapping fails', () => {
    const none = explainClaims(identity, GITHUB);
    assert.deepEqual(none.rateLimits, [
      { scope: 'identity', rate: null, source: 'none', key: 'repo:acme/app:ref:refs/heads/main' },
      { scope: 'repository', rate: null, source: 'none', key: 'https://github.com/acme/app' },
      { scope: 'address', rate: null, source: 'none', key: 'client address' },
    ]);
    assert.match(explanationText(none), /^ {2}per identity +no limit +\(no issuer or server default\) +repo:acme\/app:ref:refs\/heads\/main$/m);
    const defaults = { identity: { count: 30, periodSeconds: 60, text: '30/minute' } };
    const email = explainClaims(identity, { email: 'dev@example.com', email_verified: true, sub: 'dev' }, 'https://accounts.eu.example.com', { rateLimitDefaults: defaults });
    assert.deepEqual(email.rateLimits, [
      { scope: 'identity', rate: '30/minute', source: 'server default', key: 'dev@example.com' },
      { scope: 'address', rate: null, source: 'none', key: 'client address' },
    ], 'an email identity names no repository');
    const failed = explainClaims(identity, { ...GITHUB, job_workflow_ref: undefined }, undefined, { rateLimitDefaults: defaults });
    assert.equal(failed.rateLimits, null);
    assert.match(explanationText(failed), /^Rate limits: none known \(no identity\)$/m);
  });

  it('explains GitHub claims field by field: issuer, mapping, every verdict, SAN and every extension', () => {
    const x = explainClaims(identity, GITHUB);
    assert.equal(x.allowed, true);
    assert.equal(x.input, 'claims');
    assert.equal(x.tokenVerified, false);
    assert.deepEqual(x.issuer, { url: GH, matchedBy: 'OIDCIssuers', type: 'github-workflow', clientId: 'sigstore' });
    assert.deepEqual(x.mapping, { type: 'github-workflow', ok: true });
    assert.deepEqual(x.policy?.rules.map((v) => [v.rule, v.effect, v.allowed]), [
      ['acme-only', 'allow', true],
      ['release-refs', 'allow', true],
      ['no-sandbox', 'deny', true],
    ]);
    assert.equal(x.policy?.configured, true);
    assert.equal(x.policy?.allowed, true);
    assert.equal(x.certificate?.challenge, 'repo:acme/app:ref:refs/heads/main');
    assert.deepEqual(x.certificate?.san, { type: 'uri', value: 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main' });
    const ext = Object.fromEntries((x.certificate?.extensions ?? []).map((e) => [e.oid, [e.name, e.value, e.encoding]]));
    assert.deepEqual(Object.keys(ext), [1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 24].map((n) => `${ARC}.${n}`));
    assert.deepEqual(ext[`${ARC}.1`], ['Issuer (deprecated)', GH, 'raw']);
    assert.deepEqual(ext[`${ARC}.2`], ['GitHub Workflow Trigger (deprecated)', 'push', 'raw']);
    assert.deepEqual(ext[`${ARC}.8`], ['Issuer (V2)', GH, 'utf8String']);
    assert.deepEqual(ext[`${ARC}.12`], ['Source Repository URI', 'https://github.com/acme/app', 'utf8String']);
    assert.deepEqual(ext[`${ARC}.14`], ['Source Repository Ref', 'refs/heads/main', 'utf8String']);
    assert.deepEqual(ext[`${ARC}.21`], ['Run Invocation URI', 'https://github.com/acme/app/actions/runs/4242424242/attempts/1', 'utf8String']);
    assert.deepEqual(ext[`${ARC}.22`], ['Source Repository Visibility At Signing', 'private', 'utf8String']);
    assert.deepEqual(ext[`${ARC}.24`], ['Token Subject', 'repo:acme/app:ref:refs/heads/main', 'utf8String']);
    assert.deepEqual(x.errors, []);
    assert.deepEqual(x.configuredIssuers, { oidcIssuers: [GH, 'https://login.example.com', 'https://odd.example.com'], metaIssuers: ['https://accounts.*.example.com'] });
  });

  it('reports the first refusing rule as the error, with every verdict still listed', () => {
    const x = explainClaims(identity, { ...GITHUB, ref: 'refs/heads/dev', repository: 'acme/sandbox' });
    assert.equal(x.allowed, false);
    assert.equal(x.policy?.refusedBy, 'release-refs');
    assert.deepEqual(x.policy?.rules.map((v) => v.allowed), [true, false, false]);
    assert.deepEqual(x.errors, [{
      stage: 'policy', reason: 'POLICY_DENIED', metadata: { rule: 'release-refs' },
      message: 'rule "release-refs" refused: ref "refs/heads/dev" matches none of "refs/heads/main", "refs/tags/v*"',
    }]);
    assert.ok(x.certificate, 'what the mapping produced is still shown');
  });

  it('reports a compared claim too long for the policy as INVALID_CLAIM, without its value, and no verdicts', () => {
    const long = `acme/${'z'.repeat(2000)}`;
    const x = explainClaims(identity, { ...GITHUB, repository: long });
    assert.equal(x.allowed, false);
    assert.deepEqual(x.policy, { configured: true, allowed: false, rules: [] });
    assert.deepEqual(x.errors, [{
      stage: 'policy', reason: 'INVALID_CLAIM', metadata: { claim: 'repository' },
      message: 'token claim "repository" is longer than 1024 bytes, the most the issuance policy compares',
    }]);
  });

  it('shows a mapping failure with its reason code, and still evaluates the policy', () => {
    const { job_workflow_ref: _j, ...claims } = GITHUB;
    const x = explainClaims(identity, claims);
    assert.equal(x.allowed, false);
    assert.equal(x.mapping?.ok, false);
    assert.deepEqual(x.mapping?.error, {
      stage: 'mapping', reason: 'MISSING_CLAIM', message: 'token is missing required claim "job_workflow_ref"', metadata: { claim: 'job_workflow_ref' },
    });
    assert.equal(x.certificate, null);
    assert.equal(x.policy?.allowed, true);
    assert.deepEqual(x.errors.map((e) => e.stage), ['mapping']);
  });

  it('says why no issuer matched and lists the configured ones', () => {
    const x = explainClaims(identity, { ...GITHUB, iss: 'https://evil.example.net' });
    assert.equal(x.allowed, false);
    assert.equal(x.issuer, null);
    assert.equal(x.mapping, null);
    assert.equal(x.policy, null);
    assert.equal(x.errors[0]?.reason, 'UNKNOWN_ISSUER');
    assert.match(x.errors[0]?.message ?? '', /no configured issuer handles "https:\/\/evil.example.net"/);
    const text = explanationText(x);
    assert.match(text, /Issuer: +none matched/);
    assert.match(text, /configured OIDCIssuers:\n {4}https:\/\/token.actions.githubusercontent.com\n/);
    assert.match(text, /configured MetaIssuers:\n {4}https:\/\/accounts.\*.example.com\n/);
    const odd = explainClaims(identity, { iss: 'https://odd.example.com', sub: 'x' });
    assert.match(odd.errors[0]?.message ?? '', /type "odd", which Fulgor cannot map/);
    assert.equal(explainClaims(identity, { sub: 'x' }).errors[0]?.message, 'no issuer: the claims have no string "iss" and no issuer was given');
  });

  it('routes by the given issuer, through meta issuers too, and warns when it replaces iss', () => {
    const x = explainClaims(identity, { email: 'dev@example.com', email_verified: true, sub: 'dev' }, 'https://accounts.eu.example.com');
    assert.equal(x.allowed, true);
    assert.deepEqual(x.issuer, { url: 'https://accounts.eu.example.com', matchedBy: 'MetaIssuers', pattern: 'https://accounts.*.example.com', type: 'email', clientId: 'sigstore' });
    assert.equal(x.policy?.configured, false);
    assert.deepEqual(x.certificate?.san, { type: 'email', value: 'dev@example.com' });
    assert.deepEqual(x.certificate?.extensions.map((e) => [e.oid, e.value]), [
      [`${ARC}.1`, 'https://accounts.eu.example.com'],
      [`${ARC}.8`, 'https://accounts.eu.example.com'],
      [`${ARC}.24`, 'dev'],
    ]);
    assert.match(x.warnings[0] ?? '', /no "iss": using/);
    const y = explainClaims(identity, { ...GITHUB, iss: 'https://other.example.com' }, GH);
    assert.equal(y.issuer?.url, GH);
    assert.match(y.warnings[0] ?? '', /was replaced by/);
  });

  it('shows an otherName SAN with its OID for username issuers', () => {
    const x = explainClaims(identity, { iss: 'https://login.example.com', sub: 'alice' });
    assert.deepEqual(x.certificate?.san, { type: 'otherName', value: 'alice!example.com', oid: `${ARC}.7` });
    assert.match(explanationText(x), /Subject alternative name \(otherName 1\.3\.6\.1\.4\.1\.57264\.1\.7, critical\): alice!example\.com/);
  });

  describe('tokens', () => {
    const token = (claims: Record<string, unknown>) => new UnsecuredJWT(claims).encode();
    const verifier = (result: () => Promise<Awaited<ReturnType<TokenVerifier['verify']>>>): TokenVerifier => ({ verify: result });

    it('a verified token is explained from its verified claims', async () => {
      const x = await explainToken(identity, verifier(async () => ({ issuer: findIssuer(identity, GH)!, claims: GITHUB })), token(GITHUB));
      assert.equal(x.allowed, true);
      assert.equal(x.input, 'token');
      assert.equal(x.tokenVerified, true);
      assert.match(explanationText(x), /Token: +verified/);
    });

    it('a token that fails verification is refused, and explained from its unverified claims', async () => {
      const x = await explainToken(identity, verifier(async () => { throw new FulgorError('TOKEN_EXPIRED', 'the identity token has expired'); }), token(GITHUB));
      assert.equal(x.allowed, false);
      assert.equal(x.tokenVerified, false);
      assert.deepEqual(x.errors, [{ stage: 'token', reason: 'TOKEN_EXPIRED', message: 'the identity token has expired' }]);
      assert.equal(x.issuer?.url, GH);
      assert.ok(x.certificate);
      assert.match(x.warnings[0] ?? '', /unverified claims/);
      assert.match(explanationText(x), /Token: +NOT VERIFIED: TOKEN_EXPIRED/);
    });

    it('an unknown issuer is reported once; an undecodable token stops early', async () => {
      const unknown = await explainToken(identity, verifier(async () => { throw new FulgorError('UNKNOWN_ISSUER', 'not configured'); }), token({ iss: 'https://nope.example.com' }));
      assert.deepEqual(unknown.errors.map((e) => [e.stage, e.reason]), [['issuer', 'UNKNOWN_ISSUER']]);
      const garbage = await explainToken(identity, verifier(async () => { throw new FulgorError('MALFORMED_TOKEN', 'the identity token is not a compact JWS'); }), 'nope');
      assert.deepEqual(garbage.errors.map((e) => [e.stage, e.reason]), [['token', 'MALFORMED_TOKEN']]);
      assert.equal(garbage.issuer, null);
    });
  });
});
