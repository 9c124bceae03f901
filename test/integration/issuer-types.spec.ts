// One certificate, and one refusal, per issuer type beyond email/GitHub/GitLab, through the real server and real
// local OIDC issuers: spiffe, kubernetes (as a meta issuer), uri, username, buildkite-job, codefresh-workflow and
// chainguard-identity.
import assert from 'node:assert/strict';
import { V4 } from '../helpers/fulcio-vectors.js';
import { clientKey, startFulgor, v2Request, type TestFulgor } from '../helpers/fulgor.js';
import { startIssuer, type TestIssuer } from '../helpers/oidc-issuer.js';
import { fulcioExtensions, x509 } from '../helpers/x509.js';

const NO_EMAIL = { email: undefined, email_verified: undefined };
const SAN_OID = '2.5.29.17';

/** DER TLV with a short-form length (everything here is under 128 bytes). */
const tlv = (tag: number, body: Buffer): Buffer => {
  assert.ok(body.length < 128);
  return Buffer.concat([Buffer.from([tag, body.length]), body]);
};

describe('integration: the other issuer types through the real server', function () {
  let spiffe: TestIssuer, k8s: TestIssuer, uri: TestIssuer, user: TestIssuer, bk: TestIssuer, cf: TestIssuer, cg: TestIssuer;
  let fulgor: TestFulgor;
  let k8sPattern: string;

  before(async () => {
    [spiffe, k8s, uri, user, bk, cf, cg] = await Promise.all([
      startIssuer('/spiffe'), startIssuer('/k8s/cluster-1'), startIssuer('/uri'), startIssuer('/user'),
      startIssuer('/bk'), startIssuer('/cf'), startIssuer('/cg'),
    ]);
    k8sPattern = k8s.url.replace(/cluster-1$/, '*');
    const issuer = (url: string, type: string, extra: Record<string, string> = {}) => ({ IssuerURL: url, ClientID: 'sigstore', Type: type, ...extra });
    fulgor = await startFulgor({
      OIDCIssuers: {
        [spiffe.url]: issuer(spiffe.url, 'spiffe', { SPIFFETrustDomain: 'foo.com' }),
        // The issuers listen on 127.0.0.1, so the subject domains must share its top two labels.
        [uri.url]: issuer(uri.url, 'uri', { SubjectDomain: 'http://127.0.0.1' }),
        [user.url]: issuer(user.url, 'username', { SubjectDomain: '127.0.0.1' }),
        [bk.url]: issuer(bk.url, 'buildkite-job'),
        [cf.url]: issuer(cf.url, 'codefresh-workflow'),
        [cg.url]: issuer(cg.url, 'chainguard-identity'),
      },
      MetaIssuers: { [k8sPattern]: { ClientID: 'sigstore', Type: 'kubernetes' } },
    });
  });
  after(async () => {
    await fulgor.close();
    await Promise.all([spiffe, k8s, uri, user, bk, cf, cg].map((i) => i.close()));
  });

  const issue = async (token: string, name: string) => {
    const res = await fulgor.post('/api/v2/signingCert', v2Request(token, clientKey(), name));
    assert.equal(res.status, 200, res.text);
    return new x509.X509Certificate(res.json.signedCertificateEmbeddedSct.chain.certificates[0]);
  };
  const sanOf = (leaf: x509.X509Certificate) => leaf.getExtension(x509.SubjectAlternativeNameExtension)!.names.toJSON();
  const refuse = async (token: string, name: string, reason: string, claim?: string) => {
    const res = await fulgor.post('/api/v2/signingCert', v2Request(token, clientKey(), name));
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json.details[0].reason, reason, res.text);
    if (claim !== undefined) assert.equal(res.json.details[0].metadata.claim, claim, res.text);
  };

  describe('spiffe', () => {
    it('issues for a SPIFFE ID in the trust domain (V9)', async () => {
      const sub = 'spiffe://foo.com/bar';
      const leaf = await issue(await spiffe.mint('email', { claims: { ...NO_EMAIL, sub } }), sub);
      assert.deepEqual(sanOf(leaf), [{ type: 'url', value: sub }]);
      assert.deepEqual(fulcioExtensions(leaf), { 1: spiffe.url, 8: spiffe.url, 24: sub });
    });
    it('refuses another trust domain', async () => {
      const sub = 'spiffe://bar.com/bar';
      await refuse(await spiffe.mint('email', { claims: { ...NO_EMAIL, sub } }), sub, 'INVALID_CLAIM', 'sub');
    });
  });

  describe('kubernetes (meta issuer)', () => {
    const claims = { ...NO_EMAIL, sub: 'system:serviceaccount:namespace:sa', 'kubernetes.io': { namespace: 'namespace', serviceaccount: { name: 'sa' } } };
    it('issues the service-account URI (V10)', async () => {
      const leaf = await issue(await k8s.mint('email', { claims }), claims.sub);
      assert.deepEqual(sanOf(leaf), [{ type: 'url', value: 'https://kubernetes.io/namespaces/namespace/serviceaccounts/sa' }]);
      assert.deepEqual(fulcioExtensions(leaf), { 1: k8s.url, 8: k8s.url, 24: claims.sub });
    });
    it('refuses a kubernetes.io claim that is not an object', async () => {
      await refuse(await k8s.mint('email', { claims: { ...claims, 'kubernetes.io': 'namespace' } }), claims.sub, 'INVALID_CLAIM', 'kubernetes.io');
    });
  });

  describe('uri', () => {
    it('issues for a subject under the subject domain (V8)', async () => {
      const sub = 'http://127.0.0.1/users/1';
      const leaf = await issue(await uri.mint('email', { claims: { ...NO_EMAIL, sub } }), sub);
      assert.deepEqual(sanOf(leaf), [{ type: 'url', value: sub }]);
      assert.deepEqual(fulcioExtensions(leaf), { 1: uri.url, 8: uri.url, 24: sub });
    });
    it('refuses another scheme', async () => {
      const sub = 'https://127.0.0.1/users/1';
      await refuse(await uri.mint('email', { claims: { ...NO_EMAIL, sub } }), sub, 'INVALID_CLAIM', 'sub');
    });
  });

  describe('username', () => {
    it('issues a critical otherName SAN "alice!127.0.0.1" (V7)', async () => {
      const leaf = await issue(await user.mint('email', { claims: { ...NO_EMAIL, sub: 'alice' } }), 'alice');
      const ext = leaf.getExtension(SAN_OID)!;
      assert.equal(ext.critical, true);
      const typeId = Buffer.from('060a2b0601040183bf300107', 'hex'); // OID 1.3.6.1.4.1.57264.1.7
      const value = tlv(0xa0, tlv(0x0c, Buffer.from('alice!127.0.0.1', 'utf8')));
      const expected = tlv(0x30, tlv(0xa0, Buffer.concat([typeId, value])));
      assert.equal(Buffer.from(ext.value).toString('hex'), expected.toString('hex'), 'the SAN holds only the otherName');
      assert.deepEqual(fulcioExtensions(leaf), { 1: user.url, 8: user.url, 24: 'alice' });
    });
    it('refuses a username with "!" and one that is an email address', async () => {
      await refuse(await user.mint('email', { claims: { ...NO_EMAIL, sub: 'alice!' } }), 'alice!', 'INVALID_CLAIM', 'sub');
      await refuse(await user.mint('email', { claims: { ...NO_EMAIL, sub: 'alice@example.com' } }), 'alice@example.com', 'INVALID_CLAIM', 'sub');
    });
  });

  describe('buildkite-job', () => {
    const sub = 'organization:acme-inc:pipeline:bash-example:ref:refs/heads/main:commit:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:step:build';
    const claims = { ...NO_EMAIL, sub, organization_slug: 'acme-inc', pipeline_slug: 'bash-example' };
    it('issues the pipeline URL (V5)', async () => {
      const leaf = await issue(await bk.mint('email', { claims }), sub);
      assert.deepEqual(sanOf(leaf), [{ type: 'url', value: 'https://buildkite.com/acme-inc/bash-example' }]);
      assert.deepEqual(fulcioExtensions(leaf), { 1: bk.url, 8: bk.url, 24: sub });
    });
    it('refuses a token without pipeline_slug', async () => {
      await refuse(await bk.mint('email', { claims: { ...claims, pipeline_slug: undefined } }), sub, 'MISSING_CLAIM', 'pipeline_slug');
    });
  });

  describe('codefresh-workflow', () => {
    const { iss: _iss, aud: _aud, ...v4 } = V4;
    const sub = v4.sub;
    const claims = { ...NO_EMAIL, ...v4 };
    it('issues the SAN and extensions of V4', async () => {
      const leaf = await issue(await cf.mint('email', { claims }), sub);
      assert.deepEqual(sanOf(leaf), [
        { type: 'url', value: 'https://g.codefresh.io/test-codefresh/oidc-test/oidc-test-2:628a80b693a15c0f9c13ab75/65e6d5551e47e5bc243ca93f' },
      ]);
      assert.deepEqual(fulcioExtensions(leaf), {
        1: cf.url,
        8: cf.url,
        9: 'https://g.codefresh.io/build/65e6ebe0bfbfa1782876165e',
        11: 'hybrid',
        12: 'https://github.com/test-codefresh/fulcio',
        14: 'feat/codefresh-issuer',
        18: 'https://g.codefresh.io/api/pipelines/65e6d5551e47e5bc243ca93f',
        21: 'https://g.codefresh.io/build/65e6ebe0bfbfa1782876165e',
        24: sub,
      });
    });
    it('refuses a token without workflow_id', async () => {
      await refuse(await cf.mint('email', { claims: { ...claims, workflow_id: undefined } }), sub, 'MISSING_CLAIM', 'workflow_id');
    });
  });

  describe('chainguard-identity', () => {
    const sub = '3f7a2c1e9b0d4a5c6e7f8091a2b3c4d5e6f70819';
    it('issues {iss}/{sub}, with the proof over the verified email (V11)', async () => {
      const leaf = await issue(await cg.mint('email', { claims: { sub, email: 'jane@doe.dev', email_verified: true } }), 'jane@doe.dev');
      assert.deepEqual(sanOf(leaf), [{ type: 'url', value: `${cg.url}/${sub}` }]);
      assert.deepEqual(fulcioExtensions(leaf), { 1: cg.url, 8: cg.url, 24: sub });
    });
    it('issues with the proof over sub when there is no email', async () => {
      const leaf = await issue(await cg.mint('email', { claims: { ...NO_EMAIL, sub } }), sub);
      assert.deepEqual(sanOf(leaf), [{ type: 'url', value: `${cg.url}/${sub}` }]);
    });
    it('refuses an unverified email', async () => {
      const token = await cg.mint('email', { claims: { sub, email: 'jane@doe.dev', email_verified: false } });
      await refuse(token, 'jane@doe.dev', 'EMAIL_NOT_VERIFIED', 'email_verified');
    });
  });
});
