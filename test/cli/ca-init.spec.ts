// `fulgor ca init` as a real process: the production key ceremony, with key files (encrypted) and with SoftHSM2.
import assert from 'node:assert/strict';
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePemBlocks } from '../../lib/pem.js';
import { openSigner, readPrivateKeyFile } from '../../signer/index.js';
import { createSoftHsm, SOFTHSM_MODULE, softhsmMissing, type SoftHsm } from '../../signer/softhsm.js';
import { fulgor } from '../helpers/cli-process.js';
import { startServe, stopProcess } from '../helpers/serve-process.js';
import { readTimestampResponse, timestampQuery } from '../helpers/timestamp.js';
import { x509 } from '../helpers/x509.js';

const CODE_SIGNING = '1.3.6.1.5.5.7.3.3';
const YEAR_MS = 365 * 86_400_000;

const certs = (path: string) => parsePemBlocks(readFileSync(path, 'utf8')).map((b) => b.der);
const sha256 = (der: Buffer) => createHash('sha256').update(der).digest('hex');
/** The fingerprint printed after `label` (e.g. "root CA"), as lowercase hex without colons. */
function printedFingerprint(stdout: string, label: string): string {
  const m = new RegExp(`${label}\\s.*\\n.*\\n\\s*SHA-256 fingerprint ([0-9A-F:]+)`).exec(stdout);
  assert.ok(m, `no fingerprint for ${label} in:\n${stdout}`);
  return m[1]!.replace(/:/g, '').toLowerCase();
}

describe('cli: fulgor ca init (the key ceremony)', function () {
  this.timeout(120_000);
  let work: string;
  let passFile: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'fulgor-ca-init-'));
    passFile = join(work, 'passphrase');
    writeFileSync(passFile, 'correct horse battery staple\n', { mode: 0o600 });
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('makes an encrypted root key under --root-out only, an issuing CA and CT log key in --keys-dir, and prints both fingerprints', async () => {
    const keys = join(work, 'files', 'keys');
    const offline = join(work, 'files', 'offline');
    const res = await fulgor('ca', 'init', '--keys-dir', keys, '--root-out', offline, '--org', 'Acme Corp', '--common-name', 'Acme Signing CA', '--passphrase-file', passFile);
    assert.equal(res.code, 0, res.stderr);

    // Where each key lives: the root key only offline, none of it (nor a development marker) in the keys directory.
    assert.deepEqual(readdirSync(offline).sort(), ['root-ca.key.pem', 'root-ca.pem']);
    assert.deepEqual(readdirSync(keys).sort(), ['ctlog.key.pem', 'ctlog.pub.pem', 'intermediate-ca.key.pem', 'intermediate-ca.pem', 'root-ca.pem', 'tsa.key.pem', 'tsa.pem']);
    for (const f of [join(offline, 'root-ca.key.pem'), join(keys, 'intermediate-ca.key.pem'), join(keys, 'ctlog.key.pem'), join(keys, 'tsa.key.pem')]) {
      assert.match(readFileSync(f, 'utf8'), /^-----BEGIN ENCRYPTED PRIVATE KEY-----/, f);
      assert.equal(statSync(f).mode & 0o777, 0o600, f);
    }
    await assert.rejects(readPrivateKeyFile(join(offline, 'root-ca.key.pem'), { env: {} }), /encrypted and no passphrase/);
    const secrets = { passphraseFile: passFile, env: {} };
    const rootKey = await readPrivateKeyFile(join(offline, 'root-ca.key.pem'), secrets);
    const issuingKey = await readPrivateKeyFile(join(keys, 'intermediate-ca.key.pem'), secrets);
    const ctKey = await readPrivateKeyFile(join(keys, 'ctlog.key.pem'), secrets);

    // The chain: intermediate-ca.pem is the issuing CA alone (a two-level CA), root-ca.pem the anchor, in both places.
    const [rootDer] = certs(join(keys, 'root-ca.pem'));
    assert.deepEqual(certs(join(offline, 'root-ca.pem')), [rootDer]);
    const chain = certs(join(keys, 'intermediate-ca.pem'));
    assert.equal(chain.length, 1);
    const root = new X509Certificate(rootDer!);
    const issuing = new X509Certificate(chain[0]!);
    assert.ok(root.verify(root.publicKey), 'the root is self-signed');
    assert.ok(issuing.verify(root.publicKey), 'the issuing CA is signed by the root');
    assert.ok(issuing.checkIssued(root));
    assert.ok(root.publicKey.equals(createPublicKey(rootKey)), 'the offline key is the root key');
    assert.ok(issuing.publicKey.equals(createPublicKey(issuingKey)), 'the issuing key is the issuing CA key');
    assert.ok(createPublicKey(readFileSync(join(keys, 'ctlog.pub.pem'), 'utf8')).equals(createPublicKey(ctKey)), 'ctlog.pub.pem is the CT key');
    assert.equal(root.subject, 'O=Acme Corp\nCN=Acme Corp Root CA');
    assert.equal(issuing.subject, 'O=Acme Corp\nCN=Acme Signing CA');

    // The fingerprints printed are the SHA-256 of the files' DER.
    assert.equal(printedFingerprint(res.stdout, 'root CA'), sha256(rootDer!));
    assert.equal(printedFingerprint(res.stdout, 'issuing CA'), sha256(chain[0]!));
    assert.match(res.stdout, new RegExp(`Distribute ${join(keys, 'root-ca.pem').replace(/[/.]/g, '\\$&')}`));
    assert.match(res.stdout, /take it offline/);

    // The profiles (read with @peculiar/x509, not our DER code).
    const r = new x509.X509Certificate(rootDer!);
    const i = new x509.X509Certificate(chain[0]!);
    const rbc = r.getExtension(x509.BasicConstraintsExtension)!;
    assert.deepEqual([rbc.ca, rbc.pathLength, rbc.critical], [true, 1, true]);
    assert.equal(r.getExtension(x509.KeyUsagesExtension)!.usages, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    assert.equal(r.getExtension(x509.ExtendedKeyUsageExtension), null);
    const ibc = i.getExtension(x509.BasicConstraintsExtension)!;
    assert.deepEqual([ibc.ca, ibc.pathLength, ibc.critical], [true, 0, true]);
    const iku = i.getExtension(x509.KeyUsagesExtension)!;
    assert.deepEqual([iku.usages, iku.critical], [x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true]);
    assert.deepEqual([...i.getExtension(x509.ExtendedKeyUsageExtension)!.usages], [CODE_SIGNING]);
    assert.equal(i.getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId, r.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId);
    assert.ok(i.getExtension(x509.SubjectKeyIdentifierExtension));

    // The timestamp authority: its own encrypted key, a certificate signed by the root with the TSA profile, its fingerprint printed.
    const tsaChain = certs(join(keys, 'tsa.pem'));
    assert.equal(tsaChain.length, 1, 'tsa.pem: the TSA certificate (issued by the root, which stays in root-ca.pem)');
    const tsaCert = new X509Certificate(tsaChain[0]!);
    assert.ok(tsaCert.verify(root.publicKey) && tsaCert.checkIssued(root), 'the TSA certificate is signed by the root');
    assert.ok(tsaCert.publicKey.equals(createPublicKey(await readPrivateKeyFile(join(keys, 'tsa.key.pem'), secrets))), 'tsa.key.pem is the TSA key');
    assert.equal(tsaCert.subject, 'O=Acme Corp\nCN=Acme Corp Timestamp Authority');
    assert.equal(printedFingerprint(res.stdout, 'TSA'), sha256(tsaChain[0]!));
    const t = new x509.X509Certificate(tsaChain[0]!);
    const teku = t.getExtension(x509.ExtendedKeyUsageExtension)!;
    assert.deepEqual([[...teku.usages], teku.critical], [['1.3.6.1.5.5.7.3.8'], true]);
    const tku = t.getExtension(x509.KeyUsagesExtension)!;
    assert.deepEqual([tku.usages, tku.critical], [x509.KeyUsageFlags.digitalSignature, true]);
    assert.equal(t.getExtension(x509.BasicConstraintsExtension)!.ca, false);
    assert.equal(t.getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId, r.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId);
    // Default validities: 10 years and 3 years (calendar years: 365 or 366 days each).
    const years = (c: x509.X509Certificate) => (c.notAfter.getTime() - c.notBefore.getTime()) / YEAR_MS;
    assert.ok(Math.abs(years(r) - 10) < 0.01, `root ${years(r)} years`);
    assert.ok(Math.abs(years(i) - 3) < 0.01, `issuing ${years(i)} years`);
    assert.ok(r.notBefore.getTime() <= Date.now());
  });

  it('after ca init, fulgor serve (production keys, passphrase file) answers /api/v1/timestamp with tokens signed by tsa.pem, and trust export lists the TSA', async () => {
    const keys = join(work, 'files', 'keys');
    const config = join(work, 'identity.json');
    writeFileSync(config, JSON.stringify({ OIDCIssuers: {} }));
    const [tsaLeaf] = certs(join(keys, 'tsa.pem'));
    const [rootDer] = certs(join(keys, 'root-ca.pem'));
    const served = await startServe(['--config-path', config, '--keys-dir', keys, '--key-passphrase-file', passFile, '--strict-key-permissions']);
    try {
      const data = Buffer.from('signature over an artifact');
      const res = await fetch(`${served.caUrl}/api/v1/timestamp`, { method: 'POST', headers: { 'content-type': 'application/timestamp-query' }, body: timestampQuery({ data, certReq: true }) });
      assert.equal(res.status, 201);
      const p = readTimestampResponse(Buffer.from(await res.arrayBuffer()));
      assert.equal(p.status, 0);
      const v = await p.signedData!.verify({ signer: 0, data: new Uint8Array(data).buffer, extendedMode: true, checkChain: false });
      assert.equal(v.signatureVerified, true);
      assert.deepEqual(Buffer.from(v.signerCertificate!.toSchema().toBER()), tsaLeaf);
    } finally {
      await stopProcess(served.child);
    }
    const out = join(work, 'files', 'export');
    const exported = await fulgor('trust', 'export', '--keys-dir', keys, '--out', out, '--ca-url', 'https://fulgor.acme.example', '--ct-log-url', 'https://ct.acme.example', '--ct-log-public-key', join(keys, 'ctlog.pub.pem'), '--tuf-keys-dir', join(work, 'files', 'tuf-keys'));
    assert.equal(exported.code, 0, exported.stderr);
    const trusted = JSON.parse(readFileSync(join(out, 'trusted_root.json'), 'utf8')) as { timestampAuthorities: Array<{ uri: string; certChain: { certificates: Array<{ rawBytes: string }> } }> };
    assert.equal(trusted.timestampAuthorities.length, 1);
    assert.equal(trusted.timestampAuthorities[0]!.uri, 'https://fulgor.acme.example/api/v1/timestamp');
    assert.deepEqual(trusted.timestampAuthorities[0]!.certChain.certificates.map((c) => Buffer.from(c.rawBytes, 'base64')), [tsaLeaf, rootDer]);
  });

  it('refuses to overwrite existing keys (naming them) and leaves them untouched; refuses --root-out inside --keys-dir', async () => {
    const keys = join(work, 'files', 'keys');
    const offline = join(work, 'files', 'offline');
    const before = Object.fromEntries(readdirSync(keys).map((f) => [f, readFileSync(join(keys, f), 'utf8')]));
    const res = await fulgor('ca', 'init', '--keys-dir', keys, '--root-out', join(work, 'other-offline'), '--passphrase-file', passFile);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /refusing to overwrite .*intermediate-ca\.key\.pem/);
    assert.ok(!existsSync(join(work, 'other-offline', 'root-ca.key.pem')), 'no root key made when refusing');
    for (const [f, text] of Object.entries(before)) assert.equal(readFileSync(join(keys, f), 'utf8'), text, f);
    const again = await fulgor('ca', 'init', '--keys-dir', join(work, 'fresh'), '--root-out', offline);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /refusing to overwrite .*root-ca\.key\.pem/);
    assert.ok(!existsSync(join(work, 'fresh', 'intermediate-ca.key.pem')));
    const inside = await fulgor('ca', 'init', '--keys-dir', join(work, 'in'), '--root-out', join(work, 'in', 'root'));
    assert.notEqual(inside.code, 0);
    assert.match(inside.stderr, /inside --keys-dir/);
    const dev = await fulgor('ca', 'init', '--keys-dir', join(work, 'dev'), '--root-out', join(work, 'dev-root'), '--org', 'Fulgor Development');
    assert.match(dev.stderr, /development CA/);
    const bad = await fulgor('ca', 'init', '--keys-dir', join(work, 'bad'), '--root-out', join(work, 'bad-root'), '--root-validity', '10 years');
    assert.match(bad.stderr, /--root-validity "10 years": give a duration such as 10y, 3y, 90d or 12h/);
    const longer = await fulgor('ca', 'init', '--keys-dir', join(work, 'bad'), '--root-out', join(work, 'bad-root'), '--root-validity', '90d', '--intermediate-validity', '1y');
    assert.match(longer.stderr, /cannot outlive its root/);
    assert.ok(!existsSync(join(work, 'bad', 'intermediate-ca.pem')));
  });

  for (const [algorithm, check] of [
    ['ecdsa-p384', (k: ReturnType<typeof createPublicKey>) => assert.equal(k.asymmetricKeyDetails?.namedCurve, 'secp384r1')],
    ['rsa-3072', (k: ReturnType<typeof createPublicKey>) => assert.equal(k.asymmetricKeyDetails?.modulusLength, 3072)],
    ['rsa-4096', (k: ReturnType<typeof createPublicKey>) => assert.equal(k.asymmetricKeyDetails?.modulusLength, 4096)],
  ] as const) {
    it(`makes a ${algorithm} CA (unencrypted without --passphrase-file, saying so; durations in days and hours)`, async () => {
      const keys = join(work, algorithm, 'keys');
      const res = await fulgor('ca', 'init', '--keys-dir', keys, '--root-out', join(work, algorithm, 'root'), '--algorithm', algorithm, '--root-validity', '90d', '--intermediate-validity', '12h');
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stderr, /NOT encrypted/);
      const root = new X509Certificate(certs(join(keys, 'root-ca.pem'))[0]!);
      const issuing = new X509Certificate(certs(join(keys, 'intermediate-ca.pem'))[0]!);
      check(root.publicKey);
      check(issuing.publicKey);
      assert.ok(issuing.verify(root.publicKey));
      const ms = (c: X509Certificate) => Date.parse(c.validTo) - Date.parse(c.validFrom);
      assert.equal(ms(root), 90 * 86_400_000);
      assert.equal(ms(issuing), 12 * 3_600_000);
      assert.match(readFileSync(join(keys, 'intermediate-ca.key.pem'), 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
      // The CT log key is ECDSA P-256 whatever the CA's algorithm (what RFC 6962 clients expect).
      assert.equal(createPublicKey(readFileSync(join(keys, 'ctlog.pub.pem'), 'utf8')).asymmetricKeyDetails?.namedCurve, 'prime256v1');
    });
  }

  describe('with the issuing CA and CT log keys in a SoftHSM2 token', () => {
    let hsm: SoftHsm;
    before(async function () {
      const missing = softhsmMissing();
      if (missing) {
        console.log(`    [ca init pkcs11] SKIPPED: ${missing} (Debian/Ubuntu: apt-get install softhsm2)`);
        this.skip();
      }
      hsm = await createSoftHsm(); // sets SOFTHSM2_CONF, which the child process inherits
      await hsm.initToken('fulgor', '24681357');
    });
    after(async () => hsm?.close());

    it('generates the keys inside the token and records their URIs in the keys directory', async () => {
      const pin = join(work, 'pin');
      writeFileSync(pin, '24681357\n', { mode: 0o600 });
      const uri = (object: string) => `pkcs11:token=fulgor;object=${object}?module-path=${SOFTHSM_MODULE}&pin-source=file:${pin}`;
      const keys = join(work, 'hsm', 'keys');
      const offline = join(work, 'hsm', 'offline');
      const res = await fulgor('ca', 'init', '--keys-dir', keys, '--root-out', offline, '--algorithm', 'ecdsa-p384', '--passphrase-file', passFile, '--ca-key', uri('issuing-ca'), '--ct-log-key', uri('ctlog'), '--tsa-key', uri('tsa'));
      assert.equal(res.code, 0, res.stderr);
      assert.deepEqual(readdirSync(keys).sort(), ['ctlog.key.uri', 'ctlog.pub.pem', 'intermediate-ca.key.uri', 'intermediate-ca.pem', 'root-ca.pem', 'tsa.key.uri', 'tsa.pem']);
      assert.deepEqual(readdirSync(offline).sort(), ['root-ca.key.pem', 'root-ca.pem']);
      const recorded = readFileSync(join(keys, 'intermediate-ca.key.uri'), 'utf8').trim();
      assert.match(recorded, /^pkcs11:token=fulgor;object=issuing-ca;id=(%[0-9a-f]{2}){16}\?module-path=.*&pin-source=file:/);
      assert.match(res.stdout, /in the token, non-extractable/);
      const signer = await openSigner(recorded);
      const ctSigner = await openSigner(readFileSync(join(keys, 'ctlog.key.uri'), 'utf8').trim());
      const tsaSigner = await openSigner(readFileSync(join(keys, 'tsa.key.uri'), 'utf8').trim());
      try {
        const tsaCert = new X509Certificate(certs(join(keys, 'tsa.pem'))[0]!);
        assert.ok(tsaCert.publicKey.export({ type: 'spki', format: 'der' }).equals(tsaSigner.spki), 'the TSA certificate is for the token key');
        const issuing = new X509Certificate(certs(join(keys, 'intermediate-ca.pem'))[0]!);
        assert.ok(issuing.publicKey.export({ type: 'spki', format: 'der' }).equals(signer.spki), 'the certificate is for the token key');
        assert.equal(issuing.publicKey.asymmetricKeyDetails?.namedCurve, 'secp384r1');
        assert.ok(issuing.verify(new X509Certificate(certs(join(keys, 'root-ca.pem'))[0]!).publicKey));
        const ctPub = createPublicKey(readFileSync(join(keys, 'ctlog.pub.pem'), 'utf8')).export({ type: 'spki', format: 'der' });
        assert.ok(ctPub.equals(ctSigner.spki));
      } finally {
        await signer.close();
        await ctSigner.close();
        await tsaSigner.close();
      }
      // A second ceremony against the same token labels is refused by the token, and leaves no files behind.
      const again = await fulgor('ca', 'init', '--keys-dir', join(work, 'hsm2', 'keys'), '--root-out', join(work, 'hsm2', 'offline'), '--ca-key', uri('issuing-ca'));
      assert.notEqual(again.code, 0);
      assert.match(again.stderr, /already holds an object labelled "issuing-ca"/);
      assert.deepEqual(readdirSync(join(work, 'hsm2', 'keys')), []);
      assert.deepEqual(readdirSync(join(work, 'hsm2', 'offline')), []);
    });
  });
});
