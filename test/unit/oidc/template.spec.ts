import assert from 'node:assert/strict';
import { TemplateError, TemplateExecError, compileTemplate, goFloatF, goFloatV, goSprintV } from '../../../oidc/template/index.js';

const run = (src: string, data: Record<string, string>): string => compileTemplate(src).execute(data);

// Fulcio TestApplyTemplateOrReplace (fulcio.md §7.2 V12): claims over defaults, as the ci-provider merges them.
const DEFAULTS = { url: 'https://github.com', claim_foo: 'default', empty_value: '' };
const CLAIMS = {
  ref_type: 'branch',
  ref_gitlab: 'main',
  repository: 'sigstore/fulcio',
  run_id: '42',
  run_attempt: '1',
  claim_foo: 'bar',
  html_claim: '<alert()/>',
  aud: 'sigstore',
  'with.dot.and/slash': 'cat',
};
const DATA = { ...DEFAULTS, ...CLAIMS };

describe('oidc/template: Go text/template subset', () => {
  describe("Fulcio's V12 table", () => {
    const table: [string, string][] = [
      ['{{ .url }}/{{ .repository }}/actions/runs/{{ .run_id }}/attempts/{{ .run_attempt }}', 'https://github.com/sigstore/fulcio/actions/runs/42/attempts/1'],
      ['refs/{{if eq .ref_type "branch"}}heads/{{ else }}tags/{{end}}{{ .ref_gitlab }}', 'refs/heads/main'],
      ['{{ .claim_foo }}', 'bar'],
      ['{{ .empty_value }}/123', '/123'],
      ['{{ .html_claim }}', '<alert()/>'],
      ['{{ .aud }}/{{(index . "with.dot.and/slash")}}', 'sigstore/cat'],
    ];
    for (const [src, want] of table) it(`${src} → ${want}`, () => assert.equal(run(src, DATA), want));

    it('takes the else branch when the condition is false', () => {
      assert.equal(run('refs/{{if eq .ref_type "branch"}}heads/{{ else }}tags/{{end}}{{ .ref_gitlab }}', { ...DATA, ref_type: 'tag' }), 'refs/tags/main');
    });

    it('fails on a missing key (missingkey=error), naming it', () => {
      assert.throws(
        () => run('{{ .foo }}', DATA),
        (e: unknown) => e instanceof TemplateExecError && e.missingKey === 'foo' && /map has no entry for key "foo"/.test(e.message),
      );
    });

    it('refuses {{}} at compile time', () => {
      assert.throws(() => compileTemplate('{{}}'), (e: unknown) => e instanceof TemplateError && /missing value for command/.test(e.message));
    });
  });

  it('runs every construct the shipped config uses (index with dotted keys, if/else with a parenthesized index)', () => {
    const circle = '{{if eq (index . "oidc.circleci.com/ssh-rerun") "true"}}ssh-rerun{{ else }}""{{end}}';
    assert.equal(run(circle, { 'oidc.circleci.com/ssh-rerun': 'true' }), 'ssh-rerun');
    assert.equal(run(circle, { 'oidc.circleci.com/ssh-rerun': 'false' }), '""');
    assert.equal(run('{{index . "oidc.circleci.com/vcs-ref"}}', { 'oidc.circleci.com/vcs-ref': 'refs/heads/main' }), 'refs/heads/main');
    assert.equal(run('{{.platform_url}}/build/{{ .workflow_id }}', { platform_url: 'https://g.codefresh.io', workflow_id: 'w' }), 'https://g.codefresh.io/build/w');
  });

  it('gives the zero value for index of a missing key, as Go does (missingkey applies to fields only)', () => {
    assert.equal(run('[{{ index . "nope" }}]', {}), '[]');
    assert.equal(run('{{if eq (index . "nope") "true"}}y{{else}}n{{end}}', {}), 'n');
  });

  it('supports trim markers, comments, else if, pipes, and, or, not, ne, len, literals', () => {
    assert.equal(run('{{- "a" -}}  b  {{- "c" }} {{/* note */}}d', {}), 'abc d');
    assert.equal(run('{{ if .e }}1{{ else if .u }}2{{ else }}3{{ end }}', { e: '', u: 'x' }), '2');
    assert.equal(run('{{ .u | len }} {{ len .u }}', { u: 'héllo' }), '6 6');
    assert.equal(run('{{ and .u .e }}|{{ or .e .u }}|{{ not .e }}|{{ ne .u "x" }}', { u: 'x', e: '' }), '|x|true|false');
    assert.equal(run('{{ eq .u "a" "x" }} {{ 42 }} {{ 1.5 }} {{ 1e6 }} {{ true }} {{ `raw\\n` }} {{ "q\\t" }}', { u: 'x' }), 'true 42 1.5 1e+06 true raw\\n q\t');
    assert.equal(run('{{ . }}', { b: '2', a: '1' }), 'map[a:1 b:2]');
  });

  it('reports run-time type errors with the expression and the key read', () => {
    assert.throws(() => run('{{ .u.x }}', { u: 's' }), (e: unknown) => e instanceof TemplateExecError && e.key === 'u' && /can't evaluate field x in type string/.test(e.message));
    assert.throws(() => run('{{ eq .u 1 }}', { u: 's' }), /at <eq \.u 1>.*incompatible types for comparison/);
    assert.throws(() => run('{{ index . 1 }}', {}), /should be string/);
  });

  describe('compile errors', () => {
    const bad: [string, RegExp][] = [
      ['{{}}', /missing value for command/],
      ['{{ .url }/x', /template: unexpected "}" in action \(at 1:9\)/],
      ['{{ .url', /unclosed action/],
      ['{{ foo .x }}', /function "foo" not defined/],
      ['{{ printf "%s" .x }}', /function "printf" not defined/],
      ['{{ if .a }}x', /unexpected EOF/],
      ['{{ end }}', /unexpected \{\{end\}\}/],
      ['{{ else }}', /unexpected \{\{else\}\}/],
      ['{{ if }}{{ end }}', /missing value for if/],
      ['{{ .a "b" }}', /can't give argument to non-function \.a/],
      ['{{ .a | .b }}', /can't give argument to non-function \.b/],
      ['{{ range . }}{{ end }}', /\{\{range\}\} is not supported/],
      ['{{ $x := 1 }}', /variables are not supported/],
      ['{{ "abc }}', /unterminated quoted string/],
      ['{{ (index . "a" }}', /unclosed left paren/],
      ['{{ .a) }}', /unexpected right paren/],
      ['{{ not .a .b }}', /wrong number of args for not: want 1 got 2/],
      ['{{ .a"b" }}', /unexpected "b" in operand/],
      ['{{ nil }}', /nil is not a command/],
      ['{{ .a | }}', /missing value for command/],
      ['{{/* open }}', /unclosed comment/],
      ['{{ eq not .a }}', /wrong number of args for not: want at least 1 got 0/],
    ];
    for (const [src, re] of bad) {
      it(`rejects ${src}`, () => assert.throws(() => compileTemplate(src), (e: unknown) => e instanceof TemplateError && re.test(e.message)));
    }

    it('accepts text with no actions, including stray "}}"', () => {
      assert.equal(run('event_name', {}), 'event_name');
      assert.equal(run('a}}b', {}), 'a}}b');
    });
  });

  describe('Go number formatting', () => {
    it('flattens JSON numbers as Fulcio does: integral ones as integers, others in shortest decimal form', () => {
      assert.equal(goFloatF(1.0), '1');
      assert.equal(goFloatF(1000000.0), '1000000');
      assert.equal(goFloatF(1753000000.0), '1753000000');
      assert.equal(goFloatF(1.4), '1.4');
      assert.equal(goFloatF(-0.00001), '-0.00001');
      assert.equal(goFloatF(1e21), '1000000000000000000000');
      assert.equal(goSprintV(true), 'true');
    });

    it("prints %v like Go's fmt (exponent from 1e+06, below 1e-04)", () => {
      assert.equal(goFloatV(100000), '100000');
      assert.equal(goFloatV(1e6), '1e+06');
      assert.equal(goFloatV(1234567), '1.234567e+06');
      assert.equal(goFloatV(0.0001), '0.0001');
      assert.equal(goFloatV(0.00001), '1e-05');
      assert.equal(goFloatV(1.5), '1.5');
      assert.equal(goSprintV({ b: [1, 'x'], a: null }), 'map[a:<nil> b:[1 x]]');
    });
  });
});
