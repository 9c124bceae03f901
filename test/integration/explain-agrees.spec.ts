// Explain and issuance share one decision function (decision/decide.ts): for every Fulcio issuer type, with Fulcio's
// vectors (test/helpers/fulcio-vectors.ts and those of issuer-types.spec.ts), the SAN and extensions `explain`
// reports for a token are exactly those of the certificate the real server issues for the same token, read back
// with an independent parser; and a refused token is refused by both with the same reason.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { EXTENSION_KEYS } from '../../config/ci-metadata.js';
import { parseYamlConfig } from '../../config/yaml-alias-keys.js';
import { explainToken, type Explanation } from '../../decision/explain.js';
import { systemClock } from '../../lib/clock.js';
import { parseIdentityConfig } from '../../oidc/identity-compile.js';
import { ISSUER_TYPES } from '../../oidc/issuer-types.js';
import { createTokenVerifier } from '../../oidc/token-verifier.js';
import { V1, V3, V4 } from '../helpers/fulcio-vectors.js';
import { clientKey, startFulgor, v2Request, type TestFulgor } from '../helpers/fulgor.js';
import { startIssuer, type TestIssuer } from '../helpers/oidc-issuer.js';
import { FULCIO, fulcioExtension, x509 } from '../helpers/x509.js';

const NO_EMAIL = { email: undefined, email_verified: undefined };
const SAN_OID = '2.5.29.17';
const without = <T extends Record<string, unknown>>(v: T) => {
  const { iss: _iss, aud: _aud, ...rest } = v;
  return rest;
};

/** The shipped GitHub ci-issuer-metadata in Fulcio's JSON spelling. */
function githubMetadata() {
  const shipped = parseYamlConfig(readFileSync('/work/shared/fixtures/fulcio-identity-config.yaml', 'utf8')) as {
    'ci-issuer-metadata': Record<string, Record<string, Record<string, string> | string>>;
  };
  const m = shipped['ci-issuer-metadata']['github-workflow']!;
  const goName = new Map(EXTENSION_KEYS.map(([, json, yaml]) => [yaml, json]));
  return {
    DefaultTemplateValues: m['default-template-values'],
    ExtensionTemplates: Object.fromEntries(Object.entries(m['extension-templates'] as Record<string, string>).map(([k, v]) => [goName.get(k), v])),
    SubjectAlternativeNameTemplate: m['subject-alternative-name-template'],
  };
}

/** One vector per issuer type: its claims (minted on top of the email dev claims, `undefined` removes one). */
const VECTORS: Record<(typeof ISSUER_TYPES)[number], Record<string, unknown>> = {
  email: {},
  'github-workflow': { ...NO_EMAIL, ...without(V1) },
  'gitlab-pipeline': { ...NO_EMAIL, ...without(V3) },
  'ci-provider': { ...NO_EMAIL, ...without(V1) },
  'buildkite-job': {
    ...NO_EMAIL,
    sub: 'organization:acme-inc:pipeline:bash-example:ref:refs/heads/main:commit:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:step:build',
    organization_slug: 'acme-inc',
    pipeline_slug: 'bash-example',
  },
  'codefresh-workflow': { ...NO_EMAIL, ...without(V4) },
  'chainguard-identity': { sub: '3f7a2c1e9b0d4a5c6e7f8091a2b3c4d5e6f70819', email: 'jane@doe.dev', email_verified: true },
  kubernetes: { ...NO_EMAIL, sub: 'system:serviceaccount:namespace:sa', 'kubernetes.io': { namespace: 'namespace', serviceaccount: { name: 'sa' } } },
  spiffe: { ...NO_EMAIL, sub: 'spiffe://foo.com/bar' },
  uri: { ...NO_EMAIL, sub: 'http://127.0.0.1/users/1' },
  username: { ...NO_EMAIL, sub: 'alice' },
};

describe('integration: explain and issuance agree (one decision function)', function () {
  this.timeout(60_000);
  const issuers = new Map<string, TestIssuer>();
  let fulgor: TestFulgor;
  let explain: (token: string) => Promise<Explanation>;

  before(async () => {
    for (const type of ISSUER_TYPES) issuers.set(type, await startIssuer(type === 'kubernetes' ? '/k8s/cluster-1' : `/${type}`));
    const url = (type: string) => issuers.get(type)!.url;
    const extra: Record<string, Record<string, unknown>> = {
      'ci-provider': { CIProvider: 'github-workflow' },
      spiffe: { SPIFFETrustDomain: 'foo.com' },
      // The issuers listen on 127.0.0.1, so the subject domains must share its top two labels.
      uri: { SubjectDomain: 'http://127.0.0.1' },
      username: { SubjectDomain: '127.0.0.1' },
      'github-workflow': { Policy: [{ Name: 'main-only', Allow: { ref: ['refs/heads/main'] } }] },
    };
    const config = {
      OIDCIssuers: Object.fromEntries(
        ISSUER_TYPES.filter((t) => t !== 'kubernetes').map((t) => [url(t), { IssuerURL: url(t), ClientID: 'sigstore', Type: t, ...extra[t] }]),
      ),
      MetaIssuers: { [url('kubernetes').replace(/cluster-1$/, '*')]: { ClientID: 'sigstore', Type: 'kubernetes' } },
      CIIssuerMetadata: { 'github-workflow': githubMetadata() },
    };
    fulgor = await startFulgor(config);
    // The CLI's explain path: the same file, a verifier of its own.
    const identity = parseIdentityConfig(JSON.stringify(config));
    const verifier = createTokenVerifier(identity, { clock: systemClock });
    explain = (token) => explainToken(identity, verifier, token);
  });
  after(async () => {
    await fulgor?.close();
    await Promise.all([...issuers.values()].map((i) => i.close()));
  });

  /** The SAN as explain describes it, read from the issued certificate. */
  function sanOf(leaf: x509.X509Certificate): { type: string; value: string; oid?: string } {
    const ext = leaf.getExtension(SAN_OID)!;
    assert.equal(ext.critical, true);
    const der = Buffer.from(ext.value);
    if (der[2] !== 0xa0) {
      const names = leaf.getExtension(x509.SubjectAlternativeNameExtension)!.names.toJSON();
      assert.equal(names.length, 1, 'one SAN');
      const name = names[0]!;
      if (name.type === 'url') return { type: 'uri', value: name.value };
      if (name.type === 'email') return { type: 'email', value: name.value };
      assert.fail(`unexpected SAN ${JSON.stringify(names)}`);
    }
    // otherName: SEQUENCE { [0] { OID, [0] { UTF8String } } }, short lengths only (these vectors are small).
    assert.equal(der[1], der.length - 2, 'one SAN');
    const oidLen = der[5] as number;
    const oidDer = der.subarray(4, 6 + oidLen);
    const value = der.subarray(6 + oidLen + 4).toString('utf8');
    return { type: 'otherName', value, oid: oidDer.equals(Buffer.from('060a2b0601040183bf300107', 'hex')) ? `${FULCIO}.7` : oidDer.toString('hex') };
  }

  /** Every Fulcio extension of the certificate, in certificate order: [oid, value, encoding]. */
  const extensionsOf = (leaf: x509.X509Certificate) =>
    [...leaf.extensions]
      .filter((e) => e.type.startsWith(`${FULCIO}.`))
      .map((e) => {
        const arc = Number(e.type.slice(FULCIO.length + 1));
        return [e.type, fulcioExtension(leaf, arc), arc < 8 ? 'raw' : 'utf8String'];
      });

  for (const type of ISSUER_TYPES) {
    it(`${type}: explain reports the SAN and extensions of the certificate issued for the same token`, async () => {
      const token = await issuers.get(type)!.mint('email', { claims: VECTORS[type] });
      const x = await explain(token);
      assert.equal(x.allowed, true, JSON.stringify(x.errors));
      assert.ok(x.certificate);
      const res = await fulgor.post('/api/v2/signingCert', v2Request(token, clientKey(), x.certificate.challenge));
      assert.equal(res.status, 200, `the proof over explain's challenge is accepted: ${res.text}`);
      const leaf = new x509.X509Certificate(res.json.signedCertificateEmbeddedSct.chain.certificates[0]);
      assert.deepEqual(sanOf(leaf), x.certificate.san);
      assert.deepEqual(extensionsOf(leaf), x.certificate.extensions.map((e) => [e.oid, e.value, e.encoding]));
      assert.ok(x.certificate.extensions.length >= 2, 'at least .1 and .8');
    });
  }

  it('a refused token is refused by both, with the same reason (mapping, policy)', async () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['buildkite-job', { ...VECTORS['buildkite-job'], pipeline_slug: undefined }, 'MISSING_CLAIM'],
      ['username', { ...NO_EMAIL, sub: 'alice@example.com' }, 'INVALID_CLAIM'],
      ['github-workflow', { ...VECTORS['github-workflow'], ref: 'refs/heads/dev' }, 'POLICY_DENIED'],
    ];
    for (const [type, claims, reason] of cases) {
      const token = await issuers.get(type)!.mint('email', { claims });
      const x = await explain(token);
      assert.equal(x.allowed, false, type);
      assert.equal(x.errors[0]?.reason, reason, type);
      const name = x.certificate?.challenge ?? String(claims['sub']);
      const res = await fulgor.post('/api/v2/signingCert', v2Request(token, clientKey(), name));
      assert.equal(res.json.details[0].reason, x.errors[0]?.reason, `${type}: ${res.text}`);
      assert.ok(String(res.json.message).endsWith(x.errors[0]!.message), `${type}: ${res.json.message}`);
    }
  });
});
