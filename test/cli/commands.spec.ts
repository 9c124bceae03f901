import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeJwt } from 'jose';
import { SigningConfig } from '@sigstore/protobuf-specs';
import { parsePemBlocks } from '../../lib/pem.js';
import { clientKey, v2Request } from '../helpers/fulgor.js';
import type { CaBody } from '../helpers/response-body.js';
import { BIN, startServe, stopProcess } from '../helpers/serve-process.js';

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
