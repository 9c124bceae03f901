import assert from 'node:assert/strict';
import { isSignedBy, parseCertificate } from '../../../ct/certificate.js';
import { MAX_CHAIN_LENGTH, validateChain, validateChainButLeafSignature, type ChainPolicy } from '../../../ct/chain.js';
import { CtError } from '../../../ct/errors.js';
import {
  basicConstraintsExtension,
  CODE_SIGNING,
  extension,
  keyUsageExtension,
  makeCert,
  makePki,
  newKey,
  name,
  POISON,
  PRECERT_SIGNING,
  type CertSpec,
  type TestPki,
} from './helpers.js';
import { keySigner, type Signer } from '../../../lib/signer.js';
import { createDevCa } from '../../../ca/dev-ca.js';

const rejects400 = (fn: () => unknown, message: RegExp): void =>
  assert.throws(fn, (e: unknown) => e instanceof CtError && e.status === 400 && message.test(e.message));

describe('ct/chain', () => {
  let pki: TestPki;
  let policy: ChainPolicy;
  const now = (): Date => new Date();

  before(async () => {
    pki = await makePki();
    policy = { roots: [parseCertificate(pki.root.der)] };
  });

  it('accepts a full chain and a chain that stops below the root (appending the root)', async () => {
    const leaf = await pki.leaf();
    const full = validateChain([leaf, pki.intermediate.der, pki.root.der], 'add-chain', policy, now());
    assert.equal(full.chain.length, 3);
    const short = validateChain([leaf, pki.intermediate.der], 'add-chain', policy, now());
    assert.deepEqual(short.chain.map((c) => c.der), [leaf, pki.intermediate.der, pki.root.der]);
    const pre = await pki.leaf({ trailing: [POISON] });
    assert.ok(validateChain([pre, pki.intermediate.der], 'add-pre-chain', policy, now()).leaf.der.equals(pre));
  });

  it('rejects a bad signature', async () => {
    const other = await makePki();
    const leafOfOther = await other.leaf();
    rejects400(() => validateChain([leafOfOther, pki.intermediate.der, pki.root.der], 'add-chain', policy, now()), /not signed by chain\[1\]/);
    const corrupt = Buffer.from(await pki.leaf());
    corrupt[corrupt.length - 5]! ^= 0x01;
    rejects400(() => validateChain([corrupt, pki.intermediate.der], 'add-chain', policy, now()), /not signed/);
  });

  it('rejects an unknown root', async () => {
    const other = await makePki();
    const leaf = await other.leaf();
    rejects400(() => validateChain([leaf, other.intermediate.der, other.root.der], 'add-chain', policy, now()), /accepted roots/);
    rejects400(() => validateChain([leaf, other.intermediate.der], 'add-chain', policy, now()), /accepted roots/);
  });

  it('rejects an empty chain and garbage', () => {
    rejects400(() => validateChain([], 'add-chain', policy, now()), /empty/);
    rejects400(() => validateChain([Buffer.from('3000', 'hex')], 'add-chain', policy, now()), /chain\[0\] is not a valid DER certificate/);
  });

  it('enforces the poison rules per endpoint', async () => {
    const pre = await pki.leaf({ trailing: [POISON] });
    rejects400(() => validateChain([pre, pki.intermediate.der], 'add-chain', policy, now()), /precert mismatch/);
    const plain = await pki.leaf();
    rejects400(() => validateChain([plain, pki.intermediate.der], 'add-pre-chain', policy, now()), /precert mismatch/);
    const nonCritical = await pki.leaf({ trailing: [extension('1.3.6.1.4.1.11129.2.4.3', Buffer.from('0500', 'hex'))] });
    rejects400(() => validateChain([nonCritical, pki.intermediate.der], 'add-pre-chain', policy, now()), /must be critical/);
  });

  it('filters on EKU (code signing by default, configurable, or off)', async () => {
    const serverAuth = await pki.leaf({ ekus: ['1.3.6.1.5.5.7.3.1'] });
    rejects400(() => validateChain([serverAuth, pki.intermediate.der], 'add-chain', policy, now()), /extended key usage/);
    const noEku = await makeCert({ subject: 'no eku', issuerName: pki.intermediate.name, issuerSigner: pki.intermediate.signer, subjectSpki: pki.leafSpki, notBefore: new Date(Date.now() - 1000) });
    rejects400(() => validateChain([noEku, pki.intermediate.der], 'add-chain', policy, now()), /extended key usage/);
    assert.ok(validateChain([serverAuth, pki.intermediate.der], 'add-chain', { ...policy, extKeyUsages: ['1.3.6.1.5.5.7.3.1'] }, now()));
    assert.ok(validateChain([noEku, pki.intermediate.der], 'add-chain', { ...policy, extKeyUsages: null }, now()));
  });

  it('rejects expired and not-yet-valid leaves, with a one-minute allowance', async () => {
    const expired = await pki.leaf({ notBefore: new Date(Date.now() - 7_200_000), notAfter: new Date(Date.now() - 3_600_000) });
    rejects400(() => validateChain([expired, pki.intermediate.der], 'add-chain', policy, now()), /expired/);
    const future = await pki.leaf({ notBefore: new Date(Date.now() + 3_600_000), notAfter: new Date(Date.now() + 7_200_000) });
    rejects400(() => validateChain([future, pki.intermediate.der], 'add-chain', policy, now()), /not valid before/);
    const slightlyFuture = await pki.leaf({ notBefore: new Date(Date.now() + 20_000) });
    assert.ok(validateChain([slightlyFuture, pki.intermediate.der], 'add-chain', policy, now()));
  });

  it('rejects precertificates issued by a Precertificate Signing Certificate', async () => {
    const pscPki = await makePki({ intermediateEkus: [PRECERT_SIGNING] });
    const pre = await pscPki.leaf({ trailing: [POISON] });
    rejects400(
      () => validateChain([pre, pscPki.intermediate.der], 'add-pre-chain', { roots: [parseCertificate(pscPki.root.der)] }, now()),
      /Precertificate Signing Certificate/,
    );
  });

  it('accepts a configured root submitted alone, subject to the same leaf checks', async () => {
    const signer = keySigner(newKey());
    const selfSigned = await makeCert({ subject: 'self', issuerName: name('self'), issuerSigner: signer, subjectSpki: signer.spki, ekus: ['1.3.6.1.5.5.7.3.3'] });
    const p = { roots: [parseCertificate(selfSigned)] };
    assert.equal(validateChain([selfSigned], 'add-chain', p, new Date('2030-01-01')).chain.length, 1);
    rejects400(() => validateChain([selfSigned], 'add-chain', p, new Date('2036-01-01')), /expired/);
  });

  describe('issuers must be CAs (name chaining plus a signature is not issuance)', () => {
    const FIFTY_YEARS = 50 * 365 * 86_400_000;
    /** A certificate "issued" by the leaf's key, with the leaf's subject as issuer name: what any leaf holder can make. */
    const forged = (p: TestPki, o: Partial<CertSpec> = {}): Promise<Buffer> =>
      makeCert({
        subject: 'forged',
        issuerName: name('leaf'),
        issuerSigner: p.leafSigner,
        subjectSpki: keySigner(newKey()).spki,
        ekus: [CODE_SIGNING],
        notBefore: new Date(Date.now() - 60_000),
        notAfter: new Date(Date.now() + FIFTY_YEARS),
        ...o,
      });

    it('refuses a certificate signed by a leaf, on both endpoints, also once the leaf has expired', async () => {
      const leaf = await pki.leaf();
      const expired = await pki.leaf({ notBefore: new Date(Date.now() - 7_200_000), notAfter: new Date(Date.now() - 3_600_000) });
      const forgedCert = await forged(pki);
      const forgedPrecert = await forged(pki, { trailing: [POISON] });
      for (const signer of [leaf, expired]) {
        rejects400(() => validateChain([forgedCert, signer, pki.intermediate.der], 'add-chain', policy, now()), /chain\[1\] is not a CA certificate/);
        rejects400(
          () => validateChain([forgedPrecert, signer, pki.intermediate.der, pki.root.der], 'add-pre-chain', policy, now()),
          /chain\[1\] is not a CA certificate/,
        );
      }
    });

    /** An intermediate under the test root with the given extensions (plus a SAN), and a leaf under it. */
    async function underIntermediate(extensions: Buffer[], o: Partial<CertSpec> = {}): Promise<{ inter: Buffer; leaf: Buffer; signer: Signer }> {
      const signer = keySigner(newKey());
      const inter = await makeCert({ subject: 'Odd CA', issuerName: pki.root.name, issuerSigner: pki.root.signer, subjectSpki: signer.spki, trailing: extensions, ...o });
      const leaf = await makeCert({ subject: 'leaf', issuerName: name('Odd CA'), issuerSigner: signer, subjectSpki: pki.leafSpki, ekus: [CODE_SIGNING], notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 600_000) });
      return { inter, leaf, signer };
    }

    it('refuses an intermediate without cA, with a keyUsage lacking keyCertSign, or not valid now', async () => {
      const noBc = await underIntermediate([]);
      rejects400(() => validateChain([noBc.leaf, noBc.inter], 'add-chain', policy, now()), /chain\[1\] is not a CA certificate/);
      const notCa = await underIntermediate([basicConstraintsExtension(false)]);
      rejects400(() => validateChain([notCa.leaf, notCa.inter, pki.root.der], 'add-chain', policy, now()), /chain\[1\] is not a CA certificate/);
      const signOnly = await underIntermediate([basicConstraintsExtension(true), keyUsageExtension(0x80)]);
      rejects400(() => validateChain([signOnly.leaf, signOnly.inter], 'add-chain', policy, now()), /chain\[1\] has a keyUsage without keyCertSign/);
      const expired = await underIntermediate([basicConstraintsExtension(true)], { notBefore: new Date(Date.now() - 7_200_000), notAfter: new Date(Date.now() - 3_600_000) });
      rejects400(() => validateChain([expired.leaf, expired.inter], 'add-chain', policy, now()), /chain\[1\] expired/);
      const future = await underIntermediate([basicConstraintsExtension(true)], { notBefore: new Date(Date.now() + 3_600_000) });
      rejects400(() => validateChain([future.leaf, future.inter], 'add-chain', policy, now()), /chain\[1\] is not valid before/);
      const malformed = await underIntermediate([extension('2.5.29.19', Buffer.from('30030101aa', 'hex'), true)]);
      rejects400(() => validateChain([malformed.leaf, malformed.inter], 'add-chain', policy, now()), /malformed basicConstraints in chain\[1\]/);
      const good = await underIntermediate([basicConstraintsExtension(true, 0), keyUsageExtension(0x06)]);
      assert.equal(validateChain([good.leaf, good.inter], 'add-chain', policy, now()).chain.length, 3);
    });

    it('checks the leaf every time once a chain above it was verified, and the issuers\' validity at each submission', async () => {
      const soon = await underIntermediate([basicConstraintsExtension(true)], { notAfter: new Date(Date.now() + 300_000) });
      for (let i = 0; i < 2; i++) assert.equal(validateChain([soon.leaf, soon.inter, pki.root.der], 'add-chain', policy, now()).chain.length, 3);
      const stranger = await makeCert({ subject: 'leaf', issuerName: name('Odd CA'), issuerSigner: keySigner(newKey()), subjectSpki: pki.leafSpki, ekus: [CODE_SIGNING] });
      rejects400(() => validateChain([stranger, soon.inter, pki.root.der], 'add-chain', policy, now()), /chain\[0\] is not signed by chain\[1\]/);
      const notCa = await makeCert({ subject: 'leaf', issuerName: name('Odd CA'), issuerSigner: soon.signer, subjectSpki: pki.leafSpki, ekus: [CODE_SIGNING], notAfter: new Date(Date.now() - 1000) });
      rejects400(() => validateChain([notCa, soon.inter, pki.root.der], 'add-chain', policy, now()), /leaf certificate expired/);
      rejects400(() => validateChain([soon.leaf, soon.inter, pki.root.der], 'add-chain', policy, new Date(Date.now() + 400_000)), /chain\[1\] expired/);
    });

    it('leaves only a cached chain\'s leaf signature to the caller, and checks everything else as validateChain does', async () => {
      const ca = await underIntermediate([basicConstraintsExtension(true)]);
      const chain = [ca.leaf, ca.inter, pki.root.der];
      // First sight of the chain: verified in full here, nothing is left.
      const first = validateChainButLeafSignature(chain, 'add-chain', policy, now());
      assert.equal(first.leafSignature, undefined);
      assert.equal(first.chain.length, 3);
      // A stranger's leaf under a chain never seen before is refused here too.
      const other = await underIntermediate([basicConstraintsExtension(true)]);
      const strangerUnderNew = await makeCert({ subject: 'leaf', issuerName: name('Odd CA'), issuerSigner: keySigner(newKey()), subjectSpki: pki.leafSpki, ekus: [CODE_SIGNING] });
      rejects400(() => validateChainButLeafSignature([strangerUnderNew, other.inter, pki.root.der], 'add-chain', policy, now()), /chain\[0\] is not signed by chain\[1\]/);
      // Cached: the leaf's signature is handed back, with chain[1]'s key, for the caller to verify.
      const again = validateChainButLeafSignature(chain, 'add-chain', policy, now());
      assert.ok(again.leafSignature, 'a cached chain leaves its leaf signature to the caller');
      assert.ok(again.leafSignature.issuerSpki.equals(parseCertificate(ca.inter).spki));
      assert.ok(again.leafSignature.leaf.der.equals(ca.leaf));
      assert.equal(isSignedBy(again.leafSignature.leaf, again.leafSignature.issuerSpki), true);
      const stranger = await makeCert({ subject: 'leaf', issuerName: name('Odd CA'), issuerSigner: keySigner(newKey()), subjectSpki: pki.leafSpki, ekus: [CODE_SIGNING] });
      const forged = validateChainButLeafSignature([stranger, ca.inter, pki.root.der], 'add-chain', policy, now());
      assert.equal(isSignedBy(forged.leafSignature!.leaf, forged.leafSignature!.issuerSpki), false, 'what is left is the check that refuses it');
      // What is not the signature is still refused here: another issuer name, an expired leaf, a wrong endpoint.
      const renamed = await makeCert({ subject: 'leaf', issuerName: name('Another CA'), issuerSigner: ca.signer, subjectSpki: pki.leafSpki, ekus: [CODE_SIGNING] });
      rejects400(() => validateChainButLeafSignature([renamed, ca.inter, pki.root.der], 'add-chain', policy, now()), /chain\[0\] is not signed by chain\[1\]/);
      const expired = await makeCert({ subject: 'leaf', issuerName: name('Odd CA'), issuerSigner: ca.signer, subjectSpki: pki.leafSpki, ekus: [CODE_SIGNING], notAfter: new Date(Date.now() - 1000) });
      rejects400(() => validateChainButLeafSignature([expired, ca.inter, pki.root.der], 'add-chain', policy, now()), /leaf certificate expired/);
      rejects400(() => validateChainButLeafSignature(chain, 'add-pre-chain', policy, now()), /cert \/ precert mismatch/);
    });

    it('keeps several verified chains apart, and verifies a chain again once more than the cache holds came after it', async () => {
      const cas = await Promise.all(Array.from({ length: 34 }, () => underIntermediate([basicConstraintsExtension(true)])));
      const [a, b] = [cas[0]!, cas[1]!];
      for (let i = 0; i < 2; i++) {
        assert.equal(validateChain([a.leaf, a.inter, pki.root.der], 'add-chain', policy, now()).chain.length, 3);
        assert.equal(validateChain([b.leaf, b.inter, pki.root.der], 'add-chain', policy, now()).chain.length, 3);
      }
      // a's leaf under b's (verified, cached) intermediate: not signed by it.
      rejects400(() => validateChain([a.leaf, b.inter, pki.root.der], 'add-chain', policy, now()), /chain\[0\] is not signed by chain\[1\]/);
      for (const ca of cas) assert.equal(validateChain([ca.leaf, ca.inter, pki.root.der], 'add-chain', policy, now()).chain.length, 3);
      const result = validateChain([a.leaf, a.inter, pki.root.der], 'add-chain', policy, now());
      assert.ok(result.chain[1]!.der.equals(a.inter));
      assert.ok(result.chain[2]!.der.equals(pki.root.der));
    });

    it('refuses a path through an accepted root that has expired', async () => {
      const signer = keySigner(newKey());
      const rootName = name('Old Root');
      const oldRoot = await makeCert({ subject: 'Old Root', issuerName: rootName, issuerSigner: signer, subjectSpki: signer.spki, ca: true, notAfter: new Date(Date.now() - 1000) });
      const leaf = await makeCert({ subject: 'leaf', issuerName: rootName, issuerSigner: signer, subjectSpki: pki.leafSpki, ekus: [CODE_SIGNING], notBefore: new Date(Date.now() - 60_000) });
      rejects400(() => validateChain([leaf], 'add-chain', { roots: [parseCertificate(oldRoot)] }, now()), /the accepted root expired/);
      rejects400(() => validateChain([leaf, oldRoot], 'add-chain', { roots: [parseCertificate(oldRoot)] }, now()), /chain\[1\] expired/);
    });

    it('enforces pathLenConstraint', async () => {
      // root -> A (pathLen 0) -> B (CA) -> leaf: A may have no CA below it, B is one.
      const a = await underIntermediate([basicConstraintsExtension(true, 0)]);
      const bSigner = keySigner(newKey());
      const b = await makeCert({ subject: 'Sub CA', issuerName: name('Odd CA'), issuerSigner: a.signer, subjectSpki: bSigner.spki, ca: true });
      const leaf = await makeCert({ subject: 'leaf', issuerName: name('Sub CA'), issuerSigner: bSigner, subjectSpki: pki.leafSpki, ekus: [CODE_SIGNING], notBefore: new Date(Date.now() - 60_000) });
      rejects400(() => validateChain([leaf, b, a.inter], 'add-chain', policy, now()), /chain\[2\] allows 0 CA certificate\(s\) below it/);
      const a1 = await underIntermediate([basicConstraintsExtension(true, 1)]);
      const b1 = await makeCert({ subject: 'Sub CA', issuerName: name('Odd CA'), issuerSigner: a1.signer, subjectSpki: bSigner.spki, ca: true });
      assert.equal(validateChain([leaf, b1, a1.inter, pki.root.der], 'add-chain', policy, now()).chain.length, 4);
    });

    it('accepts a leaf of the development CA (its intermediate and root are CAs)', async () => {
      const ca = await createDevCa();
      const inter = parseCertificate(ca.intermediate);
      const leaf = await makeCert({ subject: 'leaf', issuerName: inter.subject, issuerSigner: keySigner(ca.intermediateKey), subjectSpki: pki.leafSpki, ekus: [CODE_SIGNING], notBefore: new Date(Date.now() - 60_000), trailing: [POISON] });
      const path = validateChain([leaf, ca.intermediate, ca.root], 'add-pre-chain', { roots: [parseCertificate(ca.root)] }, now()).chain;
      assert.deepEqual(path.map((c) => c.der), [leaf, ca.intermediate, ca.root]);
    });
  });

  describe('bounds and the verified path', () => {
    it('refuses repeated certificates, too many certificates and oversized ones', async () => {
      const leaf = await pki.leaf();
      rejects400(() => validateChain([leaf, pki.intermediate.der, pki.root.der, pki.root.der], 'add-chain', policy, now()), /chain\[3\] repeats chain\[2\]/);
      rejects400(() => validateChain([leaf, pki.intermediate.der, pki.intermediate.der], 'add-chain', policy, now()), /repeats/);
      const padded = [leaf, pki.intermediate.der, ...Array.from({ length: 650 }, () => pki.root.der)];
      rejects400(() => validateChain(padded, 'add-chain', policy, now()), /chain has 652 certificates; at most 10/);
      const distinct = await Promise.all(Array.from({ length: MAX_CHAIN_LENGTH }, () => makePki().then((p) => p.root.der)));
      rejects400(() => validateChain([leaf, ...distinct], 'add-chain', policy, now()), /at most 10/);
      const huge = Buffer.concat([pki.intermediate.der, Buffer.alloc(40_000)]);
      rejects400(() => validateChain([leaf, huge], 'add-chain', policy, now()), /chain\[1\] is 4\d{4} bytes; certificates over 32768 bytes/);
    });

    it('ends the path at the first accepted root: what follows it is not part of the result', async () => {
      const leaf = await pki.leaf();
      const other = await makePki();
      const { chain } = validateChain([leaf, pki.intermediate.der, pki.root.der, other.root.der, other.intermediate.der], 'add-chain', policy, now());
      assert.deepEqual(chain.map((c) => c.der), [leaf, pki.intermediate.der, pki.root.der]);
    });
  });
});
