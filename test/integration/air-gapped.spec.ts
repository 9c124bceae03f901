import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { SignJWT } from 'jose';
import { devClaims } from '../../oidc/dev-claims.js';
import { issuerRouter, mintToken, publicJwk } from '../../oidc/dev-issuer.js';
import { clientKey, startFulgor, v2Request, type TestFulgor } from '../helpers/fulgor.js';
import { startIssuer } from '../helpers/oidc-issuer.js';

const SUB = 'repo:acme/app:ref:refs/heads/main';
const github = (url: string, extra: Record<string, unknown> = {}) => ({ IssuerURL: url, ClientID: 'sigstore', Type: 'github-workflow', ...extra });

async function sign(f: TestFulgor, token: string) {
  const res = await f.post('/api/v2/signingCert', v2Request(token, clientKey(), SUB));
  return { status: res.status, reason: res.json?.details?.[0]?.reason as string | undefined };
}

/** A test CA and a server certificate for 127.0.0.1 and localhost, made with openssl. */
function makeTlsFiles(dir: string, name: string): { ca: string; key: string; cert: string } {
  const f = (ext: string) => join(dir, `${name}.${ext}`);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '1', '-subj', `/CN=${name} test CA`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
  ssl('req', ...ec, '-keyout', f('key.pem'), '-out', f('csr.pem'), '-subj', '/CN=127.0.0.1');
  writeFileSync(f('ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  ssl('x509', '-req', '-in', f('csr.pem'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-set_serial', '1', '-days', '1', '-extfile', f('ext'), '-out', f('cert.pem'));
  return { ca: readFileSync(f('ca.pem'), 'utf8'), key: readFileSync(f('key.pem'), 'utf8'), cert: readFileSync(f('cert.pem'), 'utf8') };
}

describe('integration: air-gapped and private issuers', function () {
  this.timeout(30_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'fulgor-air-gapped-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('starts with an issuer that is down, answers 503 ISSUER_UNAVAILABLE, then works once it is up and its backoff passed', async () => {
    const issuer = await startIssuer('/down');
    const token = await issuer.mint('github');
    await issuer.close();
    let skew = 0;
    const fulgor = await startFulgor({ OIDCIssuers: { [issuer.url]: github(issuer.url) } }, { clock: () => new Date(Date.now() + skew) });
    const app = express();
    const server = createHttpServer(app);
    let discoveries = 0;
    try {
      assert.deepEqual(await sign(fulgor, token), { status: 503, reason: 'ISSUER_UNAVAILABLE' });
      app.use('/down', (req, _res, next) => void (req.path.endsWith('/openid-configuration') && discoveries++, next()));
      app.use('/down', issuerRouter(issuer.url, () => [issuer.key]));
      await new Promise<void>((r) => server.listen(Number(new URL(issuer.url).port), '127.0.0.1', () => r()));
      // Up now, but the failure is remembered for 1 s: the issuer is not asked again before then.
      assert.deepEqual(await sign(fulgor, token), { status: 503, reason: 'ISSUER_UNAVAILABLE' }, 'within its backoff');
      assert.equal(discoveries, 0);
      skew += 1_500;
      assert.equal((await sign(fulgor, token)).status, 200);
      assert.equal(discoveries, 1);
    } finally {
      server.closeAllConnections();
      server.close();
      await fulgor.close();
    }
  });

  it('verifies a JWKSPath issuer from its static key set, with no network (its URL does not even resolve)', async () => {
    const url = 'https://oidc.air-gapped.invalid/tenant';
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    const ecJwk = { ...(await publicJwk(ec)), alg: 'ES256' };
    const jwksPath = join(dir, 'static-jwks.json');
    writeFileSync(jwksPath, JSON.stringify({ keys: [await publicJwk(rsa), ecJwk] }));
    const fulgor = await startFulgor({ OIDCIssuers: { [url]: github(url, { JWKSPath: jwksPath }) } });
    try {
      // The file is read at load: removing it now changes nothing until a reload.
      rmSync(jwksPath);
      assert.equal((await sign(fulgor, await mintToken({ issuer: url, privateKey: rsa }))).status, 200);
      const now = Math.floor(Date.now() / 1000);
      const es256 = await new SignJWT({ ...devClaims('github'), iss: url, aud: 'sigstore' })
        .setProtectedHeader({ alg: 'ES256', kid: ecJwk.kid })
        .setExpirationTime(now + 600)
        .sign(ec);
      assert.equal((await sign(fulgor, es256)).status, 200, 'algorithms come from the keys’ alg');
      const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
      assert.deepEqual(await sign(fulgor, await mintToken({ issuer: url, privateKey: stranger })), { status: 400, reason: 'INVALID_TOKEN_SIGNATURE' });
      const ps256 = await new SignJWT({ iss: url, aud: 'sigstore', sub: SUB }).setProtectedHeader({ alg: 'PS256' }).setExpirationTime(now + 600).sign(rsa);
      assert.equal((await sign(fulgor, ps256)).reason, 'UNSUPPORTED_TOKEN_ALGORITHM');
    } finally {
      await fulgor.close();
    }
  });

  it('refuses to start when a JWKSPath file is missing or holds no usable keys', async () => {
    const url = 'https://oidc.air-gapped.invalid';
    await assert.rejects(startFulgor({ OIDCIssuers: { [url]: github(url, { JWKSPath: join(dir, 'absent.json') }) } }), /JWKSPath .*absent\.json/);
    writeFileSync(join(dir, 'private.json'), JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }));
    await assert.rejects(startFulgor({ OIDCIssuers: { [url]: github(url, { JWKSPath: join(dir, 'private.json') }) } }), /secret key material/);
  });

  describe('an HTTPS issuer with a private CA (CACert)', () => {
    let server: Server;
    let base: string;
    let tls: ReturnType<typeof makeTlsFiles>;
    const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    before(async () => {
      tls = makeTlsFiles(dir, 'issuer');
      const app = express();
      server = createHttpsServer({ key: tls.key, cert: tls.cert }, app);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      const port = (server.address() as AddressInfo).port;
      base = `https://127.0.0.1:${port}`;
      for (const path of ['/trusted', '/untrusted', '/wrong-ca']) app.use(path, issuerRouter(base + path, () => [key]));
      // Same-host redirects are followed (for discovery and JWKS alike); a redirect to another host is not.
      app.use('/moved-real', issuerRouter(`${base}/moved`, () => [key]));
      app.use('/moved', (req, res) => res.redirect(302, `/moved-real${req.url}`));
      app.use('/elsewhere', (req, res) => res.redirect(302, `https://localhost:${port}/moved-real${req.url}`));
    });
    after(() => {
      server.closeAllConnections();
      server.close();
    });

    it('is trusted only with its CA in CACert, and follows redirects only on the same host', async () => {
      const other = makeTlsFiles(dir, 'other');
      const at = (p: string) => `${base}${p}`;
      const fulgor = await startFulgor({
        OIDCIssuers: {
          [at('/trusted')]: github(at('/trusted'), { CACert: tls.ca }),
          [at('/untrusted')]: github(at('/untrusted')),
          [at('/wrong-ca')]: github(at('/wrong-ca'), { CACert: other.ca }),
          [at('/moved')]: github(at('/moved'), { CACert: tls.ca }),
          [at('/elsewhere')]: github(at('/elsewhere'), { CACert: tls.ca }),
        },
      });
      try {
        const token = (p: string) => mintToken({ issuer: at(p), privateKey: key });
        assert.equal((await sign(fulgor, await token('/trusted'))).status, 200);
        assert.deepEqual(await sign(fulgor, await token('/untrusted')), { status: 503, reason: 'ISSUER_UNAVAILABLE' });
        assert.deepEqual(await sign(fulgor, await token('/wrong-ca')), { status: 503, reason: 'ISSUER_UNAVAILABLE' });
        assert.equal((await sign(fulgor, await token('/moved'))).status, 200);
        assert.deepEqual(await sign(fulgor, await token('/elsewhere')), { status: 503, reason: 'ISSUER_UNAVAILABLE' });
        assert.ok(fulgor.logLines.some((l) => /redirect from 127\.0\.0\.1:\d+ to https:\/\/localhost:\d+ refused/.test(l)), 'the refused redirect is logged');
      } finally {
        await fulgor.close();
      }
    });
  });
});
