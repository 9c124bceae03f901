import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { createCertificateAuthority } from '../../../ca/authority.js';
import { clientKeyFromSpki } from '../../../ca/client-key.js';
import { createDevCa } from '../../../ca/dev-ca.js';
import { createIssuingCa } from '../../../ca/issuing-ca.js';
import { entryIdentity } from '../../../ct/entry-identity.js';
import { merkleTreeLeaf } from '../../../ct/structures.js';
import { fixedClock } from '../../../lib/clock.js';
import { certificateIdentity, isUsernameSan, tbsIdentity } from '../../../lib/certificate-identity.js';
import { keySigner } from '../../../lib/signer.js';
import { parseCertificate } from '../../../lib/x509.js';
import type { Principal } from '../../../oidc/principal.js';
import { fulcioExtensions, x509 } from '../../helpers/x509.js';

const NOW = new Date('2026-12-05T10:00:00.000Z');
const WORKFLOW = 'https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.2.0';

describe('lib/certificate-identity: reading back who a certificate was issued to', () => {
  let dev: Awaited<ReturnType<typeof createDevCa>>;
  before(async () => {
    dev = await createDevCa({ now: NOW });
  });

  async function issue(p: Principal) {
    const ca = createCertificateAuthority(createIssuingCa([dev.intermediate, dev.root], keySigner(dev.intermediateKey)), { clock: fixedClock(NOW) });
    const spki = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' });
    const pre = await ca.precertificate(p, clientKeyFromSpki(spki));
    return { final: await ca.finalize(pre, Buffer.from('0000', 'hex')), spki };
  }

  it('reads the SAN, issuer, every Fulcio extension, serial, validity and key fingerprint as an independent parser does', async () => {
    const { final, spki } = await issue({
      name: 'repo:acme/app:ref:refs/tags/v1.2.0',
      san: { kind: 'uri', value: WORKFLOW },
      extensions: {
        issuer: 'https://token.actions.githubusercontent.com',
        githubWorkflowRepository: 'acme/app',
        githubWorkflowRef: 'refs/tags/v1.2.0',
        sourceRepositoryUri: 'https://github.com/acme/app',
        sourceRepositoryRef: 'refs/tags/v1.2.0',
        buildSignerUri: WORKFLOW,
        runnerEnvironment: 'github-hosted',
      },
    });
    const id = certificateIdentity(final);
    const peculiar = new x509.X509Certificate(final);
    assert.equal(id.san, WORKFLOW);
    assert.deepEqual(id.sans, [{ type: 'uri', value: WORKFLOW }]);
    assert.equal(id.issuer, 'https://token.actions.githubusercontent.com');
    assert.equal(id.extensions.githubWorkflowRepository, 'acme/app', 'deprecated .5 by field');
    assert.equal(id.extensions.sourceRepositoryRef, 'refs/tags/v1.2.0');
    assert.equal(id.extensions.runnerEnvironment, 'github-hosted');
    const byArc = Object.fromEntries(Object.entries(id.extensionsByOid).map(([oid, v]) => [Number(oid.split('.').pop()), v]));
    assert.deepEqual(byArc, fulcioExtensions(peculiar), 'every extension, decoded as @peculiar/x509 reads it');
    assert.equal(id.serial, peculiar.serialNumber.toLowerCase().replace(/^(00)+(?=[0-9a-f]{2})/, ''));
    assert.equal(id.notBefore.getTime(), peculiar.notBefore.getTime());
    assert.equal(id.keyFingerprint, createHash('sha256').update(spki).digest('hex'));
    assert.deepEqual(tbsIdentity(parseCertificate(final).tbs), id, 'a bare TBS (a precert entry) reads the same');
  });

  it('reads email and username (otherName) SANs', async () => {
    const email = certificateIdentity((await issue({ name: 'a@acme.example', san: { kind: 'email', value: 'a@acme.example' }, extensions: { issuer: 'https://idp.acme.example' } })).final);
    assert.deepEqual(email.sans, [{ type: 'email', value: 'a@acme.example' }]);
    const user = certificateIdentity((await issue({ name: 'bob', san: { kind: 'otherName', value: 'bob!acme.example' }, extensions: { issuer: 'https://idp.acme.example' } })).final);
    assert.equal(user.san, 'bob!acme.example');
    assert.ok(isUsernameSan(user.sans[0]!));
  });

  it('reads a CT log entry (x509 and precert) with its timestamp, and refuses garbage', async () => {
    const { final } = await issue({ name: 'x', san: { kind: 'email', value: 'x@acme.example' }, extensions: { issuer: 'https://idp.acme.example' } });
    const x509Leaf = merkleTreeLeaf({ timestamp: 1234, entry: { type: 'x509', certificate: final }, extensions: Buffer.alloc(0) });
    const preLeaf = merkleTreeLeaf({ timestamp: 99, entry: { type: 'precert', issuerKeyHash: Buffer.alloc(32), tbsCertificate: parseCertificate(final).tbs }, extensions: Buffer.alloc(0) });
    const a = entryIdentity(x509Leaf);
    const b = entryIdentity(preLeaf);
    assert.deepEqual([a.precert, a.timestamp, a.identity.san], [false, 1234, 'x@acme.example']);
    assert.deepEqual([b.precert, b.timestamp, b.identity.san], [true, 99, 'x@acme.example']);
    assert.throws(() => entryIdentity(Buffer.from('00000000', 'hex')));
  });
});
