// `fulgor serve --server-config FILE` (Fulcio's server.yaml) through real processes: values carried over to the
// flags (port, host, config-path, fileca-cert/key/passwd, ct-log-url/public-key-path/origin), their precedence
// (command line > environment > file > default), harmless keys warned about, and keys that would change what is
// issued or trusted (or are unknown) refused with exit 2.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePemBlocks } from '../../lib/pem.js';
import { cleanEnv, fulgorWith } from '../helpers/cli-process.js';
import { clientKey, v2Request } from '../helpers/fulgor.js';
import { freePort, startServeWith, stopProcess } from '../helpers/serve-process.js';



const ISSUERS = 'oidc-issuers:\n  https://issuer.example.com:\n    issuer-url: https://issuer.example.com\n    client-id: sigstore\n    type: email\n';

describe('cli: serve --server-config (Fulcio server.yaml)', function () {
  this.timeout(90_000);
  let dir: string;
  let keysDir: string;
  let identity: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fulgor-server-config-'));
    keysDir = join(dir, 'keys');
    assert.equal((await fulgorWith({}, 'keys', 'init', '--keys-dir', keysDir)).code, 0);
    identity = join(dir, 'config.yaml');
    writeFileSync(identity, ISSUERS);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("listens where server.yaml says (port, host), loads its config-path, warns about the keys it ignores; environment and command line win", async () => {
    const port = await freePort();
    const file = join(dir, 'server.yaml');
    writeFileSync(
      file,
      [
        'host: 127.0.0.1',
        `port: ${port}`,
        'grpc-port: 5554',
        `config-path: ${identity}`,
        'log_type: prod',
        'ct-log-url: ""',
        'client-signing-algorithms: ecdsa-sha2-256-nistp256,ecdsa-sha2-384-nistp384,ecdsa-sha2-512-nistp521,rsa-sign-pkcs1-2048-sha256,rsa-sign-pkcs1-3072-sha256,rsa-sign-pkcs1-4096-sha256,ed25519',
        // Fulgor's own flag names are settings too.
        `keys-dir: ${keysDir}`,
        'allow-dev-keys: true',
        'ct-port: 0',
        'ct-storage: memory',
      ].join('\n') + '\n',
    );
    // Fulcio's Deployment runs `serve -c /etc/fulcio-config/server.yaml`: the same arguments work here.
    const a = await startServeWith(['-c', file], cleanEnv());
    try {
      assert.equal(a.caUrl, `http://127.0.0.1:${port}`);
      const config = (await (await fetch(`${a.caUrl}/api/v2/configuration`)).json()) as { issuers: { issuerUrl: string }[] };
      assert.deepEqual(config.issuers.map((i) => i.issuerUrl), ['https://issuer.example.com']);
      assert.match(a.output(), /--server-config .*server\.yaml: grpc-port: ignored: Fulgor serves no gRPC/);
      assert.match(a.output(), /log_type: ignored/);
      assert.match(a.output(), /ct-log-url: "" turns CT off in Fulcio; Fulgor always logs/);
    } finally {
      await stopProcess(a.child);
    }
    // FULGOR_SERVER_CONFIG names the file; FULGOR_PORT wins over the file's port; --port wins over both.
    const envPort = await freePort();
    const env = cleanEnv({ FULGOR_SERVER_CONFIG: file, FULGOR_PORT: String(envPort) });
    const b = await startServeWith([], env);
    try {
      assert.equal(b.caUrl, `http://127.0.0.1:${envPort}`);
    } finally {
      await stopProcess(b.child);
    }
    const c = await startServeWith(['--port', '0'], env);
    try {
      assert.notEqual(c.caUrl, `http://127.0.0.1:${envPort}`);
      assert.notEqual(c.caUrl, `http://127.0.0.1:${port}`);
    } finally {
      await stopProcess(c.child);
    }
  });

  it('refuses keys that would change what is issued or trusted, and unknown keys, all at once (exit 2, nothing started)', async () => {
    const file = join(dir, 'refused.yaml');
    writeFileSync(
      file,
      [
        'ca: kmsca',
        'client-signing-algorithms: ecdsa-sha2-256-nistp256',
        'ct-log:',
        '  tls-ca-cert: /etc/ct-ca.pem',
        'prot: 9000',
        `config-path: ${identity}`,
        `keys-dir: ${keysDir}`,
      ].join('\n') + '\n',
    );
    const cwd = join(dir, 'refused-cwd');
    mkdirSync(cwd);
    const r = await fulgorWith({ cwd, timeoutMs: 30_000 }, 'serve', '--server-config', file, '--allow-dev-keys', '--port', '0', '--ct-port', '0');
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /ca: "kmsca": Fulgor signs with keys in files or PKCS#11 tokens/);
    assert.match(r.stderr, /client-signing-algorithms: Fulgor certifies exactly Fulcio's default algorithms/);
    assert.match(r.stderr, /ct-log\.tls-ca-cert: not supported; .*NODE_EXTRA_CA_CERTS=\/etc\/ct-ca\.pem/);
    assert.match(r.stderr, /prot: not a Fulcio or Fulgor serve setting \(did you mean port\?\)/);
    assert.doesNotMatch(r.stderr, /listening/);
    assert.deepEqual(readdirSync(cwd), [], 'no ct-data/ or anything else');
    writeFileSync(file, 'ca: ephemeralca\n');
    const eph = await fulgorWith({ cwd, timeoutMs: 30_000 }, 'serve', '--server-config', file);
    assert.equal(eph.code, 2);
    assert.match(eph.stderr, /ca: "ephemeralca": .*for a throwaway CA use --dev/);
    writeFileSync(file, 'ct-log-url: http://tesseract:6962\n');
    const noKey = await fulgorWith({ cwd, timeoutMs: 30_000 }, 'serve', '--server-config', file);
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /ct-log-url http:\/\/tesseract:6962 without ct-log-public-key-path: Fulgor verifies every SCT/);
    writeFileSync(file, 'port: [1]\n');
    const bad = await fulgorWith({ cwd, timeoutMs: 30_000 }, 'serve', '--server-config', file);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /port must be a string or a number/);
  });

  it('carries a fileca deployment over: fileca-cert (the chain), fileca-key (encrypted) and fileca-key-passwd', async () => {
    const passphrase = 'correct horse battery staple';
    const passFile = join(dir, 'pass');
    writeFileSync(passFile, passphrase + '\n');
    const made = join(dir, 'made');
    const ceremony = await fulgorWith({}, 'ca', 'init', '--keys-dir', made, '--root-out', join(dir, 'offline'), '--org', 'Carried', '--passphrase-file', passFile);
    assert.equal(ceremony.code, 0, ceremony.stderr);
    // Fulcio's layout: a secret with the chain (issuing CA first, root last) and the encrypted key, elsewhere.
    const secret = join(dir, 'fulcio-secret');
    mkdirSync(secret);
    writeFileSync(join(secret, 'cert.pem'), readFileSync(join(made, 'intermediate-ca.pem'), 'utf8') + readFileSync(join(made, 'root-ca.pem'), 'utf8'));
    copyFileSync(join(made, 'intermediate-ca.key.pem'), join(secret, 'key.pem'));
    // The keys dir keeps only the CT log's key (encrypted with the same passphrase).
    const logOnly = join(dir, 'log-only');
    mkdirSync(logOnly);
    for (const f of ['ctlog.key.pem', 'ctlog.pub.pem']) copyFileSync(join(made, f), join(logOnly, f));
    const file = join(dir, 'fileca.yaml');
    writeFileSync(
      file,
      [
        'ca: fileca',
        `fileca-cert: ${join(secret, 'cert.pem')}`,
        `fileca-key: ${join(secret, 'key.pem')}`,
        `fileca-key-passwd: "${passphrase}"`,
        'fileca-watch: true',
        // No config-path: the identity config is config.yaml beside the server config (the ConfigMap's other key).
        `keys-dir: ${logOnly}`,
        'port: 0',
        'ct-port: 0',
        'ct-storage: memory',
      ].join('\n') + '\n',
    );
    const s = await startServeWith(['--server-config', file], cleanEnv());
    try {
      const bundle = (await (await fetch(`${s.caUrl}/api/v2/trustBundle`)).json()) as { chains: { certificates: string[] }[] };
      const expected = parsePemBlocks(readFileSync(join(secret, 'cert.pem'), 'utf8')).map((b) => b.der.toString('base64'));
      const served = bundle.chains[0]!.certificates.map((pem) => parsePemBlocks(pem)[0]!.der.toString('base64'));
      assert.deepEqual(served, expected);
      assert.match(s.output(), /fileca-watch: ignored: Fulgor re-reads its CA on SIGHUP/);
      assert.match(s.output(), /no config-path: using .*config\.yaml beside it/);
      const config = (await (await fetch(`${s.caUrl}/api/v2/configuration`)).json()) as { issuers: { issuerUrl: string }[] };
      assert.deepEqual(config.issuers.map((i) => i.issuerUrl), ['https://issuer.example.com']);
      assert.doesNotMatch(s.output(), new RegExp(passphrase), 'the passphrase is never printed');
    } finally {
      await stopProcess(s.child);
    }
  });

  it('ct-log-origin (Fulcio v1.8): the external log is sent that Host header, the SCT still verifies', async () => {
    const log = await startServeWith(['--dev', '--keys-dir', keysDir, '--port', '0', '--ct-port', '0', '--ct-storage', 'memory'], cleanEnv());
    const logUrl = /\(CT log (\S+)\)/.exec(log.output())![1]!;
    const hosts: string[] = [];
    // A front that records the Host header and passes the request on to the real log.
    const front = http.createServer((req, res) => {
      hosts.push(req.headers.host ?? '');
      const target = new URL(req.url ?? '/', logUrl);
      const up = http.request(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.writeHead(502).end());
      req.pipe(up);
    });
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    const frontUrl = `http://127.0.0.1:${(front.address() as { port: number }).port}`;
    const file = join(dir, 'origin.yaml');
    writeFileSync(file, `ct-log-url: ${frontUrl}\nct-log-public-key-path: ${join(keysDir, 'ctlog.pub.pem')}\nct-log-origin: ct.example.test\n`);
    let ca: Awaited<ReturnType<typeof startServeWith>> | undefined;
    try {
      ca = await startServeWith(['--dev', '--keys-dir', keysDir, '--port', '0', '--server-config', file], cleanEnv());
      const token = await fulgorWith({}, 'dev-token', '--keys-dir', keysDir, '--ca-url', ca.caUrl);
      const res = await fetch(`${ca.caUrl}/api/v2/signingCert`, { method: 'POST', body: JSON.stringify(v2Request(token.stdout.trim(), clientKey(), 'repo:acme/app:ref:refs/heads/main')) });
      assert.equal(res.status, 200, await res.clone().text());
      assert.ok(hosts.length > 0, 'the CA went through the front');
      assert.deepEqual([...new Set(hosts)], ['ct.example.test']);
    } finally {
      if (ca) await stopProcess(ca.child);
      await stopProcess(log.child);
      await new Promise((r) => front.close(r));
    }
  });
});
