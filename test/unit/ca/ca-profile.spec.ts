import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { createCaCsr } from '../../../ca/ca-csr.js';
import { createIssuingCaCertificate, createRootCertificate } from '../../../ca/ca-profile.js';
import { checkCsr } from '../../../ca/csr.js';
import { encodeName } from '../../../ca/name.js';
import { toPem } from '../../../lib/pem.js';
import { keySigner } from '../../../lib/signer.js';
import { x509 } from '../../helpers/x509.js';

const DAY = 86_400_000;
const CODE_SIGNING = '1.3.6.1.5.5.7.3.3';

describe('ca/ca-profile: the production root and issuing CA profiles, and the issuing key CSR', () => {
  const now = Math.floor(Date.now() / 1000) * 1000;
  const rootSigner = keySigner(generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey);
  const issuingSigner = keySigner(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
  const rootValidity = { notBefore: new Date(now), notAfter: new Date(now + 3650 * DAY) };

  it('makes a self-signed root: CA (pathLen as asked), critical keyCertSign + cRLSign, SKI, no EKU, 160-bit serial', async () => {
    const der = await createRootCertificate({ subject: encodeName({ organization: 'Acme', commonName: 'Acme Root' }), signer: rootSigner, validity: rootValidity, pathLen: 1 });
    const root = new x509.X509Certificate(der);
    assert.equal(root.subject, 'O=Acme, CN=Acme Root');
    assert.equal(root.issuer, root.subject);
    assert.ok(await root.verify({ publicKey: root.publicKey, signatureOnly: true }));
    const bc = root.getExtension(x509.BasicConstraintsExtension)!;
    assert.deepEqual([bc.ca, bc.pathLength, bc.critical], [true, 1, true]);
    const ku = root.getExtension(x509.KeyUsagesExtension)!;
    assert.equal(ku.usages, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    assert.ok(ku.critical);
    assert.ok(root.getExtension(x509.SubjectKeyIdentifierExtension));
    assert.equal(root.getExtension(x509.ExtendedKeyUsageExtension), null);
    assert.equal(root.serialNumber.length, 40, 'a 20-byte serial');
    assert.ok(parseInt(root.serialNumber.slice(0, 2), 16) < 0x80, 'positive');
    assert.equal(root.notAfter.getTime(), rootValidity.notAfter.getTime());
    const noLimit = new x509.X509Certificate(await createRootCertificate({ subject: encodeName({ commonName: 'R' }), signer: rootSigner, validity: rootValidity }));
    assert.equal(noLimit.getExtension(x509.BasicConstraintsExtension)!.pathLength, undefined);
  });

  it('makes an issuing CA under it: CA pathLen 0, keyCertSign + cRLSign, EKU codeSigning, SKI, AKI = the root SKI', async () => {
    const rootDer = await createRootCertificate({ subject: encodeName({ organization: 'Acme', commonName: 'Acme Root' }), signer: rootSigner, validity: rootValidity });
    const der = await createIssuingCaCertificate({
      subject: encodeName({ organization: 'Acme', commonName: 'Acme Issuing CA' }),
      spki: issuingSigner.spki,
      issuerCert: rootDer,
      issuerSigner: rootSigner,
      validity: { notBefore: new Date(now), notAfter: new Date(now + 1095 * DAY) },
    });
    assert.ok(new X509Certificate(der).verify(new X509Certificate(rootDer).publicKey));
    const cert = new x509.X509Certificate(der);
    const root = new x509.X509Certificate(rootDer);
    assert.equal(cert.issuer, root.subject);
    const bc = cert.getExtension(x509.BasicConstraintsExtension)!;
    assert.deepEqual([bc.ca, bc.pathLength, bc.critical], [true, 0, true]);
    assert.equal(cert.getExtension(x509.KeyUsagesExtension)!.usages, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    assert.deepEqual([...cert.getExtension(x509.ExtendedKeyUsageExtension)!.usages], [CODE_SIGNING]);
    assert.equal(
      cert.getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId,
      root.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId,
    );
    assert.ok(Buffer.from(cert.publicKey.rawData).equals(issuingSigner.spki));
  });

  it('refuses an issuing CA that would outlive its root, or a signer that is not the root key', async () => {
    const rootDer = await createRootCertificate({ subject: encodeName({ commonName: 'R' }), signer: rootSigner, validity: rootValidity });
    const base = { subject: encodeName({ commonName: 'I' }), spki: issuingSigner.spki, issuerCert: rootDer };
    await assert.rejects(
      createIssuingCaCertificate({ ...base, issuerSigner: rootSigner, validity: { notBefore: new Date(now), notAfter: new Date(now + 3651 * DAY) } }),
      /would outlive its issuer/,
    );
    await assert.rejects(
      createIssuingCaCertificate({ ...base, issuerSigner: issuingSigner, validity: { notBefore: new Date(now), notAfter: new Date(now + DAY) } }),
      /issuer key does not match/,
    );
  });

  for (const [name, key] of [
    ['ecdsa-p384', generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey],
    ['rsa-3072', generateKeyPairSync('rsa', { modulusLength: 3072 }).privateKey],
  ] as const) {
    it(`builds a PKCS#10 request for a ${name} issuing key that verifies and asks for the issuing CA profile`, async () => {
      const signer = keySigner(key);
      const der = await createCaCsr({ subject: encodeName({ organization: 'Acme', commonName: 'Fulgor Issuing CA' }), signer });
      const pem = toPem(der, 'CERTIFICATE REQUEST');
      const csr = new x509.Pkcs10CertificateRequest(pem);
      assert.ok(await csr.verify(), 'self-signature verifies (@peculiar/x509)');
      assert.equal(csr.subject, 'O=Acme, CN=Fulgor Issuing CA');
      assert.ok(Buffer.from(csr.publicKey.rawData).equals(signer.spki));
      const ext = <T>(type: new (...args: never[]) => T): T => csr.extensions.find((e): e is x509.Extension & T => e instanceof type)!;
      const bc = ext(x509.BasicConstraintsExtension);
      assert.deepEqual([bc.ca, bc.pathLength], [true, 0]);
      assert.deepEqual([...ext(x509.ExtendedKeyUsageExtension).usages], [CODE_SIGNING]);
      assert.equal(ext(x509.KeyUsagesExtension).usages, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
      assert.ok(checkCsr(pem).spki.equals(signer.spki), 'and our own CSR reader accepts it');
    });
  }
});
