import assert from 'node:assert/strict';
import { parseIdentityConfig } from '../../../oidc/identity-compile.js';
import { compilePattern, parsePolicy, type IssuancePolicy } from '../../../config/policy.js';

const W = 'OIDCIssuers["https://x"].Policy';

/** Parses a JSON-flavored policy; returns the policy and every problem. */
function parse(raw: unknown, flavor: 'json' | 'yaml' = 'json'): { policy: IssuancePolicy | undefined; problems: string[] } {
  const problems: string[] = [];
  const where = flavor === 'json' ? W : 'oidc-issuers["https://x"].policy';
  return { policy: parsePolicy(raw, { where, problems }), problems };
}

function problemsOf(raw: unknown, flavor: 'json' | 'yaml' = 'json'): string[] {
  const { policy, problems } = parse(raw, flavor);
  assert.equal(policy, undefined, 'an unusable policy is undefined');
  assert.ok(problems.length > 0);
  return problems;
}

describe('config/policy: the policy language', () => {
  describe('patterns', () => {
    const m = (pattern: string, value: string) => compilePattern(pattern).matches(value);

    it('globs are anchored; * stays within one path segment, ** crosses /', () => {
      assert.ok(m('refs/tags/v*', 'refs/tags/v1.2.3'));
      assert.ok(!m('refs/tags/v*', 'refs/tags/v1/evil'));
      assert.ok(!m('refs/tags/v*', 'xrefs/tags/v1'));
      assert.ok(!m('acme', 'acme-labs'));
      assert.ok(!m('acme', 'xacme'));
      assert.ok(m('refs/heads/**', 'refs/heads/a/b/c'));
      assert.ok(m('acme/tmp-*', 'acme/tmp-'));
      assert.ok(!m('acme/tmp-*', 'acme/tmp-x/y'));
      assert.ok(m('**', ''));
      assert.ok(compilePattern('**').matchesAll);
      assert.ok(!compilePattern('*').matchesAll);
    });

    it('glob metacharacters other than * are literal, and \\* is a literal star', () => {
      assert.ok(m('a.b?[c]', 'a.b?[c]'));
      assert.ok(!m('a.b', 'axb'));
      assert.ok(m('v\\*', 'v*'));
      assert.ok(!m('v\\*', 'v1'));
      assert.equal(compilePattern('v\\*').literal, 'v*');
      assert.equal(compilePattern('refs/heads/main').literal, 'refs/heads/main');
      assert.equal(compilePattern('refs/*').literal, undefined);
    });

    it('regexes must be written /^...$/ and are matched whole, even with a top-level |', () => {
      assert.ok(m('/^refs\\/tags\\/v[0-9]+$/', 'refs/tags/v12'));
      assert.ok(!m('/^refs\\/tags\\/v[0-9]+$/', 'refs/tags/v12-rc'));
      assert.ok(m('/^a|b$/', 'a'));
      assert.ok(!m('/^a|b$/', 'ab'), 'wrapped as ^(?:a|b)$');
      assert.ok(!m('/^a|b$/', 'xb'));
      assert.equal(compilePattern('/^x$/').kind, 'regex');
      assert.ok(compilePattern('/^.*$/').matchesAll);
    });

    it('refuses unanchored, flagged, escaped-anchor, empty and broken patterns', () => {
      assert.throws(() => compilePattern('/main/'), /anchored at both ends/);
      assert.throws(() => compilePattern('/^main/'), /anchored at both ends/);
      assert.throws(() => compilePattern('/main$/'), /anchored at both ends/);
      assert.throws(() => compilePattern('/^main\\$/'), /anchored at both ends/);
      assert.throws(() => compilePattern('//'), /anchored/);
      assert.throws(() => compilePattern('/^main$/i'), /flags are not supported/);
      assert.throws(() => compilePattern('/^(main$/'), /does not compile/);
      assert.throws(() => compilePattern(''), /empty pattern/);
      assert.throws(() => compilePattern('abc\\'), /lone backslash/);
      assert.ok(m('/^main\\\\$/', 'main\\'), 'an escaped backslash before $ leaves the anchor');
    });
  });

  describe('linear-time matching (RE2)', () => {
    const m = (pattern: string, value: string) => compilePattern(pattern).matches(value);

    it('matches a catastrophic-backtracking regex against a long near-miss (hours for a backtracking engine)', () => {
      const nested = compilePattern('/^v([0-9]+\\.?)+$/');
      assert.equal(nested.matches(`v${'1'.repeat(40)}x`), false);
      assert.equal(nested.matches(`v${'1'.repeat(5000)}`), true);
      assert.equal(nested.matches('v1.22.3'), true);
      assert.equal(compilePattern('/^(a|a)*b$/').matches('a'.repeat(5000)), false);
      assert.equal(compilePattern('/^(.*a){12}$/').matches('a'.repeat(5000) + 'b'), false);
    });

    it('globs compile to the same engine: * and ** over newlines, astral characters and lone surrogates', () => {
      assert.ok(m('refs/*', 'refs/a\nb'));
      assert.ok(!m('refs/*', 'refs/a\n/b'));
      assert.ok(m('**', 'a\n/b'));
      assert.ok(m('v*-😀', 'v1-😀'));
      assert.ok(m('*', '\ud800'));
      assert.ok(m('a*a*a*a*a*a*a*a*a*a*b', `${'a'.repeat(5000)}b`));
      assert.ok(!m('a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(5000)));
    });

    it('keeps ordinary JavaScript-style regexes working: classes, escapes, named groups, \\/', () => {
      assert.ok(m('/^refs\\/tags\\/v\\d+\\.\\d+$/', 'refs/tags/v1.2'));
      assert.ok(m('/^(?<owner>acme|acme-labs)\\/[\\w.-]+$/', 'acme-labs/app.v2'));
      assert.ok(m('/^caf\u00e9$/', 'caf\u00e9'));
      assert.ok(m('/^[\\s\\S]*$/', 'x\ny'));
      assert.ok(m('/^(?i)main$/', 'MAIN'), 'RE2 inline flags');
    });

    it('refuses, at load, syntax RE2 cannot match in linear time, saying so', () => {
      for (const p of ['/^(a)\\1$/', '/^(?<n>a)\\k<n>$/', '/^(?=a)a$/', '/^(?!b)a$/', '/^(?<=a)b$/', '/^(?<!a)b$/', '/^\\u00e9$/']) {
        assert.throws(() => compilePattern(p), (e: Error) => e.message.startsWith(`regex ${p} uses syntax the linear-time engine (RE2) does not support: `), p);
      }
      assert.throws(() => compilePattern('/^a{1001}$/'), /does not support: invalid repeat count/);
      assert.deepEqual(problemsOf([{ name: 'a', allow: { ref: ['main', '/^(?!refs\\/heads\\/dev$).*$/'] } }]), [
        `${W}[0].Allow.ref[1]: regex /^(?!refs\\/heads\\/dev$).*$/ uses syntax the linear-time engine (RE2) does not support: ` +
          'invalid or unsupported Perl syntax: `(?!`; policy regexes have no backreferences, lookahead or lookbehind (and write \\x{e9}, not \\u00e9)',
      ]);
    });

    it('checks an unbalanced regex as written, not as wrapped in ^(?:...)$', () => {
      assert.throws(() => compilePattern('/^a)|(b$/'), /does not compile: unexpected \)/);
    });
  });

  describe('parsing', () => {
    it('reads the YAML example from an identity config, in order', () => {
      const cfg = parseIdentityConfig(`
oidc-issuers:
  https://token.actions.githubusercontent.com:
    issuer-url: https://token.actions.githubusercontent.com
    client-id: sigstore
    type: github-workflow
    policy:
      - name: acme-only
        allow:
          repository_owner: [acme, acme-labs]
      - name: release-refs
        allow:
          ref: ["refs/heads/main", "refs/tags/v*"]
      - name: no-sandbox
        deny:
          repository: ["acme/sandbox", "acme/tmp-*"]
      - name: protected-gitlab-refs
        allow:
          ref_protected: [true]
`);
      const policy = cfg.oidcIssuers.get('https://token.actions.githubusercontent.com')?.policy;
      assert.ok(policy);
      assert.deepEqual(policy.rules.map((r) => [r.name, r.effect, r.conditions.map((c) => [c.claim, c.patterns.map((p) => p.source)])]), [
        ['acme-only', 'allow', [['repository_owner', ['acme', 'acme-labs']]]],
        ['release-refs', 'allow', [['ref', ['refs/heads/main', 'refs/tags/v*']]]],
        ['no-sandbox', 'deny', [['repository', ['acme/sandbox', 'acme/tmp-*']]]],
        ['protected-gitlab-refs', 'allow', [['ref_protected', ['true']]]],
      ]);
    });

    it('reads the JSON spelling, keys matched case-insensitively as Go does', () => {
      const cfg = parseIdentityConfig(JSON.stringify({
        OIDCIssuers: {
          'https://x': {
            IssuerURL: 'https://x', ClientID: 'sigstore', Type: 'email',
            Policy: [{ Name: 'a', Allow: { email: ['*@example.com'] } }, { name: 'b', deny: { email: ['root@example.com'] } }],
          },
        },
      }));
      assert.deepEqual(cfg.oidcIssuers.get('https://x')?.policy?.rules.map((r) => [r.name, r.effect]), [['a', 'allow'], ['b', 'deny']]);
    });

    it('fails the whole identity config with the location of a bad pattern', () => {
      assert.throws(
        () => parseIdentityConfig('oidc-issuers:\n  https://x:\n    client-id: s\n    type: email\n    policy:\n      - name: r\n        allow:\n          email: ["/x/"]\n'),
        (e: Error) => e.message.includes('oidc-issuers["https://x"].policy[0].allow.email[0]: regex /x/ must be anchored'),
      );
    });
  });

  describe('load errors, each with its location', () => {
    it('a policy that is not a non-empty list', () => {
      assert.deepEqual(problemsOf({ name: 'x' }), [`${W}: must be a list of rules`]);
      assert.deepEqual(problemsOf([]), [`${W}: lists no rules (leave the key out for no policy)`]);
    });

    it('unknown keys, missing, empty and duplicate names', () => {
      assert.deepEqual(problemsOf([{ Name: 'a', Allow: { x: ['1'] }, Because: 'y' }]), [
        `${W}[0]: unknown key "Because" (expected Name, Allow or Deny)`,
      ]);
      assert.deepEqual(problemsOf([{ allow: { x: ['1'] } }]), [`${W}[0].Name: required`]);
      assert.deepEqual(problemsOf([{ name: '  ', allow: { x: ['1'] } }]), [`${W}[0].Name: must not be empty`]);
      assert.deepEqual(problemsOf([{ name: 7, allow: { x: ['1'] } }]), [`${W}[0].Name: must be a string`]);
      assert.deepEqual(problemsOf([{ name: 'a', allow: { x: ['1'] } }, { name: 'b', deny: { y: ['1'] } }, { name: 'a', deny: { x: ['2'] } }]), [
        `${W}[2]: duplicate rule name "a" (also ${W}[0])`,
      ]);
    });

    it('YAML keys must be spelled exactly', () => {
      assert.deepEqual(problemsOf([{ Name: 'a', allow: { x: ['1'] } }], 'yaml'), [
        'oidc-issuers["https://x"].policy[0]: unknown key "Name" (expected name, allow or deny)',
        'oidc-issuers["https://x"].policy[0].name: required',
      ]);
    });

    it('both or neither of allow and deny; no claims; empty or non-list pattern lists', () => {
      assert.deepEqual(problemsOf([{ name: 'a', allow: { x: ['1'] }, deny: { y: ['2'] } }]), [`${W}[0]: has both Allow and Deny; write two rules`]);
      assert.deepEqual(problemsOf([{ name: 'a' }]), [`${W}[0]: needs Allow or Deny`]);
      assert.deepEqual(problemsOf([{ name: 'a', allow: {} }]), [`${W}[0].Allow: lists no claim`]);
      assert.deepEqual(problemsOf([{ name: 'a', allow: { ref: [] } }]), [`${W}[0].Allow.ref: empty pattern list (it could never match)`]);
      assert.deepEqual(problemsOf([{ name: 'a', deny: { ref: 'main' } }]), [`${W}[0].Deny.ref: must be a list of patterns`]);
      assert.deepEqual(problemsOf([{ name: 'a', deny: ['ref'] }]), [`${W}[0].Deny: must be a mapping of claim names to lists of patterns`]);
      assert.deepEqual(problemsOf(['a']), [`${W}[0]: must be a mapping with name and allow or deny`]);
    });

    it('patterns that do not parse, and non-string patterns in JSON (YAML scalars are read by their text)', () => {
      assert.deepEqual(problemsOf([{ name: 'a', allow: { ref: ['main', '/^(x$/'], 'oidc.io/vcs': [true] } }]), [
        `${W}[0].Allow.ref[1]: regex /^(x$/ does not compile: missing closing ): \`^(x$\``,
        `${W}[0].Allow["oidc.io/vcs"][0]: must be a string`,
      ]);
      const { policy } = parse([{ name: 'a', allow: { run_number: [17, true] } }], 'yaml');
      assert.deepEqual(policy?.rules[0]?.conditions[0]?.patterns.map((p) => p.source), ['17', 'true']);
    });

    it('a policy that can never allow anything', () => {
      assert.deepEqual(problemsOf([{ name: 'main', allow: { ref: ['refs/heads/main'] } }, { name: 'dev', allow: { ref: ['refs/heads/dev'] } }]), [
        `${W}: the policy can never allow a certificate: no value of claim "ref" allowed by rule "main" gets past rule "dev"`,
      ]);
      assert.deepEqual(problemsOf([{ name: 'main', allow: { ref: ['refs/heads/main'] } }, { name: 'no-heads', deny: { ref: ['refs/heads/*'] } }]), [
        `${W}: the policy can never allow a certificate: no value of claim "ref" allowed by rule "main" gets past rule "no-heads"`,
      ]);
      assert.deepEqual(problemsOf([{ name: 'acme', allow: { repository_owner: ['acme'] } }, { name: 'all', deny: { repository_owner: ['**'] } }]), [
        `${W}: the policy can never allow a certificate: deny rule "all" refuses every value of claim "repository_owner", which allow rule "acme" requires`,
      ]);
    });

    it('accepts policies that can still allow something', () => {
      const ok = (raw: unknown) => {
        const { policy, problems } = parse(raw);
        assert.deepEqual(problems, []);
        assert.ok(policy);
      };
      ok([{ name: 'a', allow: { ref: ['refs/heads/main', 'refs/heads/dev'] } }, { name: 'b', allow: { ref: ['refs/heads/*'] } }, { name: 'c', deny: { ref: ['refs/heads/dev'] } }]);
      ok([{ name: 'a', allow: { ref: ['refs/heads/main'] } }, { name: 'b', deny: { ref: ['refs/heads/main'], repository: ['acme/x'] } }]);
      ok([{ name: 'no-forks', deny: { fork: ['**'] } }]);
    });
  });
});
