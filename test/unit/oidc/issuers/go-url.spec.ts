import assert from 'node:assert/strict';
import { cleanPath, goJoinPath, goPathJoiner, goURLString, parseGoURL } from '../../../../oidc/issuers/go-url.js';

// Expected values are what Go's net/url and path packages return for the same inputs.
describe('oidc/issuers: go-url', () => {
  const roundTrips: [string, string][] = [
    ['https://github.com/', 'https://github.com/'],
    ['gitlab.com/a/b//.gitlab-ci.yml@refs/heads/main', 'gitlab.com/a/b//.gitlab-ci.yml@refs/heads/main'],
    ['HTTPS://Example.com/a%2Fb?q=1#frag', 'https://Example.com/a%2Fb?q=1#frag'],
    ['https://u:p@h.example:8443/x y', 'https://u:p@h.example:8443/x%20y'],
    ['mailto:foo@example.com', 'mailto:foo@example.com'],
    ['/a/b?', '/a/b?'],
    ['https://h/a#b c', 'https://h/a#b%20c'],
  ];
  for (const [input, out] of roundTrips) {
    it(`parses and prints ${JSON.stringify(input)}`, () => assert.equal(goURLString(parseGoURL(input)), out));
  }

  for (const bad of ['https://h/%zz', ':b/c', 'git_lab:x/y', 'https://h:port/', 'a\u0001b']) {
    it(`rejects ${JSON.stringify(bad)}`, () => assert.throws(() => parseGoURL(bad)));
  }

  it('prints a scheme-less URL with a forced scheme as Go does', () => {
    assert.equal(goURLString({ ...parseGoURL('gitlab.com/g/p'), scheme: 'https' }), 'https://gitlab.com/g/p');
    assert.equal(goURLString({ ...parseGoURL('gitlab.com:8080/g/p'), scheme: 'https' }), 'https:8080/g/p');
  });

  it('cleans paths like path.Clean', () => {
    const cases: [string, string][] = [
      ['', '.'], ['/', '/'], ['a/../..', '..'], ['/../a', '/a'], ['a//b/./c/', 'a/b/c'], ['../../x', '../../x'], ['/a/b/../../..', '/'],
    ];
    for (const [p, want] of cases) assert.equal(cleanPath(p), want, p);
  });

  it('joins like URL.JoinPath', () => {
    const base = parseGoURL('https://github.com/');
    assert.equal(goURLString(goJoinPath(base, 'a', 'b/')), 'https://github.com/a/b/');
    assert.equal(goURLString(goJoinPath(base, '../..', 'x')), 'https://github.com/x');
    assert.equal(goURLString(goJoinPath(base, 'a%2Fb')), 'https://github.com/a%2Fb');
    assert.equal(goURLString(goJoinPath(base, 'caf\u00e9')), 'https://github.com/caf%C3%A9');
    // An element that is not a valid escaped path leaves the URL unchanged (Go ignores setPath's error).
    assert.equal(goURLString(goJoinPath(base, '%zz')), 'https://github.com/');
  });

  it('joins through goPathJoiner exactly as through goJoinPath, plain elements or not (20,000 random element lists)', () => {
    const bases = ['https://github.com/', 'https://gitlab.com/', 'https://h.example/base/', 'https://h.example', 'https://h/?q=1', 'https://h/#f', 'https://h/a%2Fb'];
    // Plain characters, and each kind of character that takes the full port: separators, dots, escapes, ones Go
    // escapes in a path, non-ASCII.
    const alphabet = ['a', 'Z', '0', '-', '_', '~', '@', ':', '+', '=', '$', '&', ',', ';', '/', '.', '%', '%2F', ' ', '?', '#', '!', "'", '(', '*', '\u00e9', '\u{1f600}'];
    let state = 6962;
    const rand = (n: number): number => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) >>> 16) % n;
    const element = (): string => Array.from({ length: rand(8) }, () => alphabet[rand(rand(3) === 0 ? alphabet.length : 14)]!).join('');
    for (const b of bases) {
      const base = parseGoURL(b);
      const join = goPathJoiner(base);
      for (let i = 0; i < 20_000 / bases.length; i++) {
        const elems = Array.from({ length: rand(5) }, element);
        assert.equal(join(...elems), goURLString(goJoinPath(base, ...elems)), `${b} + ${JSON.stringify(elems)}`);
      }
    }
    const github = goPathJoiner(parseGoURL('https://github.com/'));
    assert.equal(github('acme/app', 'actions/runs', '42', 'attempts', '1'), 'https://github.com/acme/app/actions/runs/42/attempts/1');
    assert.equal(github('acme/app/.github/workflows/ci.yml@refs/heads/main'), 'https://github.com/acme/app/.github/workflows/ci.yml@refs/heads/main');
  });
});
