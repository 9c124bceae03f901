import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { createCertificateAuthority } from '../../../ca/authority.js';
import { clientKeyFromSpki } from '../../../ca/client-key.js';
import { createDevCa } from '../../../ca/dev-ca.js';
import { createIssuingCa } from '../../../ca/issuing-ca.js';
import { children, decodeOid, encodeOid, parse, readNode, sequence, tlv } from '../../../lib/der.js';
import { fixedClock } from '../../../lib/clock.js';
import { keySigner } from '../../../lib/signer.js';
import { parseCertificate } from '../../../lib/x509.js';
import type { Principal } from '../../../oidc/principal.js';
import { compressedP256 } from '../../helpers/malicious-keys.js';
import { fulcioExtensions, x509 } from '../../helpers/x509.js';

const NOW = new Date('2026-11-27T10:00:00.750Z');

/** The TBS of `der` with every extension of `oid` removed (by re-encoding children, which is exact for DER). */
function tbsWithout(der: Buffer, oid: string): Buffer {
  const tbs = children(parse(der))[0]!;
  const fields = children(tbs).map((f) => {
    if (f.tag !== 0xa3) return f.raw;
    const exts = children(readNode(f.content)).filter((e) => decodeOid(children(e)[0]!.content) !== oid);
    return tlv(0xa3, sequence(...exts.map((e) => e.raw)));
  });
  return sequence(...fields);
}

const principal: Principal = {
  name: 'repo:acme/app:ref:refs/heads/main',
  san: { kind: 'uri', value: 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main' },
  extensions: {
    issuer: 'https://token.actions.githubusercontent.com',
    githubWorkflowTrigger: 'push',
    buildSignerUri: 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main',
    subject: 'repo:acme/app:ref:refs/heads/main',
  },
};

describe('ca/authority: the leaf profile', () => {
  let dev: Awaited<ReturnType<typeof createDevCa>>;
  before(async () => {
    dev = await createDevCa({ now: NOW });
  });

  async function issue(p: Principal = principal, submitted?: Buffer) {
    const ca = createCertificateAuthority(createIssuingCa([dev.intermediate, dev.root], keySigner(dev.intermediateKey)), {
      clock: fixedClock(NOW),
    });
    const spki = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' });
    const pre = await ca.precertificate(p, clientKeyFromSpki(submitted ?? spki));
    const sctList = Buffer.from('0005000301020', 'hex');
    const final = await ca.finalize(pre, sctList);
    return { pre: pre.der, final, spki, sctList };
  }

  it('issues a 10-minute code-signing leaf with Fulcio’s profile', async () => {
    const { final, spki } = await issue();
    const node = new X509Certificate(final);
    assert.ok(node.verify(new X509Certificate(dev.intermediate).publicKey), 'signed by the intermediate');
    assert.equal(new x509.X509Certificate(final).subject, '', 'empty subject');
    assert.equal(node.ca, false);
    assert.deepEqual(node.keyUsage, ['1.3.6.1.5.5.7.3.3']);
    assert.equal(new Date(node.validFrom).toISOString(), '2026-11-27T10:00:00.000Z');
    assert.equal(new Date(node.validTo).getTime() - new Date(node.validFrom).getTime(), 600_000);
    assert.ok(node.publicKey.export({ type: 'spki', format: 'der' }).equals(spki));

    const cert = new x509.X509Certificate(final);
    const serial = BigInt('0x' + cert.serialNumber);
    assert.ok(serial > 2n ** 64n, 'serial has at least 64 random bits');
    const oids = cert.extensions.map((e) => e.type);
    assert.deepEqual([...oids.slice(0, 5)], ['2.5.29.15', '2.5.29.37', '2.5.29.14', '2.5.29.35', '2.5.29.17']);
    assert.equal(oids[oids.length - 1], '1.3.6.1.4.1.11129.2.4.2');
    const ku = cert.getExtension(x509.KeyUsagesExtension)!;
    assert.equal(ku.critical, true);
    assert.equal(ku.usages, x509.KeyUsageFlags.digitalSignature);
    const san = cert.getExtension(x509.SubjectAlternativeNameExtension)!;
    assert.equal(san.critical, true);
    assert.deepEqual(san.names.toJSON(), [{ type: 'url', value: principal.san.value }]);
    const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension)!;
    const bits = children(parse(spki))[1]!.content.subarray(1);
    assert.equal(ski.keyId, createHash('sha1').update(bits).digest('hex'));
    const aki = cert.getExtension(x509.AuthorityKeyIdentifierExtension)!;
    const interSki = new x509.X509Certificate(dev.intermediate).getExtension(x509.SubjectKeyIdentifierExtension)!;
    assert.equal(aki.keyId, interSki.keyId);
    assert.equal(cert.issuer, new x509.X509Certificate(dev.intermediate).subject);
  });

  it('writes Fulcio extensions with their exact encodings, .1 raw and .8+ as UTF8String', async () => {
    const cert = new x509.X509Certificate((await issue()).final);
    assert.deepEqual(fulcioExtensions(cert), {
      1: 'https://token.actions.githubusercontent.com',
      2: 'push',
      8: 'https://token.actions.githubusercontent.com',
      9: principal.extensions.buildSignerUri,
      24: 'repo:acme/app:ref:refs/heads/main',
    });
    const one = cert.getExtension('1.3.6.1.4.1.57264.1.1')!;
    assert.equal(one.critical, false);
    assert.equal(Buffer.from(one.value)[0], 0x68, '.1 starts with the raw "h", no tag');
  });

  it('puts the poison last in the precertificate, and the final TBS minus the SCT list equals it minus the poison', async () => {
    const { pre, final, sctList } = await issue();
    const precert = new x509.X509Certificate(pre);
    const last = precert.extensions[precert.extensions.length - 1]!;
    assert.equal(last.type, '1.3.6.1.4.1.11129.2.4.3');
    assert.equal(last.critical, true);
    assert.equal(Buffer.from(last.value).toString('hex'), '0500');
    const poisonDer = Buffer.from('3013060a2b06010401d6790204030101ff04020500', 'hex');
    assert.ok(pre.includes(poisonDer), 'poison bytes exactly as RFC 6962');
    assert.ok(
      tbsWithout(pre, '1.3.6.1.4.1.11129.2.4.3').equals(tbsWithout(final, '1.3.6.1.4.1.11129.2.4.2')),
      'TBS equality',
    );
    const sctExt = new x509.X509Certificate(final).getExtension('1.3.6.1.4.1.11129.2.4.2')!;
    assert.equal(sctExt.critical, false);
    assert.ok(Buffer.from(sctExt.value).equals(Buffer.concat([Buffer.from([0x04, sctList.length]), sctList])));
  });

  it('gives every certificate its own 20-octet positive serial, across refills of the random pool (4 KiB: ~200 serials)', async () => {
    const ca = createCertificateAuthority(createIssuingCa([dev.intermediate, dev.root], keySigner(dev.intermediateKey)), { clock: fixedClock(NOW) });
    const key = clientKeyFromSpki(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' }));
    const serials = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const { parts } = await ca.precertificate(principal, key);
      assert.equal(parts.serial.length, 22, 'INTEGER tag, length, 20 octets');
      assert.equal(parts.serial[2]! & 0xc0, 0x40, 'positive, top octet never zero');
      serials.add(parts.serial.toString('hex'));
    }
    assert.equal(serials.size, 500);
  });

  it('encodes email and username SANs', async () => {
    const email = new x509.X509Certificate(
      (await issue({ ...principal, san: { kind: 'email', value: 'dev@example.com' } })).final,
    );
    assert.deepEqual(email.getExtension(x509.SubjectAlternativeNameExtension)!.names.toJSON(), [
      { type: 'email', value: 'dev@example.com' },
    ]);
    const user = (await issue({ ...principal, san: { kind: 'otherName', value: 'alice!example.com' } })).final;
    const prefix = Buffer.concat([encodeOid('1.3.6.1.4.1.57264.1.7'), Buffer.from([0xa0])]);
    assert.ok(user.includes(prefix));
    assert.ok(user.includes(Buffer.from('alice!example.com')));
  });

  it('certifies the canonical SPKI of a client key sent compressed: uncompressed point, named curve, SKI over it', async () => {
    const k = compressedP256();
    const { pre, final } = await issue(principal, k.spki);
    for (const der of [pre, final]) {
      const cert = parseCertificate(der);
      assert.ok(cert.spki.equals(k.uncompressedSpki), 'uncompressed named-curve SPKI');
      assert.ok(!der.includes(k.spki.subarray(k.spki.length - 33)), 'the compressed point appears nowhere');
    }
    const ski = new x509.X509Certificate(final).getExtension(x509.SubjectKeyIdentifierExtension)!;
    const point = k.uncompressedSpki.subarray(k.uncompressedSpki.length - 65);
    assert.equal(ski.keyId, createHash('sha1').update(point).digest('hex'));
    assert.ok(new X509Certificate(final).publicKey.export({ type: 'spki', format: 'der' }).equals(k.uncompressedSpki));
  });

  it('refuses a principal without an issuer', async () => {
    await assert.rejects(issue({ ...principal, extensions: { issuer: '' } }), { code: 'MISSING_CLAIM' });
  });

  it('checks the configured chain at start', async () => {
    const other = await createDevCa({ now: NOW });
    assert.throws(() => createIssuingCa([dev.intermediate, dev.root], keySigner(other.intermediateKey)), /does not match/);
    assert.throws(() => createIssuingCa([dev.intermediate, other.root], keySigner(dev.intermediateKey)), /not signed/);
  });
});
