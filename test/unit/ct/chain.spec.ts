import assert from 'node:assert/strict';
import { parseCertificate } from '../../../ct/certificate.js';
import { validateChain, type ChainPolicy } from '../../../ct/chain.js';
import { CtError } from '../../../ct/errors.js';
import { extension, makeCert, makePki, newKey, name, POISON, PRECERT_SIGNING, type TestPki } from './helpers.js';
import { keySigner } from '../../../lib/signer.js';

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
});
