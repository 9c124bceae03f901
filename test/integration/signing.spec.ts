import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { SignJWT, UnsecuredJWT } from 'jose';
import { popThreadRunning, stopPopThread } from '../../ca/pop-thread.js';
import { parsePemBlocks } from '../../lib/pem.js';
import { clientKey, startFulgor, v2Request, type TestFulgor } from '../helpers/fulgor.js';
import { compressedP256, csrPem, ed25519IdentityKey, explicitParamsP256, rsaKeyWithExponent } from '../helpers/malicious-keys.js';
import { startIssuer, type TestIssuer } from '../helpers/oidc-issuer.js';
import type { SigningBody } from '../helpers/response-body.js';
import { fulcioExtensions, x509 } from '../helpers/x509.js';

const GITHUB_SUB = 'repo:acme/app:ref:refs/heads/main';

describe('integration: POST /api/v2/signingCert through the real server and a real local OIDC issuer', function () {
  let github: TestIssuer, gitlab: TestIssuer, email: TestIssuer;
  let fulgor: TestFulgor;

  before(async () => {
    [github, gitlab, email] = await Promise.all([startIssuer('/gh'), startIssuer('/gl'), startIssuer('/mail')]);
    const issuer = (url: string, type: string) => ({ IssuerURL: url, ClientID: 'sigstore', Type: type });
    fulgor = await startFulgor({
      OIDCIssuers: {
        [github.url]: issuer(github.url, 'github-workflow'),
        [gitlab.url]: issuer(gitlab.url, 'gitlab-pipeline'),
        [email.url]: issuer(email.url, 'email'),
      },
    });
  });
  after(async () => {
    await fulgor.close();
    await Promise.all([github.close(), gitlab.close(), email.close()]);
  });

  const leafOf = (json: SigningBody) => {
    const pems: readonly string[] = json.signedCertificateEmbeddedSct.chain.certificates;
    return { pems, leaf: new x509.X509Certificate(pems[0]!) };
  };

  it('issues a GitHub Actions certificate with the SCT embedded and the full chain', async () => {
    const key = clientKey();
    const res = await fulgor.post('/api/v2/signingCert', v2Request(await github.mint('github'), key, GITHUB_SUB));
    assert.equal(res.status, 200, res.text);
    const { pems, leaf } = leafOf(res.json);
    assert.equal(pems.length, 3);
    assert.ok(!pems[0]!.endsWith('\n'), 'v2 PEMs are trimmed, as Fulcio sends them');
    assert.ok(new X509Certificate(pems[0]!).verify(new X509Certificate(pems[1]!).publicKey));
    assert.ok(new X509Certificate(pems[1]!).verify(new X509Certificate(pems[2]!).publicKey));
    assert.deepEqual(parsePemBlocks(pems.slice(1).join('\n')).map((b) => b.der), fulgor.caChain);
    const san = leaf.getExtension(x509.SubjectAlternativeNameExtension)!;
    assert.deepEqual(san.names.toJSON(), [{ type: 'url', value: 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main' }]);
    const ext = fulcioExtensions(leaf);
    assert.equal(ext[1], github.url);
    assert.equal(ext[8], github.url);
    assert.equal(ext[12], 'https://github.com/acme/app');
    assert.equal(ext[21], 'https://github.com/acme/app/actions/runs/4242424242/attempts/1');
    assert.equal(ext[24], GITHUB_SUB);
    assert.ok(leaf.getExtension('1.3.6.1.4.1.11129.2.4.2'), 'SCT list embedded');
    const sth = (await (await fetch(`${fulgor.ctUrl}/ct/v1/get-sth`)).json()) as { tree_size: number };
    assert.ok(sth.tree_size >= 1, 'the precertificate is in the log');
  });

  it('issues GitLab and email certificates', async () => {
    const key = clientKey();
    const gl = await fulgor.post(
      '/api/v2/signingCert',
      v2Request(await gitlab.mint('gitlab'), key, 'project_path:acme/app:ref_type:branch:ref:main'),
    );
    assert.equal(gl.status, 200, gl.text);
    const glLeaf = leafOf(gl.json).leaf;
    assert.deepEqual(glLeaf.getExtension(x509.SubjectAlternativeNameExtension)!.names.toJSON(), [
      { type: 'url', value: 'https://gitlab.com/acme/app//.gitlab-ci.yml@refs/heads/main' },
    ]);
    assert.equal(fulcioExtensions(glLeaf)[14], 'refs/heads/main');
    const em = await fulgor.post('/api/v2/signingCert', v2Request(await email.mint('email'), key, 'dev@example.com'));
    assert.equal(em.status, 200, em.text);
    assert.deepEqual(leafOf(em.json).leaf.getExtension(x509.SubjectAlternativeNameExtension)!.names.toJSON(), [
      { type: 'email', value: 'dev@example.com' },
    ]);
  });

  it('takes the token from Authorization: Bearer when the body has none (cosign v3)', async () => {
    const key = clientKey();
    const body = v2Request('', key, GITHUB_SUB);
    const res = await fulgor.post('/api/v2/signingCert', { publicKeyRequest: body.publicKeyRequest }, {
      authorization: `Bearer ${await github.mint('github')}`,
    });
    assert.equal(res.status, 200, res.text);
  });

  for (const type of ['p384', 'p521', 'rsa2048', 'ed25519'] as const) {
    it(`accepts a ${type} key with its proof of possession`, async () => {
      const res = await fulgor.post('/api/v2/signingCert', v2Request(await github.mint('github'), clientKey(type), GITHUB_SUB));
      assert.equal(res.status, 200, res.text);
    });
  }

  it('accepts a CSR and checks its self-signature', async () => {
    const keys = await x509.cryptoProvider.get().subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: 'CN=ignored',
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    });
    const token = await github.mint('github');
    const ok = await fulgor.post('/api/v2/signingCert', {
      credentials: { oidcIdentityToken: token },
      certificateSigningRequest: Buffer.from(csr.toString('pem')).toString('base64'),
    });
    assert.equal(ok.status, 200, ok.text);
    const der = Buffer.from(csr.rawData);
    der[der.length - 5] = (der[der.length - 5] as number) ^ 0xff; // corrupt the signature
    const bad = await fulgor.post('/api/v2/signingCert', {
      credentials: { oidcIdentityToken: token },
      certificateSigningRequest: Buffer.from(`-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`).toString('base64'),
    });
    assert.equal(bad.status, 400);
    assert.ok(['INVALID_CSR_SIGNATURE', 'INVALID_CSR'].includes(bad.json.details[0].reason), bad.text);
  });

  describe('refuses keys whose proof needs no private key, and certifies only the canonical SPKI (v2, v1, CSR)', () => {
    type Key = ReturnType<typeof rsaKeyWithExponent>;
    const v1 = (token: string, k: Key) =>
      fulgor.post(
        '/api/v1/signingCert',
        { publicKey: { content: Buffer.from(k.pem).toString('base64') }, signedEmailAddress: k.prove(GITHUB_SUB) },
        { authorization: `Bearer ${token}` },
      );
    const csr = (token: string, pem: string) =>
      fulgor.post('/api/v2/signingCert', {
        credentials: { oidcIdentityToken: token },
        certificateSigningRequest: Buffer.from(pem).toString('base64'),
      });
    /** The key through all three doors: v2 PEM key + proof, v1 base64 key + signedEmailAddress, v2 self-signed CSR. */
    const allRoutes = async (k: Key, csrAlg: Parameters<typeof csrPem>[1]) => [
      await fulgor.post('/api/v2/signingCert', v2Request(await github.mint('github'), k, GITHUB_SUB)),
      await v1(await github.mint('github'), k),
      await csr(await github.mint('github'), csrPem(k, csrAlg)),
    ];
    const expectRefused = (responses: Awaited<ReturnType<typeof fulgor.post>>[], reason: string, why: RegExp) => {
      for (const res of responses) {
        assert.equal(res.status, 400, res.text);
        assert.equal(res.json.details[0].reason, reason, res.text);
        assert.match(res.json.message, why);
      }
    };

    it('RSA e = 1 with the PKCS#1 encoding of the hash as its "proof"', async () =>
      expectRefused(await allRoutes(rsaKeyWithExponent(1n), 'sha256WithRSA'), 'INSECURE_PUBLIC_KEY', /RSA public exponent must be odd/));

    it('RSA with an even exponent', async () =>
      expectRefused(
        [await fulgor.post('/api/v2/signingCert', v2Request(await github.mint('github'), rsaKeyWithExponent(65536n), GITHUB_SUB))],
        'INSECURE_PUBLIC_KEY',
        /RSA public exponent must be odd/,
      ));

    it('the Ed25519 identity point with the signature R = identity, S = 0', async () =>
      expectRefused(await allRoutes(ed25519IdentityKey(), 'ed25519'), 'INSECURE_PUBLIC_KEY', /small order/));

    it('EC keys with explicit curve parameters', async () =>
      expectRefused(await allRoutes(explicitParamsP256(), 'ecdsaWithSHA256'), 'INVALID_PUBLIC_KEY', /explicit curve parameters/));

    it('a compressed P-256 key gets a certificate carrying the uncompressed named-curve SPKI', async () => {
      const k = compressedP256();
      const [v2, legacy, fromCsr] = await allRoutes(k, 'ecdsaWithSHA256');
      const leaves = [
        leafOf(v2!.json).pems[0]!,
        legacy!.text.split(/(?<=-----END CERTIFICATE-----)\n/)[0]!,
        leafOf(fromCsr!.json).pems[0]!,
      ];
      assert.deepEqual([v2!.status, legacy!.status, fromCsr!.status], [200, 201, 200]);
      for (const pem of leaves) {
        const spki = Buffer.from(new x509.X509Certificate(pem).publicKey.rawData);
        assert.equal(spki.length, 91);
        assert.ok(spki.equals(k.uncompressedSpki), 'uncompressed point, named curve');
        const node = new X509Certificate(pem);
        assert.ok(node.checkPrivateKey(k.privateKey), 'certifies the requester’s key');
      }
    });
  });

  describe('refuses bad input with a 4xx in Fulcio’s shape and a reason', () => {
    const expectReason = async (body: unknown, reason: string, status = 400, headers: Record<string, string> = {}) => {
      const res = await fulgor.post('/api/v2/signingCert', body, headers);
      assert.equal(res.status, status, res.text);
      assert.equal(typeof res.json.code, 'number');
      assert.equal(typeof res.json.message, 'string');
      assert.equal(res.json.details[0].reason, reason, res.text);
      return res;
    };
    const key = clientKey();

    it('wrong audience', async () =>
      expectReason(v2Request(await github.mint('github', { audience: 'other' }), key, GITHUB_SUB), 'AUDIENCE_MISMATCH'));
    it('expired token', async () =>
      expectReason(
        v2Request(await github.mint('github', { now: new Date(Date.now() - 3_600_000) }), key, GITHUB_SUB),
        'TOKEN_EXPIRED',
      ));
    it('token from the future (nbf beyond the allowed skew)', async () =>
      expectReason(
        v2Request(await github.mint('github', { claims: { nbf: Math.floor(Date.now() / 1000) + 3600 } }), key, GITHUB_SUB),
        'TOKEN_NOT_YET_VALID',
      ));
    it('unknown issuer', async () => {
      const stranger = await startIssuer('/stranger');
      try {
        await expectReason(v2Request(await stranger.mint('github'), key, GITHUB_SUB), 'UNKNOWN_ISSUER');
      } finally {
        await stranger.close();
      }
    });
    it('token signed by a key that is not in the JWKS', async () => {
      const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
      await expectReason(v2Request(await github.mint('github', { privateKey: other }), key, GITHUB_SUB), 'INVALID_TOKEN_SIGNATURE');
    });
    it('alg: none', async () => {
      const token = new UnsecuredJWT({ iss: github.url, aud: 'sigstore', sub: GITHUB_SUB }).setExpirationTime('10m').encode();
      await expectReason(v2Request(token, key, GITHUB_SUB), 'UNSUPPORTED_TOKEN_ALGORITHM');
    });
    it('an algorithm the issuer does not advertise (HS256)', async () => {
      const token = await new SignJWT({ iss: github.url, aud: 'sigstore', sub: GITHUB_SUB })
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime('10m')
        .sign(new TextEncoder().encode('0123456789abcdef0123456789abcdef'));
      await expectReason(v2Request(token, key, GITHUB_SUB), 'UNSUPPORTED_TOKEN_ALGORITHM');
    });
    it('proof of possession by another key', async () => {
      const body = v2Request(await github.mint('github'), key, GITHUB_SUB);
      body.publicKeyRequest.proofOfPossession = clientKey().prove(GITHUB_SUB);
      await expectReason(body, 'INVALID_PROOF_OF_POSSESSION');
    });
    it('proof of possession over another string', async () =>
      expectReason(v2Request(await github.mint('github'), key, 'someone-else'), 'INVALID_PROOF_OF_POSSESSION'));
    it('P-521 key with a SHA-256 proof', async () => {
      const k = clientKey('p521');
      const body = v2Request(await github.mint('github'), k, GITHUB_SUB);
      body.publicKeyRequest.proofOfPossession = clientKey('p256').prove(GITHUB_SUB);
      await expectReason(body, 'INVALID_PROOF_OF_POSSESSION');
    });
    it('RSA-1024 is insecure', async () =>
      expectReason(v2Request(await github.mint('github'), clientKey('rsa1024'), GITHUB_SUB), 'INSECURE_PUBLIC_KEY'));
    it('missing required claim', async () => {
      const res = await expectReason(
        v2Request(await github.mint('github', { claims: { job_workflow_ref: undefined } }), key, GITHUB_SUB),
        'MISSING_CLAIM',
      );
      assert.equal(res.json.details[0].metadata.claim, 'job_workflow_ref');
    });
    it('email not verified', async () =>
      expectReason(
        v2Request(await email.mint('email', { claims: { email_verified: false } }), key, 'dev@example.com'),
        'EMAIL_NOT_VERIFIED',
      ));
    it('no token at all', async () => expectReason({ publicKeyRequest: v2Request('', key, 'x').publicKeyRequest }, 'MISSING_TOKEN'));
    it('a token that is not a JWT', async () => expectReason(v2Request('a.b', key, 'x'), 'MALFORMED_TOKEN'));
    it('malformed JSON', async () => expectReason('{"credentials":', 'MALFORMED_JSON'));
    it('a JSON body that is not an object', async () => expectReason('[1,2]', 'BAD_REQUEST'));
    it('wrong types', async () => expectReason({ credentials: { oidcIdentityToken: 42 } }, 'BAD_REQUEST'));
    it('malformed PEM public key', async () => {
      const body = v2Request(await github.mint('github'), key, GITHUB_SUB);
      body.publicKeyRequest.publicKey.content = '-----BEGIN PUBLIC KEY-----\nnot base64!\n-----END PUBLIC KEY-----\n';
      await expectReason(body, 'INVALID_PUBLIC_KEY');
    });
    it('no public key', async () =>
      expectReason({ credentials: { oidcIdentityToken: await github.mint('github') } }, 'MISSING_PUBLIC_KEY'));
    it('an oversized body', async () => expectReason({ pad: 'x'.repeat(5 * 1024 * 1024) }, 'BODY_TOO_LARGE', 413));
    it('never logs the token', async () => {
      const token = await github.mint('github', { audience: 'other' });
      await fulgor.post('/api/v2/signingCert', v2Request(token, key, GITHUB_SUB));
      const signature = token.split('.')[2]!;
      assert.ok(fulgor.logLines.length > 0);
      assert.ok(!fulgor.logLines.some((l) => l.includes(signature) || l.includes(token.split('.')[1]!)));
    });
  });
});

describe('integration: the proof-of-possession thread starts with the server', function () {
  it('is running once the server has started, so the first request does not wait for its boot', async () => {
    await stopPopThread();
    const github = await startIssuer('/gh');
    const fulgor = await startFulgor({ OIDCIssuers: { [github.url]: { IssuerURL: github.url, ClientID: 'sigstore', Type: 'github-workflow' } } });
    try {
      assert.equal(popThreadRunning(), true);
      const res = await fulgor.post('/api/v2/signingCert', v2Request(await github.mint('github'), clientKey(), GITHUB_SUB));
      assert.equal(res.status, 200, res.text);
    } finally {
      await fulgor.close();
      await github.close();
    }
  });
});
