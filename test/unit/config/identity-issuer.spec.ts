import assert from 'node:assert/strict';
import { parseIdentityConfig } from '../../../oidc/identity-compile.js';
import { parseGoURL } from '../../../oidc/issuers/go-url.js';
import { isURISubjectAllowed, subjectDomainProblem, validateAllowedDomain } from '../../../oidc/issuers/subject-domain.js';

const problemsOf = (doc: unknown): string[] => {
  try {
    parseIdentityConfig(JSON.stringify(doc), 'test.json');
  } catch (e) {
    return (e as Error).message.split('\n').slice(1).map((l) => l.replace(/^ {2}- /, ''));
  }
  return [];
};
const one = (key: string, issuer: Record<string, unknown>): string[] => problemsOf({ OIDCIssuers: { [key]: issuer } });

describe('config/identity-issuer: Fulcio Test_isURISubjectAllowed', () => {
  const cases: [string, string, string, string | undefined][] = [
    ['match', 'https://accounts.example.com', 'https://accounts.example.com', undefined],
    ['issuer subdomain', 'https://example.com', 'https://accounts.example.com', undefined],
    ['subject subdomain', 'https://profiles.example.com', 'https://example.com', undefined],
    ['subdomain mismatch', 'https://profiles.example.com', 'https://accounts.example.com', undefined],
    ['scheme mismatch', 'http://example.com', 'https://example.com', 'subject (http) and issuer (https) URI schemes do not match'],
    ['subject domain too short', 'https://example', 'https://example.com', 'URI hostname too short: example'],
    ['issuer domain too short', 'https://example.com', 'https://issuer', 'URI hostname too short: issuer'],
    ['domain mismatch', 'https://example.com', 'https://otherexample.com',
      'hostname top-level and second-level domains do not match: example.com, otherexample.com'],
    ['top level domain mismatch', 'https://example.com', 'https://example.org',
      'hostname top-level and second-level domains do not match: example.com, example.org'],
    ['ports do not count', 'https://example.com:8443', 'https://accounts.example.com:443', undefined],
  ];
  for (const [name, subject, issuer, want] of cases) {
    it(name, () => assert.equal(isURISubjectAllowed(parseGoURL(subject), parseGoURL(issuer)), want));
  }
});

describe('config/identity-issuer: Fulcio Test_validateAllowedDomain', () => {
  const cases: [string, string, string, string | undefined][] = [
    ['match', 'accounts.example.com', 'accounts.example.com', undefined],
    ['issuer subdomain', 'example.com', 'accounts.example.com', undefined],
    ['subject subdomain', 'profiles.example.com', 'example.com', undefined],
    ['subdomain mismatch', 'profiles.example.com', 'accounts.example.com', undefined],
    ['subject domain too short', 'example', 'example.com', 'URI hostname too short: example'],
    ['issuer domain too short', 'example.com', 'issuer', 'URI hostname too short: issuer'],
    ['domain mismatch', 'example.com', 'otherexample.com',
      'hostname top-level and second-level domains do not match: example.com, otherexample.com'],
    ['domain mismatch, subdomain match', 'test.example.com', 'test.otherexample.com',
      'hostname top-level and second-level domains do not match: test.example.com, test.otherexample.com'],
    ['top level domain mismatch', 'example.com', 'example.org',
      'hostname top-level and second-level domains do not match: example.com, example.org'],
    ['co.uk is not understood (Fulcio TODO)', 'evil.co.uk', 'accounts.good.co.uk', undefined],
    ['identical single labels match early', 'localhost', 'localhost', undefined],
  ];
  for (const [name, subject, issuer, want] of cases) {
    it(name, () => assert.equal(validateAllowedDomain(subject, issuer), want));
  }
});

describe('config/identity-issuer: subjectDomainProblem', () => {
  it('uri: needs a scheme equal to the issuer\'s and the issuer\'s top two labels', () => {
    assert.equal(subjectDomainProblem('uri', 'https://other.example.com', 'https://issuer.example.com'), undefined);
    assert.match(subjectDomainProblem('uri', 'other.example.com', 'https://issuer.example.com') ?? '', /must contain a scheme/);
    assert.match(subjectDomainProblem('uri', 'https://other.example.com', 'issuer.example.com') ?? '', /issuer URL .* must contain a scheme/);
    assert.match(subjectDomainProblem('uri', 'https://bad host', 'https://issuer.example.com') ?? '', /not a valid URL/);
  });

  it('username: no scheme, and the issuer host\'s top two labels', () => {
    assert.equal(subjectDomainProblem('username', 'other.example.com', 'https://issuer.example.com'), undefined);
    assert.equal(subjectDomainProblem('username', 'example.com', 'https://accounts.example.com:8443/path'), undefined);
    assert.match(subjectDomainProblem('username', 'https://other.example.com', 'https://issuer.example.com') ?? '', /must not contain a scheme/);
    assert.match(subjectDomainProblem('username', 'example.com:8080', 'https://issuer.example.com') ?? '', /must not contain a scheme/);
    assert.match(subjectDomainProblem('username', 'other.example.com', 'issuer.example.com') ?? '', /must contain a scheme/);
  });
});

describe('config/identity-issuer: Fulcio TestValidateConfig rules, with locations', () => {
  const SD = 'OIDCIssuers["https://issuer.example.com"].SubjectDomain';
  const uri = (SubjectDomain?: string, IssuerURL = 'https://issuer.example.com') => ({ IssuerURL, ClientID: 'foo', Type: 'uri', SubjectDomain });
  const username = (SubjectDomain?: string, IssuerURL = 'https://issuer.example.com') => ({ IssuerURL, ClientID: 'foo', Type: 'username', SubjectDomain });
  const K = 'https://issuer.example.com';

  it('good uri config', () => assert.deepEqual(one(K, uri('https://other.example.com')), []));
  it('uri issuer requires a subject domain', () => assert.deepEqual(one(K, uri()), [`${SD}: required for uri issuers`]));
  it('uri subject domain should contain scheme', () =>
    assert.deepEqual(one(K, uri('other.example.com')), [`${SD}: "other.example.com" must contain a scheme for uri issuers`]));
  it('uri issuer and subject domains must have same top-level hostname', () =>
    assert.deepEqual(one(K, uri('https://different.com')), [
      `${SD}: hostname top-level and second-level domains do not match: different.com, issuer.example.com`,
    ]));
  it('uri issuer and subject domains must have same scheme', () =>
    assert.deepEqual(one(K, uri('http://issuer.example.com')), [`${SD}: subject (http) and issuer (https) URI schemes do not match`]));
  it('uri issuer url should contain scheme', () => {
    const problems = one(K, uri('https://other.example.com', 'issuer.example.com'));
    assert.ok(problems.includes(`${SD}: the issuer URL "issuer.example.com" must contain a scheme`), problems.join('\n'));
  });

  it('good username config', () => assert.deepEqual(one(K, username('other.example.com')), []));
  it('username issuer requires a subject domain', () => assert.deepEqual(one(K, username()), [`${SD}: required for username issuers`]));
  it('username subject domain should not contain scheme', () =>
    assert.deepEqual(one(K, username('https://other.example.com')), [
      `${SD}: "https://other.example.com" must not contain a scheme for username issuers`,
    ]));
  it('username issuer and subject domains must have same top-level hostname', () =>
    assert.deepEqual(one(K, username('different.com')), [
      `${SD}: hostname top-level and second-level domains do not match: different.com, issuer.example.com`,
    ]));

  it('spells the location with YAML keys in YAML files', () => {
    const yaml = 'oidc-issuers:\n  https://issuer.example.com:\n    client-id: foo\n    type: username\n    subject-domain: other.org\n';
    assert.throws(() => parseIdentityConfig(yaml, 'x.yaml'),
      /oidc-issuers\["https:\/\/issuer\.example\.com"\]\.subject-domain: hostname top-level and second-level domains do not match: other\.org, issuer\.example\.com/);
  });

  it('holds meta issuers to the same rule against their pattern\'s host', () => {
    assert.deepEqual(problemsOf({ MetaIssuers: { 'https://*.example.com': { ClientID: 'c', Type: 'username', SubjectDomain: 'example.com' } } }), []);
    assert.deepEqual(problemsOf({ MetaIssuers: { 'https://*.example.com': { ClientID: 'c', Type: 'uri', SubjectDomain: 'https://users.example.com' } } }), []);
    assert.deepEqual(problemsOf({ MetaIssuers: { 'https://*.example.com': { ClientID: 'c', Type: 'username', SubjectDomain: 'evil.com' } } }), [
      'MetaIssuers["https://*.example.com"].SubjectDomain: hostname top-level and second-level domains do not match: evil.com, *.example.com',
    ]);
    assert.equal(problemsOf({ MetaIssuers: { 'https://oidc.*.com': { ClientID: 'c', Type: 'username', SubjectDomain: 'evil.com' } } }).length, 1);
  });

  it('validates the SPIFFE trust domain as go-spiffe TrustDomainFromString does', () => {
    const spiffe = (SPIFFETrustDomain: string) => ({ IssuerURL: K, ClientID: 'foo', Type: 'spiffe', SPIFFETrustDomain });
    assert.deepEqual(one(K, spiffe('example.com')), []);
    assert.deepEqual(one(K, spiffe('spiffe://example.com')), []);
    assert.deepEqual(one(K, spiffe('spiffe://example.com/ignored/path')), []);
    for (const bad of ['invalid#domain', 'Example.com', 'spiffe://', 'spiffe://example.com/', 'spiffe:/example.com']) {
      const problems = one(K, spiffe(bad));
      assert.equal(problems.length, 1, bad);
      assert.ok(problems[0]?.startsWith(`OIDCIssuers["${K}"].SPIFFETrustDomain: "${bad}" is not a valid SPIFFE trust domain (`), problems[0]);
    }
  });
});
