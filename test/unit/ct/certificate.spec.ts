import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import {
  basicConstraints,
  extendedKeyUsages,
  findExtension,
  isPrecertificate,
  isSignedBy,
  keyUsageBits,
  parseCertificate,
  precertTbs,
  precertTbsParts,
} from '../../../ct/certificate.js';
import { encodeOid, octetString, sequence } from '../../../lib/der.js';
import { extensionsWithout } from '../../../lib/x509.js';
import { keySigner } from '../../../lib/signer.js';
import { createDevCa } from '../../../ca/dev-ca.js';
import {
  basicConstraintsExtension,
  CODE_SIGNING,
  extension,
  keyUsageExtension,
  makeCert,
  makePki,
  name,
  POISON,
} from './helpers.js';

describe('ct/certificate', () => {
  it('parses the fields of a certificate', async () => {
    const pki = await makePki();
    const cert = parseCertificate(pki.intermediate.der);
    assert.ok(cert.issuer.equals(pki.root.name));
    assert.ok(cert.subject.equals(pki.intermediate.name));
    assert.ok(cert.spki.equals(pki.intermediate.signer.spki));
    assert.equal(cert.signatureAlgorithm, '1.2.840.10045.4.3.2');
    assert.equal(cert.notBefore.toISOString(), '2025-01-01T00:00:00.000Z');
    assert.deepEqual(cert.extensions.map((e) => [e.oid, e.critical]), [['2.5.29.19', true], ['2.5.29.17', false]]);
    assert.ok(isSignedBy(cert, pki.root.signer.spki));
    assert.ok(!isSignedBy(cert, pki.intermediate.signer.spki));
  });

  it('reads basicConstraints (cA, pathLenConstraint) and keyUsage bits, and refuses malformed ones', async () => {
    const signer = keySigner(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
    const cert = (exts: Buffer[]) =>
      makeCert({ subject: 'x', issuerName: name('x'), issuerSigner: signer, subjectSpki: signer.spki, exactExtensions: exts }).then(parseCertificate);
    const plain = await cert([]);
    assert.equal(basicConstraints(plain), undefined);
    assert.equal(keyUsageBits(plain), null);
    assert.deepEqual(basicConstraints(await cert([basicConstraintsExtension(true)])), { ca: true });
    assert.deepEqual(basicConstraints(await cert([basicConstraintsExtension(true, 0)])), { ca: true, pathLen: 0 });
    assert.deepEqual(basicConstraints(await cert([basicConstraintsExtension(true, 200)])), { ca: true, pathLen: 200 });
    assert.deepEqual(basicConstraints(await cert([basicConstraintsExtension(false)])), { ca: false });
    assert.deepEqual(basicConstraints(await cert([extension('2.5.29.19', Buffer.from('30030101ff', 'hex'))])), { ca: true });
    assert.deepEqual([...keyUsageBits(await cert([keyUsageExtension(0x04)]))!], [5]);
    assert.deepEqual([...keyUsageBits(await cert([keyUsageExtension(0x86)]))!], [0, 5, 6]);
    assert.deepEqual([...keyUsageBits(await cert([keyUsageExtension(0x80)]))!], [0]);
    for (const bad of ['30030101aa', '3003020180', '300402020001', '3006020100020100', '0400']) {
      await assert.rejects(cert([extension('2.5.29.19', Buffer.from(bad, 'hex'))]).then(basicConstraints), Error, bad);
    }
    for (const bad of ['0300', '03020804', '0402ffff']) {
      await assert.rejects(cert([extension('2.5.29.15', Buffer.from(bad, 'hex'))]).then(keyUsageBits), Error, bad);
    }
  });

  it('the development CA is a CA: root and intermediate carry cA and keyCertSign', async () => {
    const ca = await createDevCa();
    for (const der of [ca.root, ca.intermediate]) {
      const cert = parseCertificate(der);
      assert.equal(basicConstraints(cert)?.ca, true);
      assert.ok(keyUsageBits(cert)?.has(5));
    }
    assert.equal(basicConstraints(parseCertificate(ca.intermediate))?.pathLen, 0);
  });

  it('reads the EKU list', async () => {
    const pki = await makePki();
    assert.deepEqual(extendedKeyUsages(parseCertificate(await pki.leaf())), [CODE_SIGNING]);
    assert.equal(extendedKeyUsages(parseCertificate(pki.root.der)), null);
  });

  it('removes the poison from the raw TBS, keeping every other byte', async () => {
    const pki = await makePki();
    const fixed = { serial: 77, notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2026-01-01T00:10:00Z') };
    const precert = parseCertificate(await pki.leaf({ ...fixed, trailing: [POISON] }));
    assert.ok(isPrecertificate(precert));
    const stripped = precertTbs(precert);
    assert.ok(stripped.equals(pki.leafTbs(fixed)));
    assert.ok(precert.tbs.length - stripped.length >= POISON.length);
    // As parts: the same bytes, the kept fields as views of the submitted certificate (nothing copied).
    const parts = precertTbsParts(precert);
    assert.ok(Buffer.concat(parts).equals(stripped));
    assert.ok(parts.some((p) => p.length > 100 && p.buffer === precert.der.buffer));
    // poison in the middle: order of the others kept
    const mid = parseCertificate(await pki.leaf({ ...fixed, trailing: [POISON, extension('1.2.3.4', Buffer.from('0500', 'hex'))] }));
    assert.ok(precertTbs(mid).equals(pki.leafTbs({ ...fixed, trailing: [extension('1.2.3.4', Buffer.from('0500', 'hex'))] })));
    const plain = parseCertificate(await pki.leaf());
    assert.throws(() => precertTbs(plain), /no poison/);
  });

  it('rejects a non-critical or non-NULL poison', async () => {
    const pki = await makePki();
    const nonCritical = parseCertificate(await pki.leaf({ trailing: [extension('1.3.6.1.4.1.11129.2.4.3', Buffer.from('0500', 'hex'))] }));
    assert.throws(() => isPrecertificate(nonCritical), /critical/);
    const badValue = parseCertificate(await pki.leaf({ trailing: [extension('1.3.6.1.4.1.11129.2.4.3', Buffer.from('0400', 'hex'), true)] }));
    assert.throws(() => isPrecertificate(badValue), /NULL/);
    assert.equal(isPrecertificate(parseCertificate(await pki.leaf())), false);
  });

  it('rejects non-DER and malformed input', async () => {
    const pki = await makePki();
    const explicitFalse = sequence(encodeOid('1.2.3.4'), Buffer.from('010100', 'hex'), octetString(Buffer.from('0500', 'hex')));
    const withFalse = await pki.leaf({ exactExtensions: [explicitFalse] });
    assert.throws(() => parseCertificate(withFalse), /DER TRUE/);
    assert.throws(() => parseCertificate(Buffer.from('300100', 'hex')));
    assert.throws(() => parseCertificate(Buffer.concat([pki.root.der, Buffer.from([0])])), /trailing/);
    const dup = extension('1.2.3.4', Buffer.from('0500', 'hex'));
    const duplicated = await pki.leaf({ exactExtensions: [dup, dup] });
    assert.throws(() => parseCertificate(duplicated), /duplicate/);
  });

  it('finds each extension by its encoded OID as the full list has it, and refuses malformed extensions with the same messages', async () => {
    const pki = await makePki();
    const exts = [
      extension('1.3.6.1.4.1.57264.1.8', Buffer.from('0c0161', 'hex')),
      POISON,
      extension('1.3.6.1.4.1.57264.1.9', Buffer.from('0c0162', 'hex'), true),
      extension('2.25.329800735698586629295641978511506172918', Buffer.from('0500', 'hex')),
    ];
    const cert = parseCertificate(await pki.leaf({ trailing: exts }));
    // Looked up first (before anything made the whole list), then compared with the full list.
    const oids = ['1.3.6.1.4.1.57264.1.9', '1.3.6.1.4.1.11129.2.4.3', '2.25.329800735698586629295641978511506172918', '2.5.29.37', '1.3.6.1.4.1.57264.1.8'];
    const found = oids.map((oid) => findExtension(cert, oid));
    assert.equal(findExtension(cert, '1.3.6.1.4.1.57264.1.10'), undefined);
    assert.equal(findExtension(cert, 'not an oid'), undefined);
    oids.forEach((oid, i) => assert.deepEqual(found[i], cert.extensions.find((e) => e.oid === oid), oid));
    assert.ok(found.every((e) => e !== undefined));
    assert.equal(found[0]!.critical, true);
    assert.ok(found[0]!.value.equals(Buffer.from('0c0162', 'hex')));
    // Without the poison: the other extensions' bytes, in order.
    assert.ok(Buffer.concat(extensionsWithout(cert, '1.3.6.1.4.1.11129.2.4.3')!).equals(Buffer.concat(cert.extensions.filter((e) => e.oid !== '1.3.6.1.4.1.11129.2.4.3').map((e) => e.raw))));
    assert.equal(extensionsWithout(cert, '1.2.3.4'), undefined);

    const cases: [Buffer, RegExp][] = [
      [sequence(encodeOid('1.2.3.4')), /expected extension 1\.2\.3\.4 value/],
      [sequence(Buffer.from('0400', 'hex')), /expected extension OID/],
      [sequence(Buffer.from('0601', 'hex')), /DER|truncated/],
      [sequence(Buffer.from('0600', 'hex'), octetString(Buffer.from('05', 'hex'))), /empty OID/],
      [sequence(Buffer.from('06028001', 'hex'), octetString(Buffer.from('05', 'hex'))), /non-minimal OID arc/],
      [sequence(Buffer.from('060181', 'hex'), octetString(Buffer.from('05', 'hex'))), /truncated OID/],
      [sequence(encodeOid('1.2.3.4'), Buffer.from('0101ff', 'hex')), /1\.2\.3\.4: malformed/],
      [sequence(encodeOid('1.2.3.4'), Buffer.from('0500', 'hex'), Buffer.from('0500', 'hex')), /1\.2\.3\.4: unexpected field/],
      [sequence(encodeOid('1.2.3.4'), Buffer.from('0101ff', 'hex'), octetString(Buffer.from('05', 'hex')), Buffer.from('0500', 'hex')), /1\.2\.3\.4: malformed/],
      [sequence(encodeOid('1.2.3.4'), Buffer.from('010101', 'hex'), octetString(Buffer.from('05', 'hex'))), /DER TRUE/],
      [sequence(encodeOid('1.2.3.4'), Buffer.from('0500', 'hex')), /expected extension 1\.2\.3\.4 value/],
      [Buffer.from('0400', 'hex'), /expected Extension/],
    ];
    for (const [ext, message] of cases) {
      const der = await pki.leaf({ exactExtensions: [ext] });
      assert.throws(() => parseCertificate(der), message, ext.toString('hex'));
    }
  });

  it('verifies Ed25519 and RSA signatures too', async () => {
    for (const kp of [
      generateKeyPairSync('ed25519'),
      generateKeyPairSync('rsa', { modulusLength: 2048 }),
    ]) {
      const signer = keySigner(kp.privateKey);
      const der = await makeCert({ subject: 'x', issuerName: name('x'), issuerSigner: signer, subjectSpki: signer.spki });
      const cert = parseCertificate(der);
      assert.ok(isSignedBy(cert, signer.spki));
      assert.ok(!isSignedBy(cert, keySigner(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey).spki));
    }
  });
});

