import assert from 'node:assert/strict';
import { type CiProvider } from '../../../oidc/identity-config.js';
import { compileCiIssuerMetadata } from '../../../oidc/ci-compile.js';
import { findIssuer } from '../../../oidc/issuer-routing.js';
import { parseIdentityConfig } from '../../../oidc/identity-compile.js';
import { parseYamlConfig, separateAliasKeys } from '../../../config/yaml-alias-keys.js';

const compile = (raw: Record<string, unknown>, flavor: 'json' | 'yaml' = 'yaml') => {
  const problems: string[] = [];
  const warnings: string[] = [];
  const where = flavor === 'json' ? 'CIIssuerMetadata' : 'ci-issuer-metadata';
  const out = compileCiIssuerMetadata(raw, { flavor, where, problems, warnings });
  return { out, problems, warnings };
};

/** Comparable form: templates become their sources. */
const plain = (p: CiProvider | undefined) =>
  p && {
    name: p.name,
    defaults: p.defaults,
    san: p.san && { kind: p.san.kind, source: p.san.source },
    extensions: p.extensions.map((e) => ({ field: e.field, kind: e.value.kind, source: e.value.source })),
  };

const YAML_GH = {
  'default-template-values': { url: 'https://github.com', environment: '' },
  'extension-templates': {
    'github-workflow-trigger': 'event_name',
    'build-signer-uri': '{{ .url }}/{{ .job_workflow_ref }}',
    'source-repository-visibility-at-signing': 'repository_visibility',
    'deployment-environment': 'environment',
  },
  'subject-alternative-name-template': '{{ .url }}/{{ .job_workflow_ref }}',
};
const JSON_GH = {
  DefaultTemplateValues: { url: 'https://github.com', environment: '' },
  ExtensionTemplates: {
    GithubWorkflowTrigger: 'event_name',
    BuildSignerURI: '{{ .url }}/{{ .job_workflow_ref }}',
    SourceRepositoryVisibilityAtSigning: 'repository_visibility',
    deploymentenvironment: 'environment', // encoding/json matches field names case-insensitively
  },
  SubjectAlternativeNameTemplate: '{{ .url }}/{{ .job_workflow_ref }}',
};

describe('config/ci-metadata: compileCiIssuerMetadata', () => {
  it('reads the YAML and JSON spellings to the same compiled provider', () => {
    const y = compile({ 'github-workflow': YAML_GH });
    const j = compile({ 'github-workflow': JSON_GH }, 'json');
    assert.deepEqual([y.problems, y.warnings, j.problems, j.warnings], [[], [], [], []]);
    assert.deepEqual(plain(y.out.get('github-workflow')), plain(j.out.get('github-workflow')));
    assert.deepEqual(plain(y.out.get('github-workflow')), {
      name: 'github-workflow',
      defaults: { url: 'https://github.com', environment: '' },
      san: { kind: 'template', source: '{{ .url }}/{{ .job_workflow_ref }}' },
      extensions: [
        { field: 'githubWorkflowTrigger', kind: 'claim', source: 'event_name' },
        { field: 'buildSignerUri', kind: 'template', source: '{{ .url }}/{{ .job_workflow_ref }}' },
        { field: 'sourceRepositoryVisibilityAtSigning', kind: 'claim', source: 'repository_visibility' },
        { field: 'deploymentEnvironment', kind: 'claim', source: 'environment' },
      ],
    });
  });

  it('records every template problem with its location', () => {
    const { out, problems } = compile({
      'github-workflow': {
        'extension-templates': { 'build-signer-uri': '{{ .url }/{{ .job_workflow_ref }}', 'build-trigger': '{{ nosuch .x }}', issuer: '{{' },
        'subject-alternative-name-template': '{{}}',
      },
      ok: { 'subject-alternative-name-template': 'sub' },
    });
    assert.deepEqual(problems, [
      'ci-issuer-metadata["github-workflow"].extension-templates.issuer: template: unclosed action (at 1:1)',
      'ci-issuer-metadata["github-workflow"].extension-templates.build-signer-uri: template: unexpected "}" in action (at 1:9)',
      'ci-issuer-metadata["github-workflow"].extension-templates.build-trigger: template: function "nosuch" not defined (at 1:4)',
      'ci-issuer-metadata["github-workflow"].subject-alternative-name-template: template: missing value for command (at 1:3)',
    ]);
    assert.deepEqual([...out.keys()], ['ok'], 'a provider with problems is left out');
  });

  it('records shape problems: non-mappings, non-strings in JSON', () => {
    const { problems } = compile(
      {
        a: 'x',
        b: { DefaultTemplateValues: ['x'], ExtensionTemplates: { BuildSignerURI: 7 }, SubjectAlternativeNameTemplate: true },
        c: { DefaultTemplateValues: { n: 1 }, ExtensionTemplates: 'x' },
      },
      'json',
    );
    assert.deepEqual(problems, [
      'CIIssuerMetadata["a"]: must be a mapping',
      'CIIssuerMetadata["b"].DefaultTemplateValues: must be a mapping',
      'CIIssuerMetadata["b"].ExtensionTemplates.BuildSignerURI: must be a string',
      'CIIssuerMetadata["b"].SubjectAlternativeNameTemplate: must be a string',
      'CIIssuerMetadata["c"].DefaultTemplateValues["n"]: must be a string',
      'CIIssuerMetadata["c"].ExtensionTemplates: must be a mapping',
    ]);
  });

  it('decodes YAML scalars into strings as yaml.v3 does', () => {
    const { out, problems } = compile({ p: { 'default-template-values': { port: 8080, on: true, none: null }, 'subject-alternative-name-template': 'x' } });
    assert.deepEqual(problems, []);
    assert.deepEqual(out.get('p')?.defaults, { port: '8080', on: 'true', none: '' });
  });

  it('parse-checks Issuer and Subject templates but never applies them; skips blank templates', () => {
    const { out, problems } = compile({
      p: { 'extension-templates': { issuer: '{{ .x }}', subject: 'sub', 'build-trigger': '   ', 'run-invocation-uri': 'x' }, 'subject-alternative-name-template': 'x' },
    });
    assert.deepEqual(problems, []);
    assert.deepEqual(out.get('p')?.extensions.map((e) => e.field), ['runInvocationUri']);
  });

  it('warns about keys Fulcio would ignore: the other spelling, unknown keys, a blank SAN template', () => {
    const { out, warnings, problems } = compile({ p: { 'default-template-values': { a: 'b' }, ExtensionTemplates: {}, 'extension-templates': { 'build-signer-url': 'x' } } });
    assert.deepEqual(problems, []);
    assert.deepEqual(warnings, [
      'ci-issuer-metadata["p"].ExtensionTemplates: ignored: "ExtensionTemplates" is the JSON spelling; YAML files use "extension-templates"',
      'ci-issuer-metadata["p"].extension-templates.build-signer-url: ignored: unknown key',
      'ci-issuer-metadata["p"].subject-alternative-name-template: blank; every token from a ci-provider issuer using "p" will be refused',
    ]);
    assert.equal(out.get('p')?.san, undefined);
  });
});

describe('config/identity: ci-provider issuers get their compiled metadata', () => {
  const ISSUERS = {
    OIDCIssuers: { 'https://ci.example.com': { ClientID: 'sigstore', Type: 'ci-provider', CIProvider: 'github-workflow' } },
    MetaIssuers: { 'https://ci.example.com/*': { ClientID: 'sigstore', Type: 'ci-provider', CIProvider: 'github-workflow' } },
  };

  it('attaches IssuerConfig.ci to OIDCIssuers and MetaIssuers, and findIssuer carries it', () => {
    const cfg = parseIdentityConfig(JSON.stringify({ ...ISSUERS, CIIssuerMetadata: { 'github-workflow': JSON_GH } }));
    assert.equal(cfg.oidcIssuers.get('https://ci.example.com')?.ci?.name, 'github-workflow');
    assert.equal(cfg.metaIssuers[0]?.config.ci?.name, 'github-workflow');
    assert.equal(findIssuer(cfg, 'https://ci.example.com/tenant')?.ci?.san?.source, '{{ .url }}/{{ .job_workflow_ref }}');
  });

  it('refuses a ci-provider issuer whose metadata is missing, or with no CIProvider, with locations', () => {
    const text = JSON.stringify({
      OIDCIssuers: {
        ...ISSUERS.OIDCIssuers,
        'https://none.example.com': { ClientID: 'sigstore', Type: 'ci-provider' },
      },
      MetaIssuers: ISSUERS.MetaIssuers,
      CIIssuerMetadata: { other: JSON_GH },
    });
    assert.throws(() => parseIdentityConfig(text, 'ci.json'), (e: unknown) => {
      const m = (e as Error).message;
      return (
        m.includes('  - OIDCIssuers["https://ci.example.com"].CIProvider: "github-workflow" has no entry in CIIssuerMetadata') &&
        m.includes('  - OIDCIssuers["https://none.example.com"].CIProvider: required for ci-provider issuers') &&
        m.includes('  - MetaIssuers["https://ci.example.com/*"].CIProvider: "github-workflow" has no entry in CIIssuerMetadata') &&
        m.split('\n').length === 4
      );
    });
  });

  it('reports template problems through parseIdentityConfig with YAML locations', () => {
    const yaml = [
      'oidc-issuers:',
      '  https://ci.example.com:',
      '    client-id: sigstore',
      '    type: ci-provider',
      '    ci-provider: github-workflow',
      'ci-issuer-metadata:',
      '  github-workflow:',
      '    extension-templates:',
      '      build-signer-uri: "{{ .url }/x"',
      '    subject-alternative-name-template: "{{ .url }}"',
    ].join('\n');
    assert.throws(
      () => parseIdentityConfig(yaml, 'ci.yaml'),
      /ci-issuer-metadata\["github-workflow"\]\.extension-templates\.build-signer-uri: template: unexpected "}"/,
    );
  });
});

describe('config/yaml-alias-keys: aliases as mapping keys', () => {
  const DOC = ['define:', '  - &gh "github-workflow"', 'meta:', '  key: *gh', 'ci:', '  *gh:', '    a: 1', '  other: *gh', ''].join('\n');

  it('reads `*anchor:` as an alias key, as yaml.v3 does, changing nothing else', () => {
    assert.deepEqual(parseYamlConfig(DOC), { define: ['github-workflow'], meta: { key: 'github-workflow' }, ci: { 'github-workflow': { a: 1 }, other: 'github-workflow' } });
    assert.equal(separateAliasKeys(DOC), DOC.replace('  *gh:', '  *gh :'));
  });

  it('leaves an alias whose name really ends in ":" alone', () => {
    assert.deepEqual(parseYamlConfig('a: &x: 1\nb: *x:\n'), { a: 1, b: 1 });
  });

  it('refuses duplicate keys that only appear once aliases are resolved', () => {
    assert.throws(() => parseYamlConfig(`${DOC}  *gh:\n    b: 2\n`), /Map keys must be unique; "github-workflow" is repeated through an alias at line 9/);
    assert.throws(() => parseYamlConfig(`${DOC}  github-workflow: {}\n`), /Map keys must be unique/);
    assert.throws(() => parseYamlConfig('a: 1\na: 2\n'), /Map keys must be unique/);
  });

  it('keeps merge keys and single-document checks', () => {
    assert.deepEqual(parseYamlConfig('d: &d {x: 1}\ne:\n  <<: *d\n  y: 2\n'), { d: { x: 1 }, e: { x: 1, y: 2 } });
    assert.throws(() => parseYamlConfig('a: 1\n---\nb: 2\n'), /multiple documents/);
    assert.throws(() => parseYamlConfig('a: *nope\n'), /nope/);
  });
});
