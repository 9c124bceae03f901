// `fulgor serve` on production keys, as real processes: a three-level enterprise chain issues certificates whose
// chain verifies and the CT log accepts; each start-up check refuses (exit 2, naming the file or the rule) or warns.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createMissingDevKeys } from '../../ca/dev-keys.js';
import { KEY_FILES, KEY_URI_FILES } from '../../config/keys-dir.js';
import { certToPem, parsePemBlocks } from '../../lib/pem.js';
import { generateSoftwareKey, privateKeyPem } from '../../signer/index.js';
import { clientKey, v2Request } from '../helpers/fulgor.js';
import { startIssuer, type TestIssuer } from '../helpers/oidc-issuer.js';
import { writeProductionKeysDir, type ChainOptions } from '../helpers/production-keys.js';
import type { CaBody } from '../helpers/response-body.js';
import { BIN, exited, spawnServe, startServe, stopProcess, until } from '../helpers/serve-process.js';
import { moveKeysIntoSoftHsm } from '../helpers/softhsm-keys.js';
import { softhsmMissing } from '../../signer/softhsm.js';

const EMAIL = 'dev@example.com';

describe('cli: fulgor serve on production keys (start-up checks, chains of any depth)', function () {
  this.timeout(30_000);
  let dir: string;
  let issuer: TestIssuer;
  let config: string;
  let n = 0;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fulgor-prod-keys-'));
    issuer = await startIssuer('/mail');
    config = join(dir, 'identity.json');
    writeFileSync(config, JSON.stringify({ OIDCIssuers: { [issuer.url]: { IssuerURL: issuer.url, ClientID: 'sigstore', Type: 'email' } } }));
  });
  after(async () => {
    await issuer?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const keysDir = async (o: ChainOptions & { passphrase?: string } = {}) => writeProductionKeysDir(join(dir, `keys-${++n}`), o);

  /** Runs `fulgor serve` expecting it to refuse: its exit code and everything it wrote. */
  async function refusal(args: string[]): Promise<{ code: number | null; output: string }> {
    const p = spawnServe(['--config-path', config, ...args]);
    const { code } = await exited(p.child);
    return { code, output: p.output() };
  }

  async function issue(caUrl: string) {
    const res = await fetch(`${caUrl}/api/v2/signingCert`, { method: 'POST', body: JSON.stringify(v2Request(await issuer.mint('email'), clientKey(), EMAIL)) });
    const json = (await res.json()) as CaBody;
    assert.equal(res.status, 200, JSON.stringify(json));
    return json.signedCertificateEmbeddedSct.chain.certificates.map((pem) => parsePemBlocks(pem)[0]!.der);
  }

  it('refuses development keys without --dev (exit 2, naming "fulgor ca init"), even copied without the DEVELOPMENT marker; --allow-dev-keys serves them with a warning', async () => {
    const dev = join(dir, 'dev');
    await createMissingDevKeys(dev);
    const marked = await refusal(['--keys-dir', dev]);
    assert.equal(marked.code, 2, marked.output);
    assert.match(marked.output, new RegExp(`${dev} holds development keys: ${join(dev, KEY_FILES.devMarker)} marks them`));
    assert.match(marked.output, /Create production keys with "fulgor ca init --keys-dir DIR --root-out OFFLINE-DIR".*--allow-dev-keys/);
    rmSync(join(dev, KEY_FILES.devMarker));
    const copied = await refusal(['--keys-dir', dev]);
    assert.equal(copied.code, 2, copied.output);
    assert.match(copied.output, /root certificate .*root-ca\.pem is the development CA's \(O=Fulgor Development, CN=Fulgor Development Root CA\).*fulgor ca init/);
    const { child, output } = await startServe(['--config-path', config, '--keys-dir', dev, '--allow-dev-keys']);
    try {
      assert.match(output(), /"level":"warn","msg":"serving development keys without --dev \(--allow-dev-keys\)/);
    } finally {
      await stopProcess(child);
    }
  });

  it('fulgor ct serve refuses development keys without --dev too (exit 2, naming "fulgor ca init"); --allow-dev-keys serves them with a warning', async () => {
    const dev = join(dir, 'dev-ct');
    await createMissingDevKeys(dev);
    const ctArgs = ['ct', 'serve', '--keys-dir', dev, '--ct-port', '0', '--ct-storage', 'memory'];
    const refused = await promisify(execFile)(process.execPath, [BIN, ...ctArgs]).then(
      () => assert.fail('ct serve started on development keys without --dev'),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, new RegExp(`${dev} holds development keys: ${join(dev, KEY_FILES.devMarker)} marks them.*fulgor ca init.*--allow-dev-keys`));
    const child = spawn(process.execPath, [BIN, ...ctArgs, '--allow-dev-keys'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const url = await until('ct serve to listen', () => /Fulgor CT log listening on (\S+)/.exec(out)?.[1]);
      assert.match(out, /"level":"warn","msg":"serving development keys without --dev \(--allow-dev-keys\)/);
      assert.equal((await fetch(`${url}/ct/v1/get-sth`)).status, 200);
    } finally {
      await stopProcess(child);
    }
  });

  it('serves a root -> policy CA -> issuing CA chain: certificates chain [leaf, issuing, policy, root] and verify, the trust bundle and rootCert hold the whole chain, the CT log accepts chains through every intermediate', async () => {
    const keys = await keysDir();
    const { chain } = keys;
    const { child, caUrl, output } = await startServe(['--config-path', config, '--keys-dir', keys.dir, '--strict-key-permissions']);
    try {
      assert.doesNotMatch(output(), /"level":"warn"/, 'production keys at 0600 in a 0700 directory: no warning');
      const certs = await issue(caUrl);
      assert.equal(certs.length, 4);
      assert.deepEqual(certs.slice(1), [chain.issuing, chain.policy, chain.root]);
      const x = certs.map((c) => new X509Certificate(c));
      for (let i = 0; i < x.length; i++) {
        const issuerCert = x[i + 1] ?? x[i]!;
        assert.ok(x[i]!.checkIssued(issuerCert), `certificate ${i} names certificate ${i + 1} as its issuer`);
        assert.ok(x[i]!.verify(issuerCert.publicKey), `certificate ${i} verifies under certificate ${i + 1}`);
      }
      assert.equal(x[0]!.subjectAltName, `email:${EMAIL}`);

      const pems = [chain.issuing, chain.policy, chain.root].map((c) => certToPem(c));
      const bundle = (await (await fetch(`${caUrl}/api/v2/trustBundle`)).json()) as { chains: { certificates: string[] }[] };
      assert.deepEqual(bundle.chains, [{ certificates: pems }]);
      assert.equal(await (await fetch(`${caUrl}/api/v1/rootCert`)).text(), pems.join('\n').trim());

      // The SCT embedded above came from the companion log (add-pre-chain through both intermediates); the final
      // certificate is accepted too, with the chain up to the policy CA (the log adds its root) or to the root.
      const ctUrl = /\(CT log (\S+)\)/.exec(output())![1]!;
      for (const submitted of [certs.slice(0, 3), certs]) {
        const res = await fetch(`${ctUrl}/ct/v1/add-chain`, { method: 'POST', body: JSON.stringify({ chain: submitted.map((c) => c.toString('base64')) }) });
        assert.equal(res.status, 200, await res.text());
      }
      const roots = (await (await fetch(`${ctUrl}/ct/v1/get-roots`)).json()) as { certificates: string[] };
      assert.deepEqual(roots.certificates, [chain.root.toString('base64')], 'the log accepts the root as its anchor');
      const sth = (await (await fetch(`${ctUrl}/ct/v1/get-sth`)).json()) as { tree_size: number };
      assert.ok(sth.tree_size >= 2, `the precertificate and the certificate are logged (${sth.tree_size})`);
    } finally {
      await stopProcess(child);
    }
  });

  it('warns about key files others can read, naming the file; --strict-key-permissions refuses them (exit 2)', async () => {
    const keys = await keysDir();
    const caKey = join(keys.dir, KEY_FILES.caKey);
    chmodSync(caKey, 0o644);
    const { child, output } = await startServe(['--config-path', config, '--keys-dir', keys.dir]);
    try {
      assert.match(output(), new RegExp(`"level":"warn","msg":"issuing CA key: key file ${caKey} is readable by its group and other users \\(mode 0644; chmod 600 ${caKey}\\) \\(--strict-key-permissions makes this an error\\)`));
    } finally {
      await stopProcess(child);
    }
    const strict = await refusal(['--keys-dir', keys.dir, '--strict-key-permissions']);
    assert.equal(strict.code, 2, strict.output);
    assert.match(strict.output, new RegExp(`fulgor: issuing CA key: key file ${caKey} is readable by its group and other users .*refusing to start \\(--strict-key-permissions\\)`));
  });

  it('refuses a CA key that is not the issuing certificate\'s, a corrupt key, and a CT log key that is not ctlog.pub.pem (exit 2, naming the file)', async () => {
    const keys = await keysDir();
    const caKey = join(keys.dir, KEY_FILES.caKey);
    const good = readFileSync(caKey, 'utf8');
    writeFileSync(caKey, privateKeyPem(generateSoftwareKey('ecdsa-p256')));
    const wrong = await refusal(['--keys-dir', keys.dir]);
    assert.equal(wrong.code, 2, wrong.output);
    assert.match(wrong.output, new RegExp(`fulgor: ${join(keys.dir, KEY_FILES.caCert)} \\(key: key file ${caKey}\\): the CA signing key does not match the issuing CA certificate .*rule "keyMatch"`));

    writeFileSync(caKey, good.replace(/\n[A-Za-z0-9+/]{8}/, '\n!!!!!!!!'));
    const corrupt = await refusal(['--keys-dir', keys.dir]);
    assert.equal(corrupt.code, 2, corrupt.output);
    assert.match(corrupt.output, new RegExp(`fulgor: issuing CA key: key file ${caKey}: the PRIVATE KEY block is corrupt`));
    assert.doesNotMatch(corrupt.output, /error:[0-9A-F]{8}/, 'no bare OpenSSL error code');

    writeFileSync(caKey, good);
    writeFileSync(join(keys.dir, KEY_FILES.ctKey), privateKeyPem(generateSoftwareKey('ecdsa-p256')));
    const ct = await refusal(['--keys-dir', keys.dir]);
    assert.equal(ct.code, 2, ct.output);
    assert.match(ct.output, new RegExp(`fulgor: CT log key \\(key file ${join(keys.dir, KEY_FILES.ctKey)}\\) does not match ${join(keys.dir, KEY_FILES.ctPub)}`));
  });

  it('refuses an issuing certificate that breaks the profile, naming the file and the rule (exit 2)', async () => {
    const keys = await keysDir({ issuing: { omit: ['subjectKeyIdentifier'] } });
    const r = await refusal(['--keys-dir', keys.dir]);
    assert.equal(r.code, 2, r.output);
    assert.match(r.output, new RegExp(`${join(keys.dir, KEY_FILES.caCert)} .*: the issuing CA certificate \\(O=Example Corp, CN=Example Corp Code Signing CA\\) has no subjectKeyIdentifier \\(rule "ski"`));
  });

  it('opens an encrypted CA key with --key-passphrase-file; without it, exit 2 naming the file and the flag', async () => {
    const keys = await keysDir({ passphrase: 'correct horse battery staple' });
    const caKey = join(keys.dir, KEY_FILES.caKey);
    assert.match(readFileSync(caKey, 'utf8'), /BEGIN ENCRYPTED PRIVATE KEY/);
    const none = await refusal(['--keys-dir', keys.dir]);
    assert.equal(none.code, 2, none.output);
    assert.match(none.output, new RegExp(`key file ${caKey} is encrypted and no passphrase was given \\(use --key-passphrase-file FILE or FULGOR_KEY_PASSPHRASE\\)`));
    const passFile = join(dir, 'passphrase');
    writeFileSync(passFile, 'correct horse battery staple\n', { mode: 0o600 });
    const { child, caUrl, output } = await startServe(['--config-path', config, '--keys-dir', keys.dir, '--key-passphrase-file', passFile]);
    try {
      assert.equal((await issue(caUrl)).length, 4);
      assert.doesNotMatch(output(), /correct horse/, 'the passphrase is never shown');
    } finally {
      await stopProcess(child);
    }
  });

  it('finds keys named by .key.uri files (relative to the keys dir) and by --ca-key; ct serve takes --ct-log-key', async () => {
    const keys = await keysDir();
    const elsewhere = mkdtempSync(join(tmpdir(), 'fulgor-elsewhere-'));
    try {
      const moved = join(elsewhere, 'issuing.pem');
      writeFileSync(moved, readFileSync(join(keys.dir, KEY_FILES.caKey)), { mode: 0o600 });
      rmSync(join(keys.dir, KEY_FILES.caKey));
      writeFileSync(join(keys.dir, 'ct-key.pem'), readFileSync(join(keys.dir, KEY_FILES.ctKey)), { mode: 0o600 });
      rmSync(join(keys.dir, KEY_FILES.ctKey));
      writeFileSync(join(keys.dir, KEY_URI_FILES.ctKey), 'file:ct-key.pem\n');
      const missing = await refusal(['--keys-dir', keys.dir]);
      assert.equal(missing.code, 2, missing.output);
      assert.match(missing.output, /missing .*intermediate-ca\.key\.pem \(bring the issuing CA key there, or reference the key in a \.key\.uri file/);
      const { child, caUrl } = await startServe(['--config-path', config, '--keys-dir', keys.dir, '--ca-key', `file:${moved}`]);
      try {
        assert.equal((await issue(caUrl)).length, 4);
      } finally {
        await stopProcess(child);
      }
      const bad = await refusal(['--keys-dir', keys.dir, '--ca-key', join(elsewhere, 'nope.pem')]);
      assert.equal(bad.code, 2, bad.output);
      assert.match(bad.output, new RegExp(`fulgor: issuing CA key \\(named by --ca-key\\): key file ${join(elsewhere, 'nope.pem')} does not exist`));

      const ct = await promisify(execFile)(process.execPath, [BIN, 'ct', 'serve', '--keys-dir', keys.dir, '--ct-port', '0', '--ct-storage', 'memory', '--ct-log-key', join(elsewhere, 'nope.pem')]).then(
        () => assert.fail('ct serve started on a missing key'),
        (e: { code: number; stderr: string }) => e,
      );
      assert.equal(ct.code, 2, ct.stderr);
      assert.match(ct.stderr, new RegExp(`CT log key \\(named by --ct-log-key\\): key file ${join(elsewhere, 'nope.pem')} does not exist`));
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('serves with the CA key given as --ca-key pkcs11:... and the CT log key in ctlog.key.uri, both in SoftHSM2 (PIN from a file)', async function () {
    const missing = softhsmMissing();
    if (missing) {
      console.log(`    [production keys, SoftHSM2] SKIPPED: ${missing}`);
      this.skip();
    }
    const keys = await keysDir();
    const token = await moveKeysIntoSoftHsm(keys.dir);
    try {
      rmSync(join(keys.dir, KEY_URI_FILES.caKey));
      // The child process finds the token through SOFTHSM2_CONF, which moveKeysIntoSoftHsm set in this process's env.
      // One process (--workers 1): its one "keys" line names both keys (with workers, the primary opens the CT key).
      const { child, caUrl, output } = await startServe(['--config-path', config, '--keys-dir', keys.dir, '--ca-key', token.caKeyUri, '--workers', '1']);
      try {
        const certs = await issue(caUrl);
        assert.ok(new X509Certificate(certs[0]!).verify(new X509Certificate(keys.chain.issuing).publicKey));
        assert.match(output(), /"caKey":"PKCS#11 token \\"fulgor\\" key labelled \\"issuing-ca\\"","ctLogKey":"PKCS#11 token \\"fulgor\\" key labelled \\"ctlog\\""/);
        assert.doesNotMatch(output(), /27182818/, 'the PIN is never shown');
      } finally {
        await stopProcess(child);
      }
    } finally {
      await token.close();
    }
  });
});
