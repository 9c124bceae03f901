// Bring your own PKI as a real process: `fulgor ca csr` makes the issuing key and its CSR, an "enterprise CA" made in
// the test (root -> policy CA) signs it, `fulgor ca import` checks every link and installs the chain; the result
// issues certificates through the real server. Each refusal names the rule the chain breaks.
import assert from 'node:assert/strict';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIssuingCa } from '../../ca/issuing-ca.js';
import { OID } from '../../ca/oids.js';
import { memoryLogger } from '../../lib/log.js';
import { certToPem, parsePemBlocks } from '../../lib/pem.js';
import { parseIdentityConfig } from '../../oidc/identity-compile.js';
import { serve } from '../../server/serve.js';
import { openSigner, readPrivateKeyFile } from '../../signer/index.js';
import { fulgor } from '../helpers/cli-process.js';
import { enterpriseChain, testRoot, testSubCa, type CaSpec } from '../helpers/enterprise-ca.js';
import { clientKey, v2Request } from '../helpers/fulgor.js';
import { startIssuer } from '../helpers/oidc-issuer.js';
import type { SigningBody } from '../helpers/response-body.js';
import { x509 } from '../helpers/x509.js';

const DAY = 86_400_000;
const certs = (path: string) => parsePemBlocks(readFileSync(path, 'utf8')).map((b) => b.der);
const csrSpki = (path: string) => Buffer.from(new x509.Pkcs10CertificateRequest(readFileSync(path, 'utf8')).publicKey.rawData);

describe('cli: fulgor ca csr + ca import (bring your own PKI)', function () {
  this.timeout(60_000);
  let work: string;
  let passFile: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'fulgor-ca-import-'));
    passFile = join(work, 'passphrase');
    writeFileSync(passFile, 'enterprise secret\n', { mode: 0o600 });
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  /** Writes CHAIN.pem and ROOT.pem into `dir` and returns the `ca import` arguments for them. */
  function chainFiles(dir: string, c: { chain: Buffer[]; root: Buffer }, name: string): string[] {
    const chain = join(dir, `${name}.chain.pem`);
    const root = join(dir, `${name}.root.pem`);
    writeFileSync(chain, c.chain.map((d) => certToPem(d)).join(''));
    writeFileSync(root, certToPem(c.root));
    return ['--chain', chain, '--root', root];
  }

  it('makes an encrypted issuing key and a CSR, then installs root -> policy CA -> issuing CA signed for it', async () => {
    const keys = join(work, 'enterprise', 'keys');
    const csr = join(work, 'enterprise', 'issuing.csr');
    const made = await fulgor('ca', 'csr', '--keys-dir', keys, '--out', csr, '--org', 'Acme Corp', '--common-name', 'Fulgor Issuing CA', '--passphrase-file', passFile);
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout, /Made the CT log key/);
    assert.match(made.stdout, /Timestamp authority: not created .*\n.*critical extendedKeyUsage timeStamping[\s\S]*tsa\.pem/);
    assert.deepEqual(readdirSync(keys).sort(), ['ctlog.key.pem', 'ctlog.pub.pem', 'intermediate-ca.key.pem']);
    assert.match(readFileSync(join(keys, 'intermediate-ca.key.pem'), 'utf8'), /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    const request = new x509.Pkcs10CertificateRequest(readFileSync(csr, 'utf8'));
    assert.ok(await request.verify());
    assert.equal(request.subject, 'O=Acme Corp, CN=Fulgor Issuing CA');
    const key = await readPrivateKeyFile(join(keys, 'intermediate-ca.key.pem'), { passphraseFile: passFile, env: {} });
    assert.ok(csrSpki(csr).equals(createPublicKey(key).export({ type: 'spki', format: 'der' })), 'the CSR is for the key in the keys directory');
    const twice = await fulgor('ca', 'csr', '--keys-dir', keys, '--out', join(work, 'enterprise', 'again.csr'));
    assert.match(twice.stderr, /refusing to overwrite .*intermediate-ca\.key\.pem/);

    const enterprise = await enterpriseChain(csrSpki(csr));
    const args = chainFiles(join(work, 'enterprise'), { ...enterprise, chain: [...enterprise.chain, enterprise.root] }, 'good');
    const locked = await fulgor('ca', 'import', '--keys-dir', keys, ...args);
    assert.notEqual(locked.code, 0);
    assert.match(locked.stderr, /is encrypted and no passphrase was given/);
    const res = await fulgor('ca', 'import', '--keys-dir', keys, ...args, '--passphrase-file', passFile);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /Installed the issuing CA \(2 certificates up to the root; the root at the end of the chain was left out\)/);
    assert.match(res.stdout, /Kept the CT log key/);
    assert.match(res.stdout, /Timestamp authority: not created/);
    assert.deepEqual(certs(join(keys, 'intermediate-ca.pem')), enterprise.chain, 'intermediate-ca.pem = [issuing CA, policy CA]');
    assert.deepEqual(certs(join(keys, 'root-ca.pem')), [enterprise.root]);
    // What ca/issuing-ca.ts (issuance) accepts: every link verifies and the key matches.
    const signer = await openSigner(join(keys, 'intermediate-ca.key.pem'), { passphraseFile: passFile, env: {} });
    createIssuingCa([...certs(join(keys, 'intermediate-ca.pem')), enterprise.root], signer);
    const again = await fulgor('ca', 'import', '--keys-dir', keys, ...args, '--passphrase-file', passFile);
    assert.match(again.stderr, /already has an issuing CA; to replace it use fulgor ca rotate/);
  });

  const shapes = [
    { name: 'enterprise root -> issuing CA', dir: 'served', policyCa: false },
    { name: 'root -> policy CA -> issuing CA', dir: 'served-deep', policyCa: true },
  ];
  for (const shape of shapes)
  it(`issues certificates through the real server with an imported chain (${shape.name})`, async () => {
    const keys = join(work, shape.dir, 'keys');
    const csr = join(work, shape.dir, 'issuing.csr');
    assert.equal((await fulgor('ca', 'csr', '--keys-dir', keys, '--out', csr)).code, 0);
    let chain: Buffer[], rootDer: Buffer;
    if (shape.policyCa) ({ chain, root: rootDer } = await enterpriseChain(csrSpki(csr)));
    else {
      const root = await testRoot({ commonName: 'Acme Root CA' });
      chain = [(await testSubCa(root, { commonName: 'Fulgor Issuing CA', pathLen: 0, eku: [OID.codeSigning] }, csrSpki(csr))).der];
      rootDer = root.der;
    }
    const res = await fulgor('ca', 'import', '--keys-dir', keys, ...chainFiles(join(work, shape.dir), { chain, root: rootDer }, 'chain'));
    assert.equal(res.code, 0, res.stderr);

    const oidc = await startIssuer('/mail');
    const running = await serve({
      host: '127.0.0.1',
      port: 0,
      ctPort: 0,
      keysDir: keys,
      dev: false,
      ctStorage: 'memory',
      identity: parseIdentityConfig(JSON.stringify({ OIDCIssuers: { [oidc.url]: { IssuerURL: oidc.url, ClientID: 'sigstore', Type: 'email' } } })),
      logger: memoryLogger(),
    });
    try {
      const r = await fetch(`${running.caUrl}/api/v2/signingCert`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(v2Request(await oidc.mint('email'), clientKey(), 'dev@example.com')),
      });
      const body = (await r.json()) as SigningBody;
      assert.equal(r.status, 200, JSON.stringify(body));
      const pems = body.signedCertificateEmbeddedSct.chain.certificates;
      assert.deepEqual(pems.slice(1).map((p) => parsePemBlocks(p)[0]!.der), [...chain, rootDer], 'the whole chain, up to the root');
      assert.ok(new X509Certificate(pems[0]!).verify(new X509Certificate(chain[0]!).publicKey), 'the leaf is signed by the imported issuing CA');
    } finally {
      await running.close();
      await oidc.close();
    }
  });

  describe('refusals: each names the rule the chain breaks, and nothing is installed', () => {
    let keys: string;
    let spki: Buffer;
    before(async () => {
      keys = join(work, 'refusals', 'keys');
      const csr = join(work, 'refusals', 'issuing.csr');
      assert.equal((await fulgor('ca', 'csr', '--keys-dir', keys, '--out', csr)).code, 0);
      spki = csrSpki(csr);
    });
    after(() => assert.ok(!existsSync(join(keys, 'intermediate-ca.pem')) && !existsSync(join(keys, 'root-ca.pem'))));

    const cases: [string, { root?: Partial<CaSpec>; policy?: Partial<CaSpec>; issuing?: Partial<CaSpec> } | 'other-key', RegExp][] = [
      ['not a CA', { policy: { ca: false } }, /chain\[1\] \(CN=Acme Policy CA\): basicConstraints cA is not TRUE/],
      ['pathLen exceeded', { policy: { pathLen: 0 } }, /chain\[1\] \(CN=Acme Policy CA\): basicConstraints pathLenConstraint 0 is exceeded: 1 CA certificate below it/],
      ['no keyCertSign', { issuing: { keyUsage: 0x80 } }, /chain\[0\] \(CN=Fulgor Issuing CA\): keyUsage lacks keyCertSign/],
      ['wrong EKU', { issuing: { eku: ['1.3.6.1.5.5.7.3.1'] } }, /chain\[0\] \(CN=Fulgor Issuing CA\): extendedKeyUsage \(1\.3\.6\.1\.5\.5\.7\.3\.1\) lacks codeSigning/],
      ['expired', { policy: { notBefore: new Date(Date.now() - 60 * DAY), notAfter: new Date(Date.now() - DAY) } }, /chain\[1\] \(CN=Acme Policy CA\): expired \(notAfter /],
      ['key mismatch', 'other-key', /chain\[0\] \(CN=Fulgor Issuing CA\): its public key is not the issuing key .*intermediate-ca\.key\.pem/],
      ['broken signature', { issuing: { breakSignature: true } }, /chain\[0\] \(CN=Fulgor Issuing CA\): its signature does not verify with the key of chain\[1\] \(CN=Acme Policy CA\)/],
    ];
    for (const [rule, over, message] of cases)
      it(`refuses ${rule}`, async () => {
        const other = (await testRoot({ commonName: 'unrelated' })).signer.spki;
        const c = over === 'other-key' ? await enterpriseChain(other) : await enterpriseChain(spki, over);
        const res = await fulgor('ca', 'import', '--keys-dir', keys, ...chainFiles(join(work, 'refusals'), c, rule.replace(/\W/g, '-')));
        assert.notEqual(res.code, 0);
        assert.match(res.stderr, /^fulgor: ca import refused \S+: /);
        assert.match(res.stderr, message);
        assert.ok(!existsSync(join(keys, 'intermediate-ca.pem')));
      });

    it('refuses before ca csr made a key, saying what to run', async () => {
      const c = await enterpriseChain(spki);
      const res = await fulgor('ca', 'import', '--keys-dir', join(work, 'empty'), ...chainFiles(join(work, 'refusals'), c, 'nokey'));
      assert.match(res.stderr, /holds no issuing CA key .* fulgor ca csr first/);
    });
  });
});
