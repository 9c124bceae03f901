// Fulcio's own pkg/config/fulcio_config_test.go, against the shipped config/identity/config.yaml (unchanged copy).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { findIssuer } from '../../../oidc/issuer-routing.js';
import { loadIdentityConfig, parseIdentityConfig } from '../../../oidc/identity-compile.js';

const FULCIO_CONFIG = '/work/shared/fixtures/fulcio-identity-config.yaml';

describe("config: Fulcio's shipped identity config", () => {
  const cfg = loadIdentityConfig(FULCIO_CONFIG);

  it('loads unchanged, with aliases as mapping keys, and no warnings', () => {
    assert.ok(readFileSync(FULCIO_CONFIG, 'utf8').includes('\n  *github-type:\n'), 'the fixture still uses alias keys');
    assert.equal(cfg.oidcIssuers.size, 22);
    assert.equal(cfg.metaIssuers.length, 9);
    assert.deepEqual(Object.keys(cfg.ciIssuerMetadata), ['github-workflow', 'gitlab-pipeline', 'codefresh-workflow', 'buildkite-job', 'circleci-job', 'buddy-pipeline']);
    assert.deepEqual(cfg.warnings, []);
  });

  it('gives every ci-provider issuer (exact and meta) its compiled metadata with a SAN template', () => {
    const ci = [...cfg.oidcIssuers.values(), ...cfg.metaIssuers.map((m) => m.config)].filter((c) => c.type === 'ci-provider');
    assert.equal(ci.length, 16);
    for (const issuer of ci) {
      assert.equal(issuer.ci?.name, issuer.ciProvider, issuer.issuerUrl);
      assert.ok(issuer.ci?.san !== undefined, issuer.issuerUrl);
    }
    const count = (name: string) => cfg.oidcIssuers.get(name)?.ci?.extensions.length;
    assert.equal(count('https://token.actions.githubusercontent.com'), 20);
    assert.equal(count('https://gitlab.com'), 15);
    assert.equal(count('https://oidc.codefresh.io'), 6);
    assert.equal(count('https://agent.buildkite.com'), 4);
    assert.equal(count('https://oidc.circleci.com'), 6);
    assert.equal(count('https://oidc.buddyusercontent.com'), 8);
  });

  it('resolves every wildcard with * replaced by a label, carrying type and metadata', () => {
    for (const meta of cfg.metaIssuers) {
      const iss = meta.pattern.replaceAll('*', 'foo');
      const found = findIssuer(cfg, iss);
      assert.equal(found?.issuerUrl, iss);
      assert.equal(found?.type, meta.config.type);
      assert.equal(found?.ci, meta.config.ci);
    }
  });

  it('is read the same from its JSON spelling', () => {
    // Fulcio's JSON keys for the same data: Go field names.
    const yaml = cfg.ciIssuerMetadata as Record<string, Record<string, unknown>>;
    const gh = yaml['github-workflow'] as Record<string, Record<string, string>>;
    const goName = (k: string) => k.split('-').map((w) => (['uri', 'sha'].includes(w) ? w.toUpperCase() : w[0]!.toUpperCase() + w.slice(1))).join('');
    const json = {
      OIDCIssuers: { 'https://token.actions.githubusercontent.com': { ClientID: 'sigstore', Type: 'ci-provider', CIProvider: 'github-workflow' } },
      CIIssuerMetadata: {
        'github-workflow': {
          DefaultTemplateValues: gh['default-template-values'],
          ExtensionTemplates: Object.fromEntries(Object.entries(gh['extension-templates']!).map(([k, v]) => [goName(k), v])),
          SubjectAlternativeNameTemplate: gh['subject-alternative-name-template'],
        },
      },
    };
    const fromJson = parseIdentityConfig(JSON.stringify(json));
    assert.deepEqual(fromJson.warnings, []);
    const strip = (c: typeof cfg) => {
      const ci = c.oidcIssuers.get('https://token.actions.githubusercontent.com')!.ci!;
      return { defaults: ci.defaults, san: ci.san?.source, ext: ci.extensions.map((e) => [e.field, e.value.source]) };
    };
    assert.deepEqual(strip(fromJson), strip(cfg));
  });
});
