import assert from 'node:assert/strict';
import { parsePolicy, type IssuancePolicy } from '../../../config/policy.js';
import { isFulgorError } from '../../../lib/errors.js';
import { claimText, evaluatePolicy, MAX_POLICY_CLAIM_BYTES } from '../../../oidc/policy.js';

function policy(raw: unknown): IssuancePolicy {
  const problems: string[] = [];
  const p = parsePolicy(raw, { where: 'Policy', problems });
  assert.deepEqual(problems, []);
  return p as IssuancePolicy;
}

const GITHUB = {
  iss: 'https://token.actions.githubusercontent.com',
  repository: 'acme/app',
  repository_owner: 'acme',
  ref: 'refs/heads/main',
  run_attempt: 1,
  ref_protected: true,
};

const EXAMPLE = policy([
  { name: 'acme-only', allow: { repository_owner: ['acme', 'acme-labs'] } },
  { name: 'release-refs', allow: { ref: ['refs/heads/main', 'refs/tags/v*'] } },
  { name: 'no-sandbox', deny: { repository: ['acme/sandbox', 'acme/tmp-*'] } },
]);

const verdictsOf = (p: IssuancePolicy, claims: Record<string, unknown>) =>
  evaluatePolicy(p, claims).verdicts.map((v) => [v.rule, v.allowed]);

describe('oidc/policy: evaluating issuance policy over verified claims', () => {
  it('no policy allows everything', () => {
    assert.deepEqual(evaluatePolicy(undefined, {}), { allowed: true, verdicts: [] });
  });

  it('allows when every allow rule matches and no deny rule does, with a verdict per rule', () => {
    const d = evaluatePolicy(EXAMPLE, GITHUB);
    assert.equal(d.allowed, true);
    assert.equal(d.refusedBy, undefined);
    assert.deepEqual(d.verdicts.map((v) => [v.rule, v.effect, v.allowed, v.reason]), [
      ['acme-only', 'allow', true, 'repository_owner "acme" matches "acme"'],
      ['release-refs', 'allow', true, 'ref "refs/heads/main" matches "refs/heads/main"'],
      ['no-sandbox', 'deny', true, 'not denied: repository "acme/app" matches none of "acme/sandbox", "acme/tmp-*"'],
    ]);
    assert.deepEqual(d.verdicts[1]?.checks, [{ claim: 'ref', value: 'refs/heads/main', state: 'present', matched: 'refs/heads/main' }]);
  });

  it('allow rules: a glob, a value outside the list, a glob that does not cross /', () => {
    assert.deepEqual(verdictsOf(EXAMPLE, { ...GITHUB, ref: 'refs/tags/v1.2.0' }), [['acme-only', true], ['release-refs', true], ['no-sandbox', true]]);
    const d = evaluatePolicy(EXAMPLE, { ...GITHUB, ref: 'refs/heads/dev' });
    assert.equal(d.allowed, false);
    assert.equal(d.refusedBy, 'release-refs');
    assert.equal(d.verdicts[1]?.reason, 'ref "refs/heads/dev" matches none of "refs/heads/main", "refs/tags/v*"');
    assert.equal(evaluatePolicy(EXAMPLE, { ...GITHUB, ref: 'refs/tags/v1/x' }).refusedBy, 'release-refs');
  });

  it('deny rules: a literal and a glob refuse; the reason names the value and pattern', () => {
    const d = evaluatePolicy(EXAMPLE, { ...GITHUB, repository: 'acme/tmp-42' });
    assert.equal(d.allowed, false);
    assert.equal(d.refusedBy, 'no-sandbox');
    assert.equal(d.verdicts[2]?.reason, 'denied: repository "acme/tmp-42" matches "acme/tmp-*"');
    assert.equal(evaluatePolicy(EXAMPLE, { ...GITHUB, repository: 'acme/sandbox' }).refusedBy, 'no-sandbox');
  });

  it('the first refusing rule is reported, but every rule is evaluated', () => {
    const d = evaluatePolicy(EXAMPLE, { ...GITHUB, repository_owner: 'evil', ref: 'refs/heads/x', repository: 'acme/sandbox' });
    assert.equal(d.refusedBy, 'acme-only');
    assert.deepEqual(d.verdicts.map((v) => v.allowed), [false, false, false]);
  });

  it('a missing claim never satisfies an allow rule, and a deny rule does not fire without it', () => {
    const { repository_owner: _o, repository: _r, ...rest } = GITHUB;
    const d = evaluatePolicy(EXAMPLE, rest);
    assert.equal(d.refusedBy, 'acme-only');
    assert.equal(d.verdicts[0]?.reason, 'claim "repository_owner" is missing');
    assert.deepEqual(d.verdicts[0]?.checks, [{ claim: 'repository_owner', state: 'missing' }]);
    assert.equal(d.verdicts[2]?.allowed, true);
    assert.equal(d.verdicts[2]?.reason, 'not denied: claim "repository" is missing');
    assert.equal(evaluatePolicy(EXAMPLE, { ...GITHUB, repository_owner: null }).refusedBy, 'acme-only', 'null is missing');
    const star = policy([{ name: 'any', allow: { x: ['**'] } }]);
    assert.equal(evaluatePolicy(star, {}).allowed, false, 'even ** needs the claim');
    assert.equal(evaluatePolicy(star, { x: '' }).allowed, true);
    assert.equal(evaluatePolicy(star, Object.create({ x: 'inherited' }) as Record<string, unknown>).allowed, false);
  });

  it('lists and objects are not comparable and match nothing', () => {
    const p = policy([{ name: 'aud', allow: { aud: ['sigstore'] } }]);
    const d = evaluatePolicy(p, { aud: ['sigstore'] });
    assert.equal(d.allowed, false);
    assert.equal(d.verdicts[0]?.reason, 'claim "aud" is a list, which no pattern matches');
    assert.equal(evaluatePolicy(p, { aud: { a: 1 } }).verdicts[0]?.reason, 'claim "aud" is an object, which no pattern matches');
  });

  it('several claims in one rule: allow needs all to match, deny fires only when all match', () => {
    const p = policy([
      { name: 'main-of-acme', allow: { repository_owner: ['acme'], ref: ['refs/heads/main'] } },
      { name: 'no-bot-on-app', deny: { repository: ['acme/app'], actor: ['bot-*'] } },
    ]);
    assert.deepEqual(verdictsOf(p, { ...GITHUB, actor: 'octocat' }), [['main-of-acme', true], ['no-bot-on-app', true]]);
    assert.deepEqual(verdictsOf(p, { ...GITHUB, actor: 'bot-ci' }), [['main-of-acme', true], ['no-bot-on-app', false]]);
    assert.deepEqual(verdictsOf(p, { ...GITHUB, repository: 'acme/lib', actor: 'bot-ci' }), [['main-of-acme', true], ['no-bot-on-app', true]]);
    const d = evaluatePolicy(p, { ...GITHUB, repository_owner: 'acme', ref: 'refs/heads/dev', actor: 'bot-ci' });
    assert.equal(d.verdicts[0]?.reason, 'ref "refs/heads/dev" matches none of "refs/heads/main"');
    assert.equal(d.verdicts[1]?.reason, 'denied: repository "acme/app" matches "acme/app"; actor "bot-ci" matches "bot-*"');
  });

  it('regex patterns', () => {
    const p = policy([{ name: 'semver-tags', allow: { ref: ['/^refs\\/tags\\/v[0-9]+\\.[0-9]+\\.[0-9]+$/'] } }]);
    assert.equal(evaluatePolicy(p, { ref: 'refs/tags/v1.22.3' }).allowed, true);
    assert.equal(evaluatePolicy(p, { ref: 'refs/tags/v1.22.3-rc1' }).allowed, false);
    assert.equal(evaluatePolicy(p, { ref: 'xrefs/tags/v1.2.3' }).allowed, false);
  });

  it('numbers and booleans are compared as Fulcio’s ci-provider flattening prints them', () => {
    assert.deepEqual(claimText(1753000000), { state: 'present', text: '1753000000' });
    assert.deepEqual(claimText(1.5), { state: 'present', text: '1.5' });
    assert.deepEqual(claimText(0.00001), { state: 'present', text: '0.00001' });
    assert.deepEqual(claimText(1e21), { state: 'present', text: '1000000000000000000000' });
    assert.deepEqual(claimText(false), { state: 'present', text: 'false' });
    const p = policy([
      { name: 'protected', allow: { ref_protected: ['true'] } },
      { name: 'first-attempt', allow: { run_attempt: ['1'] } },
      { name: 'no-runner-7', deny: { runner_id: ['/^7$/'] } },
    ]);
    assert.deepEqual(verdictsOf(p, { ref_protected: true, run_attempt: 1, runner_id: 8 }), [['protected', true], ['first-attempt', true], ['no-runner-7', true]]);
    assert.deepEqual(verdictsOf(p, { ref_protected: 'true', run_attempt: '1', runner_id: 7 }), [['protected', true], ['first-attempt', true], ['no-runner-7', false]]);
    assert.deepEqual(verdictsOf(p, { ref_protected: false, run_attempt: 2, runner_id: 8 }), [['protected', false], ['first-attempt', false], ['no-runner-7', true]]);
    assert.equal(evaluatePolicy(p, { ref_protected: 'false', run_attempt: 1 }).verdicts[0]?.reason, 'ref_protected "false" matches none of "true"');
  });

  it('quotes long values shortened in reasons', () => {
    const p = policy([{ name: 'x', allow: { sub: ['a'] } }]);
    const reason = evaluatePolicy(p, { sub: 'b'.repeat(500) }).verdicts[0]?.reason ?? '';
    assert.ok(reason.length < 300, reason);
    assert.match(reason, /…" matches none of "a"$/);
  });

  describe(`claim values longer than ${MAX_POLICY_CLAIM_BYTES} bytes`, () => {
    const tooLong = (claim: string) => (e: unknown) => {
      assert.ok(isFulgorError(e));
      assert.equal(e.code, 'INVALID_CLAIM');
      assert.deepEqual(e.metadata, { claim });
      assert.equal(e.message, `token claim "${claim}" is longer than ${MAX_POLICY_CLAIM_BYTES} bytes, the most the issuance policy compares`);
      return true;
    };

    it('are refused before matching, whatever the rule: a deny rule is not slipped past', () => {
      assert.throws(() => evaluatePolicy(EXAMPLE, { ...GITHUB, repository: `acme/${'x'.repeat(MAX_POLICY_CLAIM_BYTES)}` }), tooLong('repository'));
      const wildcard = policy([{ name: 'any-ref', allow: { ref: ['**'] } }]);
      assert.throws(() => evaluatePolicy(wildcard, { ref: 'r'.repeat(MAX_POLICY_CLAIM_BYTES + 1) }), tooLong('ref'));
    });

    it('are measured in UTF-8 bytes; the limit itself is compared, and claims no rule names are not checked', () => {
      const any = policy([{ name: 'any', allow: { sub: ['**'] } }]);
      assert.equal(evaluatePolicy(any, { sub: 'a'.repeat(MAX_POLICY_CLAIM_BYTES) }).allowed, true);
      assert.throws(() => evaluatePolicy(any, { sub: 'é'.repeat(MAX_POLICY_CLAIM_BYTES / 2 + 1) }), tooLong('sub'));
      assert.equal(evaluatePolicy(any, { sub: 'é'.repeat(MAX_POLICY_CLAIM_BYTES / 2) }).allowed, true);
      assert.equal(evaluatePolicy(any, { sub: 'x', other: 'o'.repeat(10 * MAX_POLICY_CLAIM_BYTES) }).allowed, true);
    });
  });
});
