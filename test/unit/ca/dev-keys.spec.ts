import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMissingDevKeys } from '../../../ca/dev-keys.js';
import { KEY_FILES, loadKeys, spkiDer, spkiPem } from '../../../config/keys-dir.js';
import { x509 } from '../../helpers/x509.js';

describe('ca/dev-keys: development keys are created by ca/, read by config/', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fulgor-dev-keys-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates every missing file (keys 0600), and the result is a working CA chain and CT log key', async () => {
    const keysDir = join(dir, 'nested', 'keys');
    const created = await createMissingDevKeys(keysDir);
    assert.deepEqual([...created].sort(), Object.values(KEY_FILES).sort());
    assert.deepEqual(readdirSync(keysDir).sort(), Object.values(KEY_FILES).sort());
    for (const f of created) assert.equal(statSync(join(keysDir, f)).mode & 0o777, f.includes('.key.') ? 0o600 : 0o644, f);

    const keys = loadKeys(keysDir);
    const [intermediate, root] = keys.caChain.map((der) => new X509Certificate(der));
    assert.ok(intermediate!.verify(root!.publicKey), 'the intermediate is signed by the root');
    assert.ok(intermediate!.ca && root!.ca);
    assert.equal(keys.caKey.from, join(keysDir, KEY_FILES.caKey), 'the CA key is the key file');
    const caKey = createPrivateKey(readFileSync(join(keysDir, KEY_FILES.caKey)));
    assert.ok(intermediate!.publicKey.equals(createPublicKey(caKey)), 'the CA key belongs to the intermediate');
    const ctKey = createPrivateKey(readFileSync(join(keysDir, KEY_FILES.ctKey)));
    assert.equal(spkiPem(ctKey), readFileSync(join(keysDir, KEY_FILES.ctPub), 'utf8'), 'ctlog.pub.pem is the CT key');
    assert.ok(keys.ctPublicKey?.equals(spkiDer(ctKey)));
    assert.match(keys.development ?? '', /DEVELOPMENT marks them as development keys/);
    assert.equal(keys.devOidcKey?.asymmetricKeyType, 'rsa');
  });

  it('makes a P-384 development CA on request (the bench\'s P-384 row), signed with ECDSA SHA-384', async () => {
    await createMissingDevKeys(dir, { caCurve: 'secp384r1' });
    const keys = loadKeys(dir);
    const [intermediate, root] = keys.caChain.map((der) => new X509Certificate(der));
    for (const cert of [intermediate!, root!]) assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'secp384r1');
    assert.ok(intermediate!.verify(root!.publicKey), 'the intermediate is signed by the root');
    assert.equal(new x509.X509Certificate(keys.caChain[0]!).signatureAlgorithm.hash.name, 'SHA-384', 'ecdsa-with-SHA384');
  });

  it('reuses what is there: a second run creates nothing, a lost CT key is recreated alone', async () => {
    await createMissingDevKeys(dir);
    const before = Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
    assert.deepEqual(await createMissingDevKeys(dir), []);
    rmSync(join(dir, KEY_FILES.ctKey));
    rmSync(join(dir, KEY_FILES.ctPub));
    assert.deepEqual((await createMissingDevKeys(dir)).sort(), [KEY_FILES.ctKey, KEY_FILES.ctPub].sort());
    for (const f of [KEY_FILES.rootCert, KEY_FILES.rootKey, KEY_FILES.caCert, KEY_FILES.caKey, KEY_FILES.devOidcKey])
      assert.equal(readFileSync(join(dir, f), 'utf8'), before[f], `${f} kept`);
    assert.notEqual(readFileSync(join(dir, KEY_FILES.ctKey), 'utf8'), before[KEY_FILES.ctKey]);
  });

  it('creates the TSA certificate under the root (critical EKU timeStamping only, critical KU digitalSignature, not a CA) and its key', async () => {
    await createMissingDevKeys(dir);
    const keys = loadKeys(dir);
    assert.ok(keys.tsa, 'loadKeys reads tsa.pem and tsa.key.pem');
    assert.equal(keys.tsa.chain.length, 1, 'tsa.pem: the TSA certificate, no root');
    const tsa = new X509Certificate(keys.tsa.chain[0]!);
    const root = new X509Certificate(keys.caChain[1]!);
    assert.ok(tsa.verify(root.publicKey) && tsa.checkIssued(root), 'issued by the development root');
    assert.deepEqual(keys.tsa.root, keys.caChain[1]);
    assert.equal(tsa.ca, false);
    assert.deepEqual(tsa.keyUsage, ['1.3.6.1.5.5.7.3.8']);
    assert.equal(keys.tsa.key.uri, `file:${join(dir, KEY_FILES.tsaKey)}`);
    assert.ok(tsa.publicKey.equals(createPublicKey(readFileSync(join(dir, KEY_FILES.tsaKey), 'utf8'))));
    const cert = new x509.X509Certificate(keys.tsa.chain[0]!);
    const eku = cert.getExtension('2.5.29.37')!;
    assert.equal(eku.critical, true);
    const ku = cert.getExtension(x509.KeyUsagesExtension)!;
    assert.equal(ku.critical, true);
    assert.equal(ku.usages, x509.KeyUsageFlags.digitalSignature);
    assert.equal(cert.getExtension(x509.BasicConstraintsExtension)?.ca, false);
  });

  it('a keys dir without the TSA files loads without a TSA (older keys dirs); half a pair is an error naming the file', async () => {
    await createMissingDevKeys(dir);
    rmSync(join(dir, KEY_FILES.tsaCert));
    rmSync(join(dir, KEY_FILES.tsaKey));
    assert.equal(loadKeys(dir).tsa, undefined);
    rmSync(join(dir, KEY_FILES.rootKey));
    assert.deepEqual(await createMissingDevKeys(dir), [], 'no root key: no TSA certificate can be issued');
    writeFileSync(join(dir, KEY_FILES.tsaKey), readFileSync(join(dir, KEY_FILES.caKey)));
    assert.throws(() => loadKeys(dir), (e: Error) => e.message.includes(join(dir, KEY_FILES.tsaCert)));
  });
});
