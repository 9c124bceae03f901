import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CertificateIdentity, SubjectAltNameValue } from '../../../lib/certificate-identity.js';
import { fieldValues, loadWatchRules, parseWatchRules, ruleFinding, type WatchRules } from '../../../monitor/rules.js';

const GH = 'https://token.actions.githubusercontent.com';

function identity(o: { sans?: SubjectAltNameValue[]; ext?: Record<string, string>; byOid?: Record<string, string> }): CertificateIdentity {
  const sans = o.sans ?? [];
  const extensions = o.ext ?? {};
  return {
    serial: '01',
    notBefore: new Date(0),
    notAfter: new Date(600_000),
    sans,
    san: sans[0]?.value,
    issuer: extensions.issuer,
    extensions,
    extensionsByOid: o.byOid ?? {},
    keyFingerprint: '00',
  };
}

const workflow = (repo: string, ref: string) =>
  identity({
    sans: [{ type: 'uri', value: `https://github.com/${repo}/.github/workflows/release.yml@${ref}` }],
    ext: { issuer: GH, sourceRepositoryUri: `https://github.com/${repo}`, sourceRepositoryRef: ref },
    byOid: { '1.3.6.1.4.1.57264.1.8': GH, '1.3.6.1.4.1.57264.1.12': `https://github.com/${repo}`, '1.3.6.1.4.1.57264.1.14': ref },
  });
const emailId = (address: string) => identity({ sans: [{ type: 'email', value: address }], ext: { issuer: 'https://accounts.example' } });

function parse(doc: unknown, flavor: 'json' | 'yaml' = 'json'): { rules?: WatchRules; problems: string[] } {
  const problems: string[] = [];
  const rules = parseWatchRules(doc, flavor, problems);
  return { ...(rules ? { rules } : {}), problems };
}

function rule(doc: unknown) {
  const { rules, problems } = parse({ rules: [doc] });
  assert.deepEqual(problems, []);
  return rules!.rules[0]!;
}

describe('monitor/rules', () => {
  it('"repository acme/* from a ref that is not main or a v* tag": match and unless', () => {
    const r = rule({
      name: 'refs',
      match: { sourceRepositoryUri: ['https://github.com/acme/*'] },
      unless: { sourceRepositoryRef: ['refs/heads/main', 'refs/tags/v*'] },
    });
    assert.equal(ruleFinding(r, workflow('acme/app', 'refs/heads/main')), undefined);
    assert.equal(ruleFinding(r, workflow('acme/app', 'refs/tags/v1.0.0')), undefined);
    assert.equal(ruleFinding(r, workflow('other/app', 'refs/heads/evil')), undefined, 'another owner');
    assert.equal(ruleFinding(r, workflow('acme/app/nested', 'refs/heads/evil')), undefined, '* stops at /');
    assert.deepEqual(ruleFinding(r, workflow('acme/app', 'refs/heads/evil')), {
      sourceRepositoryUri: { value: 'https://github.com/acme/app', pattern: 'https://github.com/acme/*' },
    });
    assert.ok(ruleFinding(r, workflow('acme/app', 'refs/tags/release-1')), 'a tag that is not v*');
    // A certificate without the ref extension is not excused by `unless`.
    assert.ok(ruleFinding(r, identity({ ext: { sourceRepositoryUri: 'https://github.com/acme/app' } })));
  });

  it('"any email certificate for *@acme.example": san matches any SAN; regexes are RE2 and anchored', () => {
    const r = rule({ name: 'mail', match: { san: ['*@acme.example', '/^ops-[0-9]+@acme\\.dev$/'] } });
    assert.ok(ruleFinding(r, emailId('dev@acme.example')));
    assert.ok(ruleFinding(r, emailId('ops-7@acme.dev')));
    assert.equal(ruleFinding(r, emailId('dev@acme.example.evil')), undefined);
    assert.equal(ruleFinding(r, emailId('ops-x@acme.dev')), undefined);
    const two = identity({ sans: [{ type: 'dns', value: 'a.example' }, { type: 'email', value: 'b@acme.example' }] });
    assert.deepEqual(ruleFinding(r, two), { san: { value: 'b@acme.example', pattern: '*@acme.example' } });
    assert.deepEqual(fieldValues(two, 'san'), ['a.example', 'b@acme.example']);
  });

  it('fields by OID, and an expected-identities list (each identity an AND of its fields)', () => {
    const r = rule({
      name: 'expected',
      match: { '1.3.6.1.4.1.57264.1.12': ['https://github.com/acme/**'] },
      expected: [
        { san: ['https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main'], issuer: [GH] },
        { sourceRepositoryRef: ['refs/tags/v*'], '1.3.6.1.4.1.57264.1.8': [GH] },
      ],
    });
    assert.equal(ruleFinding(r, workflow('acme/app', 'refs/heads/main')), undefined);
    assert.equal(ruleFinding(r, workflow('acme/lib', 'refs/tags/v2')), undefined);
    assert.ok(ruleFinding(r, workflow('acme/lib', 'refs/heads/main')), 'only acme/app is expected from main');
    assert.ok(ruleFinding(r, workflow('acme/app', 'refs/heads/dev')));
    const wrongIssuer = identity({
      sans: [{ type: 'uri', value: 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main' }],
      ext: { issuer: 'https://evil.example', sourceRepositoryUri: 'https://github.com/acme/app' },
      byOid: { '1.3.6.1.4.1.57264.1.12': 'https://github.com/acme/app' },
    });
    assert.ok(ruleFinding(r, wrongIssuer), 'the expected SAN from another issuer is not the expected identity');
  });

  it('load errors name the rule and the problem', () => {
    const cases: [unknown, RegExp][] = [
      [{ rules: [{ name: 'x', match: { sourceRepoUri: ['a'] } }] }, /rules\[0\] \("x"\)\.match: unknown field "sourceRepoUri"/],
      [{ rules: [{ name: 'x', match: { '1.2.3': ['a'] } }] }, /unknown field "1\.2\.3"/],
      [{ rules: [{ name: 'x', match: { san: ['/^(a$/'] } }] }, /rules\[0\] \("x"\)\.match\.san\[0\]: regex .* does not compile/],
      [{ rules: [{ name: 'x', match: { san: ['/^a(?=b)$/'] } }] }, /RE2\) does not support/],
      [{ rules: [{ name: 'x', match: { san: [''] } }] }, /san\[0\]: empty pattern/],
      [{ rules: [{ name: 'x', match: { san: 'a' } }] }, /match\.san: must be a list of patterns/],
      [{ rules: [{ name: 'x', match: {} }] }, /match: lists no field/],
      [{ rules: [{ name: 'x' }] }, /rules\[0\] \("x"\)\.match: required/],
      [{ rules: [{ match: { san: ['a'] } }] }, /rules\[0\]\.name: required/],
      [{ rules: [{ name: 'x', match: { san: ['a'] }, except: {} }] }, /rules\[0\] \("x"\): unknown key "except"/],
      [{ rules: [{ name: 'x', match: { san: ['a'] }, unless: { ref: ['a'] } }] }, /\("x"\)\.unless: unknown field "ref"/],
      [{ rules: [{ name: 'x', match: { san: ['a'] }, expected: [] }] }, /\("x"\)\.expected: must be a non-empty list/],
      [{ rules: [{ name: 'x', match: { san: ['a'] }, expected: [{ sann: ['a'] }] }] }, /\("x"\)\.expected\[0\]: unknown field "sann"/],
      [{ rules: [{ name: 'x', match: { san: ['a'] } }, { name: 'x', match: { san: ['b'] } }] }, /rules\[1\]: duplicate rule name "x"/],
      [{ rules: [] }, /rules: must be a non-empty list/],
      [{ rule: [] }, /unknown top-level key "rule"/],
      [[], /must be a mapping/],
    ];
    for (const [doc, re] of cases) {
      const { rules, problems } = parse(doc);
      assert.equal(rules, undefined, JSON.stringify(doc));
      assert.match(problems.join('\n'), re, JSON.stringify(doc));
    }
  });

  it('reads YAML and JSON files; in YAML a number pattern is its text, in JSON patterns must be strings', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fulgor-rules-'));
    try {
      const yaml = join(dir, 'r.yaml');
      writeFileSync(yaml, 'rules:\n  - name: ids\n    match:\n      sourceRepositoryIdentifier: [123456789]\n');
      const r = loadWatchRules(yaml).rules[0]!;
      assert.ok(ruleFinding(r, identity({ ext: { sourceRepositoryIdentifier: '123456789' } })));
      const json = join(dir, 'r.json');
      writeFileSync(json, JSON.stringify({ rules: [{ name: 'ids', match: { sourceRepositoryIdentifier: [123456789] } }] }));
      assert.throws(() => loadWatchRules(json), /r\.json: 1 problem:\n {2}rules\[0\] \("ids"\)\.match\.sourceRepositoryIdentifier\[0\]: must be a string/);
      const broken = join(dir, 'broken.yaml');
      writeFileSync(broken, 'rules: [\n');
      assert.throws(() => loadWatchRules(broken), /neither valid JSON nor valid YAML/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
