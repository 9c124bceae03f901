import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeJwt } from 'jose';
import { SigningConfig } from '@sigstore/protobuf-specs';
import { parsePemBlocks } from '../../lib/pem.js';
import { clientKey, v2Request } from '../helpers/fulgor.js';
import type { CaBody } from '../helpers/response-body.js';
import { BIN, freePort, startServe, startServeWith, stopProcess } from '../helpers/serve-process.js';
import { cleanEnv, fulgorWith } from '../helpers/cli-process.js';
import { COMMANDS } from '../../cli/index.js';

const run = promisify(execFile);

const stop = (child: ChildProcess) => stopProcess(child);

async function post(url: string, body: unknown) {
  const res = await fetch(`${url}/api/v2/signingCert`, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as CaBody };
}

describe('cli: fulgor serve --dev, dev-token, trust export', function () {
  this.timeout(30_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'fulgor-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('serves in development mode, loudly, and issues for a dev token of each type', async () => {
    const keysDir = join(dir, 'keys');
    const { child, caUrl, output } = await startServe(['--dev', '--keys-dir', keysDir]);
    try {
      assert.match(output(), /DEVELOPMENT MODE/);
      for (const [type, name] of [['github', 'repo:acme/app:ref:refs/heads/main'], ['gitlab', 'project_path:acme/app:ref_type:branch:ref:main'], ['email', 'dev@example.com']] as const) {
        const { stdout } = await run(process.execPath, [BIN, 'dev-token', '--type', type, '--keys-dir', keysDir, '--ca-url', caUrl]);
        const token = stdout.trim();
        const res = await post(caUrl, v2Request(token, clientKey(), name));
        assert.equal(res.status, 200, `${type}: ${JSON.stringify(res.json)}`);
      }
      const { stdout } = await run(process.execPath, [BIN, 'dev-token', '--keys-dir', keysDir, '--ca-url', caUrl, '--claim', 'repository=acme/other', '--claim-json', 'extra=[1]']);
      const claims = decodeJwt(stdout.trim());
      assert.equal(claims['repository'], 'acme/other');
      assert.deepEqual(claims['extra'], [1]);
    } finally {
      await stop(child);
    }
  });

  it('reuses the keys it created, and a --config-path server without --dev never trusts the dev issuer', async () => {
    const keysDir = join(dir, 'keys');
    const before = readFileSync(join(keysDir, 'intermediate-ca.pem'), 'utf8');
    const cfg = join(dir, 'config.yaml');
    writeFileSync(cfg, 'oidc-issuers:\n  https://issuer.example.com:\n    issuer-url: https://issuer.example.com\n    client-id: sigstore\n    type: email\n');
    const { child, caUrl, output } = await startServe(['--config-path', cfg, '--keys-dir', keysDir, '--allow-dev-keys']);
    try {
      assert.doesNotMatch(output(), /DEVELOPMENT MODE/);
      assert.equal(readFileSync(join(keysDir, 'intermediate-ca.pem'), 'utf8'), before);
      const { stdout } = await run(process.execPath, [BIN, 'dev-token', '--keys-dir', keysDir, '--ca-url', caUrl]);
      const res = await post(caUrl, v2Request(stdout.trim(), clientKey(), 'repo:acme/app:ref:refs/heads/main'));
      assert.equal(res.status, 400);
      assert.equal(res.json.details[0].reason, 'UNKNOWN_ISSUER');
    } finally {
      await stop(child);
    }
  });

  it('refuses to serve without --config-path outside development mode', async () => {
    await assert.rejects(startServe(['--keys-dir', join(dir, 'keys')]), /config-path/);
  });

  it('trust export writes ctfe.pub, fulcio_chain.pem and trusted_root.json', async () => {
    const keysDir = join(dir, 'keys');
    const out = join(dir, 'trust');
    await run(process.execPath, [BIN, 'trust', 'export', '--keys-dir', keysDir, '--out', out]);
    const ctPub = createPublicKey(readFileSync(join(out, 'ctfe.pub'), 'utf8')).export({ type: 'spki', format: 'der' });
    const ctKey = createPublicKey(readFileSync(join(keysDir, 'ctlog.key.pem'), 'utf8')).export({ type: 'spki', format: 'der' });
    assert.ok(ctPub.equals(ctKey));
    const chain = parsePemBlocks(readFileSync(join(out, 'fulcio_chain.pem'), 'utf8')).map((b) => b.der);
    assert.equal(chain.length, 2);
    assert.ok(new X509Certificate(chain[0]!).verify(new X509Certificate(chain[1]!).publicKey));
    const root = JSON.parse(readFileSync(join(out, 'trusted_root.json'), 'utf8'));
    assert.equal(root.mediaType, 'application/vnd.dev.sigstore.trustedroot+json;version=0.1');
    assert.deepEqual(root.certificateAuthorities[0].certChain.certificates.map((c: { rawBytes: string }) => c.rawBytes), chain.map((c) => c.toString('base64')));
    assert.equal(root.ctlogs[0].publicKey.rawBytes, ctKey.toString('base64'));
    assert.equal(root.ctlogs[0].logId.keyId, createHash('sha256').update(ctKey).digest('base64'));
    assert.equal(root.ctlogs[0].publicKey.keyDetails, 'PKIX_ECDSA_P256_SHA_256');
    const signing = SigningConfig.fromJSON(JSON.parse(readFileSync(join(out, 'signing_config.json'), 'utf8')));
    assert.equal(signing.mediaType, 'application/vnd.dev.sigstore.signingconfig.v0.2+json');
    assert.deepEqual(signing.caUrls.map((s) => [s.url, s.majorApiVersion, s.operator]), [['http://127.0.0.1:8080', 1, '127.0.0.1:8080']]);
    assert.equal(signing.caUrls[0]!.validFor?.start?.toISOString(), new Date(root.certificateAuthorities[0].validFor.start).toISOString());

    // An external log is described by its own key.
    const external = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey;
    writeFileSync(join(dir, 'external.pub'), external.export({ type: 'spki', format: 'pem' }) as string);
    const out2 = join(dir, 'trust-external');
    await run(process.execPath, [BIN, 'trust', 'export', '--keys-dir', keysDir, '--out', out2, '--ct-log-url', 'https://ct.example/test', '--ct-log-public-key', join(dir, 'external.pub')]);
    const externalDer = external.export({ type: 'spki', format: 'der' });
    const root2 = JSON.parse(readFileSync(join(out2, 'trusted_root.json'), 'utf8'));
    assert.equal(root2.ctlogs[0].publicKey.rawBytes, externalDer.toString('base64'));
    assert.equal(root2.ctlogs[0].baseUrl, 'https://ct.example/test');
    assert.ok(createPublicKey(readFileSync(join(out2, 'ctfe.pub'), 'utf8')).export({ type: 'spki', format: 'der' }).equals(externalDer));
  });

  it('refuses --ct-log-url without --ct-log-public-key (serve and trust export exit 1, saying where to get the key)', async () => {
    const keysDir = join(dir, 'keys');
    for (const args of [
      ['serve', '--dev', '--keys-dir', keysDir, '--ct-port', '0', '--port', '0', '--ct-log-url', 'http://127.0.0.1:1/test'],
      ['trust', 'export', '--keys-dir', keysDir, '--out', join(dir, 'trust-no-key'), '--ct-log-url', 'http://127.0.0.1:1/test'],
    ]) {
      // A server that starts anyway is killed after the timeout (and fails the exit-code check).
      const failed = await run(process.execPath, [BIN, ...args], { timeout: 15_000 }).then(
        () => assert.fail(`${args.join(' ')} went ahead without the log's key`),
        (e: { code: number; stderr: string }) => e,
      );
      assert.equal(failed.code, 1);
      assert.match(failed.stderr, /--ct-log-url http:\/\/127\.0\.0\.1:1\/test needs --ct-log-public-key/);
      assert.match(failed.stderr, /fulgor trust export .* writes it to DIR\/ctfe\.pub .*; for any other log, get it from the log's operator/);
    }
  });

  it('refuses --ct-log-public-key without --ct-log-url instead of ignoring it', async () => {
    const keysDir = join(dir, 'keys');
    const pub = join(dir, 'stray.pub');
    writeFileSync(pub, createPublicKey(readFileSync(join(keysDir, 'ctlog.key.pem'), 'utf8')).export({ type: 'spki', format: 'pem' }));
    for (const args of [
      ['serve', '--dev', '--keys-dir', keysDir, '--ct-port', '0', '--port', '0', '--ct-storage', 'memory', '--ct-log-public-key', pub],
      ['trust', 'export', '--keys-dir', keysDir, '--out', join(dir, 'trust-stray-key'), '--ct-log-public-key', pub],
    ]) {
      const failed = await run(process.execPath, [BIN, ...args], { timeout: 15_000 }).then(
        () => assert.fail(`${args.join(' ')} ignored --ct-log-public-key`),
        (e: { code: number; stderr: string }) => e,
      );
      assert.equal(failed.code, 1);
      assert.match(failed.stderr, /--ct-log-public-key is the key of an external log: give its --ct-log-url too/);
    }
  });
});



describe('cli: strict flags, --help, --version and FULGOR_* variables (real processes)', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'fulgor-flags-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A fresh empty working directory, to prove a command created nothing. */
  const emptyDir = (name: string): string => {
    const d = join(dir, name.replace(/\W+/g, '-'));
    mkdirSync(d);
    return d;
  };

  // Arguments that would make each command write files, start servers or print a token if --help did not stop it.
  const WOULD_ACT: Record<string, string[]> = {
    serve: ['--dev', '--keys-dir', 'k', '--port', '0', '--ct-port', '0'],
    'ct serve': ['--dev', '--keys-dir', 'k', '--ct-port', '0'],
    'tsa serve': ['--dev', '--keys-dir', 'k', '--port', '0'],
    'trust export': ['--out', 'x'],
    'ca init': ['--keys-dir', 'k', '--root-out', 'r'],
    'ca csr': ['--keys-dir', 'k', '--out', 'c.pem'],
    'ca import': ['--keys-dir', 'k', '--chain', 'c.pem', '--root', 'r.pem'],
    'ca rotate': ['--keys-dir', 'k', '--root-out', 'r'],
    explain: ['--config-path', 'c.yaml', '--claims', 'x.json'],
    'config check': ['--config-path', 'c.yaml'],
  };

  it('`<command> --help` and `-h` print that command\'s flags and exit 0, doing nothing (no files, no server, no token)', async () => {
    this.timeout(180_000);
    assert.ok(COMMANDS.length >= 12);
    const runs = COMMANDS.flatMap((cmd) =>
      (['--help', '-h'] as const).map((h) => async () => {
        const cwd = emptyDir(`${cmd.name}${h}`);
        const words = cmd.name.split(' ');
        const args = h === '--help' ? [...words, ...(WOULD_ACT[cmd.name] ?? []), h] : [...words, h, ...(WOULD_ACT[cmd.name] ?? [])];
        const r = await fulgorWith({ cwd, timeoutMs: 60_000 }, ...args);
        assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
        assert.ok(r.stdout.startsWith(`usage: fulgor ${cmd.name} [flags]`), r.stdout);
        for (const [name, spec] of Object.entries(cmd.flags)) {
          assert.ok(r.stdout.includes(`--${name}`), `${cmd.name} --help lists --${name}`);
          if (spec.default !== undefined) assert.ok(r.stdout.includes(`default ${spec.default}`), `${cmd.name} --help gives --${name}'s default`);
        }
        assert.match(r.stdout, /-h, --help/);
        assert.doesNotMatch(r.stdout, /eyJ/, 'no token printed');
        assert.equal(r.stderr, '');
        assert.deepEqual(readdirSync(cwd), [], `${args.join(' ')} created files`);
      }),
    );
    // A few at a time: each is a whole node process on a shared machine.
    for (let i = 0; i < runs.length; i += 4) await Promise.all(runs.slice(i, i + 4).map((run) => run()));
  });

  it('`fulgor --help` (and no command) lists every command; `fulgor --version` prints package.json\'s version; groups list their commands', async () => {
    for (const args of [['--help'], ['-h'], [], ['help']]) {
      const r = await fulgorWith({}, ...args);
      assert.equal(r.code, 0, args.join(' '));
      for (const cmd of COMMANDS) assert.match(r.stdout, new RegExp(`^  ${cmd.name} `, 'm'), `${args.join(' ')} lists ${cmd.name}`);
    }
    const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
    const v = await fulgorWith({}, '--version');
    assert.equal(v.code, 0);
    assert.equal(v.stdout, `${version}\n`);
    const help = await fulgorWith({}, 'help', 'ca', 'init');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^usage: fulgor ca init \[flags\]/);
    const group = await fulgorWith({}, 'ca');
    assert.equal(group.code, 2);
    assert.match(group.stderr, /fulgor ca init .*\n.*fulgor ca csr/);
    const flagFirst = await fulgorWith({}, '--dev', 'serve');
    assert.equal(flagFirst.code, 2);
    assert.match(flagFirst.stderr, /--dev is not a command; give the command first/);
    const unknown = await fulgorWith({}, 'sreve', '--dev');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "sreve" \(did you mean `fulgor serve`\?\)/);
  });

  it('an unknown flag exits 2 naming it and the closest known flag, before doing anything', async () => {
    const cases: [string[], RegExp][] = [
      [['serve', '--dev', '--prot', '9000', '--keys-dir', 'k'], /fulgor serve: unknown flag --prot \(did you mean --port\?\)/],
      [['keys', 'init', '--keys-dri', 'X'], /fulgor keys init: unknown flag --keys-dri \(did you mean --keys-dir\?\)/],
      [['serve', '--dev', '--ct-log-url', 'http://127.0.0.1:1', '--ct-log-publik-key', 'k.pem'], /unknown flag --ct-log-publik-key \(did you mean --ct-log-public-key\?\)/],
      [['dev-token', '--clam', 'a=b'], /fulgor dev-token: unknown flag --clam \(did you mean --claim\?\)/],
      [['trust', 'export', '--out', 'x', '--zzzzzzzzzz'], /fulgor trust export: unknown flag --zzzzzzzzzz\n/],
      [['serve', '-p', '9000'], /unknown flag -p/],
    ];
    for (const [args, message] of cases) {
      const cwd = emptyDir(args.join(' '));
      const r = await fulgorWith({ cwd, timeoutMs: 20_000 }, ...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.match(r.stderr, /--help` lists its flags/);
      assert.equal(r.stdout, '');
      assert.deepEqual(readdirSync(cwd), [], `${args.join(' ')} created files`);
    }
  });

  it('a flag without its value, a value given to a boolean, a stray argument and a repeated flag exit 2 with a clear message', async () => {
    const cases: [string[], RegExp][] = [
      [['serve', '--dev', '--port'], /fulgor serve: --port needs a value/],
      [['serve', '--port', '--dev'], /--port needs a value \(the next argument is a flag; write --port=VALUE/],
      [['serve', '--dev=yes'], /--dev takes no value/],
      [['serve', '--dev', '8080'], /unexpected argument "8080"/],
      [['serve', '--port', '1', '--port', '2'], /--port was given more than once/],
      [['serve', '--http-port', '1', '--port', '2'], /--http-port and --port are the same flag/],
      [['config', 'check', '--config-path'], /fulgor config check: --config-path needs a value/],
      [['serve', '--dev', '--ct-log-origin', 'ct.example'], /fulgor serve: --ct-log-origin is the Host header sent to an external log: give its --ct-log-url too/],
    ];
    for (const [args, message] of cases) {
      const cwd = emptyDir(args.join(' '));
      const r = await fulgorWith({ cwd, timeoutMs: 20_000 }, ...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.deepEqual(readdirSync(cwd), []);
    }
  });

  it('reads every flag from FULGOR_<NAME>; the command line wins; booleans are true/false/1/0', async () => {
    const keysDir = join(dir, 'env-keys');
    // dev-token: FULGOR_TYPE and FULGOR_KEYS_DIR, repeatable FULGOR_CLAIM one per line; --type overrides.
    const env = cleanEnv({ FULGOR_TYPE: 'email', FULGOR_KEYS_DIR: keysDir, FULGOR_CLAIM: 'team=red\nsite=b' });
    const fromEnv = await fulgorWith({ env: { ...env, FULGOR_PROT: '9000', FULCIO_SERVE_CA: 'fileca' } }, 'dev-token');
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    // A variable no command reads is named, with the closest one, but does not stop the command.
    assert.match(fromEnv.stderr, /warning: FULGOR_PROT is not a variable fulgor reads \(did you mean FULGOR_PORT\?\); ignored/);
    assert.match(fromEnv.stderr, /warning: FULCIO_SERVE_CA is Fulcio's: Fulgor reads FULGOR_\* variables/);
    const claims = decodeJwt(fromEnv.stdout.trim());
    assert.equal(claims['email'], 'dev@example.com');
    assert.deepEqual([claims['team'], claims['site']], ['red', 'b']);
    const overridden = decodeJwt((await fulgorWith({ env }, 'dev-token', '--type', 'github', '--claim', 'team=blue')).stdout.trim());
    assert.equal(overridden['repository'], 'acme/app');
    assert.equal(overridden['team'], 'blue');
    assert.equal(overridden['site'], undefined, 'a list given on the command line replaces the environment\'s');

    // serve: FULGOR_PORT is where it listens, unless --port says otherwise.
    const port = await freePort();
    const serveEnv = cleanEnv({ FULGOR_DEV: 'true', FULGOR_PORT: String(port), FULGOR_CT_PORT: '0', FULGOR_KEYS_DIR: keysDir, FULGOR_CT_STORAGE: 'memory' });
    const a = await startServeWith([], serveEnv);
    try {
      assert.equal(a.caUrl, `http://127.0.0.1:${port}`);
      assert.match(a.output(), /DEVELOPMENT MODE/);
    } finally {
      await stopProcess(a.child);
    }
    const b = await startServeWith(['--port', '0'], serveEnv);
    try {
      assert.notEqual(b.caUrl, `http://127.0.0.1:${port}`);
    } finally {
      await stopProcess(b.child);
    }
    const bad = await fulgorWith({ env: { ...serveEnv, FULGOR_DEV: 'yes' }, cwd: emptyDir('bad-bool'), timeoutMs: 20_000 }, 'serve');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /FULGOR_DEV must be true, false, 1 or 0 \(got "yes"\)/);
    const off = await fulgorWith({ env: { ...serveEnv, FULGOR_DEV: '0' }, cwd: emptyDir('dev-off'), timeoutMs: 20_000 }, 'serve');
    assert.equal(off.code, 1, 'FULGOR_DEV=0 is not development mode: serve wants --config-path');
    assert.match(off.stderr, /give --config-path/);
  });
});
