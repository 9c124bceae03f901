import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { type IdentityConfig, type IssuerConfig } from '../../../oidc/identity-config.js';
import { challengeClaimFor, findIssuer } from '../../../oidc/issuer-routing.js';
import { loadIdentityConfig, parseIdentityConfig } from '../../../oidc/identity-compile.js';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../../../../test/fixtures/identity/${name}`, import.meta.url));
const FULCIO_CONFIG = '/work/shared/fixtures/fulcio-identity-config.yaml';

/** Comparable form: regexes become their sources, compiled ci-provider metadata its provider name. */
const withoutCi = ({ ci, ...rest }: IssuerConfig): unknown => ({ ...rest, ...(ci ? { ci: ci.name } : {}) });
const plain = (cfg: IdentityConfig): unknown => ({
  oidcIssuers: [...cfg.oidcIssuers.entries()].map(([k, v]) => [k, withoutCi(v)]),
  metaIssuers: cfg.metaIssuers.map((m) => ({ ...m, regex: m.regex.source, config: withoutCi(m.config) })),
  ciIssuerMetadata: cfg.ciIssuerMetadata,
});

const json = (doc: unknown): string => JSON.stringify(doc);
const problemsOf = (text: string): string => {
  try {
    parseIdentityConfig(text, 'test.json');
  } catch (e) {
    return (e as Error).message;
  }
  assert.fail('expected the config to be rejected');
};

describe('config/identity: parseIdentityConfig', () => {
  it('parses the JSON and YAML spellings to the same IdentityConfig', () => {
    const fromJson = loadIdentityConfig(fixture('identity.json'));
    const fromYaml = loadIdentityConfig(fixture('identity.yaml'));
    // The compiled ci metadata is compared by name only: identity.json spells its CIIssuerMetadata fields the YAML
    // way, which Fulcio's JSON decoding ignores (and Fulgor warns about); see test/unit/config/ci-metadata.spec.ts.
    assert.deepEqual(plain(fromYaml), plain(fromJson));
    assert.equal(fromJson.oidcIssuers.size, 6);
    assert.equal(fromJson.metaIssuers.length, 2);
  });

  it('reads every field under its Fulcio name', () => {
    const cfg = loadIdentityConfig(fixture('identity.json'));
    assert.deepEqual(cfg.oidcIssuers.get('https://accounts.google.com'), {
      issuerUrl: 'https://accounts.google.com',
      clientId: 'sigstore',
      type: 'email',
      contact: 'tac@sigstore.dev',
      description: 'Google OIDC auth',
    });
    assert.equal(cfg.oidcIssuers.get('https://oauth2.sigstore.dev/auth')?.issuerClaim, '$.federated_claims.connector_id');
    assert.equal(cfg.oidcIssuers.get('https://spiffe.example.com')?.spiffeTrustDomain, 'example.com');
    assert.equal(cfg.oidcIssuers.get('https://gitlab.com')?.environment, 'production');
    const dex = cfg.oidcIssuers.get('https://dex.example.com');
    assert.equal(dex?.skipEmailVerification, true);
    assert.equal(dex?.challengeClaim, 'email');
    assert.deepEqual(withoutCi(cfg.metaIssuers[1]!.config), {
      issuerUrl: 'https://token.actions.githubusercontent.com/*',
      clientId: 'sigstore',
      type: 'ci-provider',
      ciProvider: 'github-workflow',
      ci: 'github-workflow',
    });
    assert.deepEqual(Object.keys(cfg.ciIssuerMetadata), ['github-workflow']);
  });

  it('ignores unknown keys at the top level and inside issuers', () => {
    const cfg = parseIdentityConfig(
      json({ define: ['x'], OIDCIssuers: { 'https://x': { IssuerURL: 'https://x', ClientID: 'c', Type: 'email', Extra: 1 } } }),
    );
    assert.deepEqual(cfg.oidcIssuers.get('https://x'), { issuerUrl: 'https://x', clientId: 'c', type: 'email' });
  });

  it('matches JSON keys case-insensitively, as encoding/json does', () => {
    const cfg = parseIdentityConfig(json({ oidcissuers: { 'https://x': { issuerurl: 'https://x', clientid: 'c', type: 'email' } } }));
    assert.equal(cfg.oidcIssuers.get('https://x')?.clientId, 'c');
  });

  it('uses the map key when IssuerURL is absent, and warns when they differ', () => {
    const cfg = parseIdentityConfig(
      json({
        OIDCIssuers: {
          'https://a': { ClientID: 'c', Type: 'email' },
          'https://b': { IssuerURL: 'https://b2', ClientID: 'c', Type: 'email' },
        },
      }),
    );
    assert.equal(cfg.oidcIssuers.get('https://a')?.issuerUrl, 'https://a');
    assert.equal(cfg.oidcIssuers.get('https://b')?.issuerUrl, 'https://b2');
    assert.equal(cfg.warnings?.length, 1);
    assert.match(cfg.warnings?.[0] ?? '', /OIDCIssuers\["https:\/\/b"\]\.IssuerURL/);
  });

  it('accepts an unknown type when ChallengeClaim is set (Fulcio rule), but never routes to it', () => {
    const cfg = parseIdentityConfig(json({ OIDCIssuers: { 'https://x': { ClientID: 'c', Type: 'magic', ChallengeClaim: 'sub' } } }));
    assert.equal(cfg.oidcIssuers.size, 1);
    assert.equal(findIssuer(cfg, 'https://x'), undefined);
  });

  it('lists every problem with its location', () => {
    const message = problemsOf(
      json({
        OIDCIssuers: {
          'https://x': { IssuerURL: 'https://x', Type: 'email' },
          'https://y': { ClientID: 'c', Type: 'github-workflow', IssuerClaim: '$.foo' },
          'https://z': { ClientID: 'c', Type: 'spiffe' },
          'https://w': { ClientID: 'c', Type: 'magic' },
          'https://v': { ClientID: 'c' },
          'not a url': { ClientID: 'c', Type: 'email' },
          'https://u': { ClientID: 'c', Type: 'spiffe', SPIFFETrustDomain: 'Bad Domain' },
          'https://t': { ClientID: 7, Type: 'email', SkipEmailVerification: 'yes' },
          'https://s': { ClientID: 'c', Type: 'email', CACert: 'not a pem' },
          'https://r': { ClientID: 'c', Type: 'email', IssuerClaim: 'federated_claims' },
          'https://q': { ClientID: 'c', Type: 'username' },
        },
        MetaIssuers: {
          'https://*.example.com': { ClientID: 'c', Type: 'spiffe', SPIFFETrustDomain: 'example.com' },
          'https://*.example.org': { Type: 'email' },
        },
      }),
    );
    const expected = [
      'OIDCIssuers["https://x"].ClientID: required',
      'OIDCIssuers["https://y"].IssuerClaim: only email issuers can use issuer claim mapping',
      'OIDCIssuers["https://z"].SPIFFETrustDomain: required for spiffe issuers',
      'OIDCIssuers["https://w"].Type: unknown issuer type "magic"',
      'OIDCIssuers["https://v"].Type: required',
      'OIDCIssuers["not a url"].IssuerURL: "not a url" is not a valid URL',
      'OIDCIssuers["https://u"].SPIFFETrustDomain: "Bad Domain" is not a valid SPIFFE trust domain',
      'OIDCIssuers["https://t"].ClientID: must be a string',
      'OIDCIssuers["https://t"].SkipEmailVerification: must be true or false',
      'OIDCIssuers["https://s"].CACert: does not hold a parseable PEM certificate',
      'OIDCIssuers["https://r"].IssuerClaim: JSONPath "federated_claims" must start with "$"',
      'OIDCIssuers["https://q"].SubjectDomain: required for username issuers',
      'MetaIssuers["https://*.example.com"].Type: SPIFFE meta issuers are not supported',
      'MetaIssuers["https://*.example.org"].ClientID: required',
    ];
    assert.match(message, /^test\.json: invalid identity config:/);
    for (const line of expected) assert.ok(message.includes(`  - ${line}`), `missing "${line}" in:\n${message}`);
    assert.equal(message.split('\n').length - 1, expected.length);
  });

  it('spells locations with YAML keys for YAML files', () => {
    assert.throws(
      () => parseIdentityConfig('oidc-issuers:\n  https://x:\n    type: email\n', 'x.yaml'),
      /oidc-issuers\["https:\/\/x"\]\.client-id: required/,
    );
  });

  it('decodes YAML as yaml.v3 does: scalars into strings, 1.1 booleans, merge keys', () => {
    const cfg = parseIdentityConfig(
      [
        'defaults: &defaults',
        '  client-id: 12345',
        '  type: email',
        'oidc-issuers:',
        '  https://x:',
        '    <<: *defaults',
        '    skip-email-verification: yes',
      ].join('\n'),
      'merge.yaml',
    );
    assert.deepEqual(cfg.oidcIssuers.get('https://x'), {
      issuerUrl: 'https://x',
      clientId: '12345',
      type: 'email',
      skipEmailVerification: true,
    });
  });

  it('rejects text that is neither JSON nor YAML, and non-mapping sections', () => {
    assert.throws(() => parseIdentityConfig('a: [1', 'bad.yaml'), /bad\.yaml: identity config is neither valid JSON nor valid YAML/);
    assert.throws(() => parseIdentityConfig(json({ OIDCIssuers: [] })), /OIDCIssuers: must be a mapping/);
  });

  it('parses Fulcio\'s shipped config unchanged (aliases as mapping keys)', () => {
    // More in test/unit/config/fulcio-config.spec.ts.
    const cfg = loadIdentityConfig(FULCIO_CONFIG);
    assert.ok(cfg.oidcIssuers.size >= 15);
    assert.equal(cfg.oidcIssuers.get('https://token.actions.githubusercontent.com')?.ciProvider, 'github-workflow');
    assert.equal(cfg.oidcIssuers.get('https://token.actions.githubusercontent.com')?.ci?.name, 'github-workflow');
    assert.equal(cfg.oidcIssuers.get('https://oauth2.sigstore.dev/auth')?.issuerClaim, '$.federated_claims.connector_id');
    assert.equal(findIssuer(cfg, 'https://oidc.eks.us-west-2.amazonaws.com/id/B02C93B6A2D30341AD01E1B6D48164CB')?.type, 'kubernetes');
    assert.ok('github-workflow' in cfg.ciIssuerMetadata);
  });
});

describe('config/identity: findIssuer', () => {
  const cfg = loadIdentityConfig(fixture('identity.json'));

  it('finds an OIDCIssuers entry by exact key', () => {
    assert.equal(findIssuer(cfg, 'https://accounts.google.com')?.type, 'email');
    assert.equal(findIssuer(cfg, 'https://accounts.google.com/'), undefined);
    assert.equal(findIssuer(cfg, 'https://unknown.example.com'), undefined);
  });

  it('prefers an exact entry over a meta issuer', () => {
    assert.equal(findIssuer(cfg, 'https://token.actions.githubusercontent.com')?.type, 'github-workflow');
  });

  it('makes a meta match concrete, without SPIFFETrustDomain, ChallengeClaim or metadata', () => {
    const text = json({
      MetaIssuers: {
        'https://*.example.com': {
          ClientID: 'c', Type: 'email', IssuerClaim: '$.x', SkipEmailVerification: true, ChallengeClaim: 'email',
          Description: 'd', Contact: 'e', SubjectDomain: 'example.com', CIProvider: 'p',
        },
      },
    });
    assert.deepEqual(findIssuer(parseIdentityConfig(text), 'https://a.example.com'), {
      issuerUrl: 'https://a.example.com',
      clientId: 'c',
      type: 'email',
      issuerClaim: '$.x',
      subjectDomain: 'example.com',
      ciProvider: 'p',
      skipEmailVerification: true,
    });
  });

  it('tries meta issuers in order', () => {
    const found = findIssuer(cfg, 'https://token.actions.githubusercontent.com/enterprise');
    assert.deepEqual(withoutCi(found!), {
      issuerUrl: 'https://token.actions.githubusercontent.com/enterprise',
      clientId: 'sigstore',
      type: 'ci-provider',
      ciProvider: 'github-workflow',
      ci: 'github-workflow',
    });
  });
});

describe('config/identity: challengeClaimFor', () => {
  const base = { issuerUrl: 'https://x', clientId: 'c' } as const;
  it('uses the configured claim, else email for email issuers, else sub', () => {
    assert.equal(challengeClaimFor({ ...base, type: 'email' }), 'email');
    assert.equal(challengeClaimFor({ ...base, type: 'github-workflow' }), 'sub');
    assert.equal(challengeClaimFor({ ...base, type: 'kubernetes' }), 'sub');
    assert.equal(challengeClaimFor({ ...base, type: 'email', challengeClaim: 'preferred_username' }), 'preferred_username');
  });
});
