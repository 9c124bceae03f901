// Outbound failures through the real CA: an OIDC issuer on a refused port, behind an untrusted or expired TLS
// certificate, or never answering; an external CT log on a refused port or behind an untrusted certificate. Each
// request gets a 503 whose message says why in a few safe words (no address), and the server's log line carries the
// error code, the host asked and, for TLS, that it was TLS.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mintToken } from '../../oidc/dev-issuer.js';
import { clientKey, startFulgor, v2Request, type TestFulgor } from '../helpers/fulgor.js';
import { startIssuer, type TestIssuer } from '../helpers/oidc-issuer.js';
import { makeTlsCa } from '../helpers/tls-certs.js';

const SUB = 'repo:acme/app:ref:refs/heads/main';
const github = (url: string, extra: Record<string, unknown> = {}) => ({ IssuerURL: url, ClientID: 'sigstore', Type: 'github-workflow', ...extra });

const listen = async (server: Server): Promise<number> => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as AddressInfo).port;
};
const stop = (server: Server) =>
  new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  });
/** A port nothing listens on: bound, then released. */
const refusedPort = async (): Promise<number> => {
  const s = createHttpServer();
  const port = await listen(s);
  await stop(s);
  return port;
};

/** The 'request failed' log line of the last failed request, parsed. */
function lastFailure(f: TestFulgor): Record<string, unknown> {
  const line = [...f.logLines].reverse().find((l) => l.includes('"request failed"'));
  assert.ok(line, 'a request failure is logged');
  return JSON.parse(line) as Record<string, unknown>;
}

/** The response leaks no address: neither the loopback addresses the names resolved to nor (for the log) its host. */
function assertNoAddress(text: string, ...also: string[]) {
  for (const a of ['127.0.0.1', '::1', ...also]) assert.ok(!text.includes(a), `${JSON.stringify(a)} in ${text}`);
}

describe('integration: outbound failures are diagnosed in the log and summarised safely in the response', function () {
  this.timeout(60_000);
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const servers: Server[] = [];
  let fulgor: TestFulgor;
  const urls: Record<'refused' | 'untrusted' | 'expired' | 'hanging', string> = { refused: '', untrusted: '', expired: '', hanging: '' };

  before(async () => {
    const tlsCa = await makeTlsCa('diagnostics');
    const good = await tlsCa.issue('01');
    const expired = await tlsCa.issue('02', { expired: true });
    const untrustedServer = createHttpsServer({ cert: good.certPem, key: good.keyPem }, (_req, res) => res.end('{}'));
    const expiredServer = createHttpsServer({ cert: expired.certPem, key: expired.keyPem }, (_req, res) => res.end('{}'));
    const hangingServer = createHttpServer(() => undefined); // reads the request, never answers
    servers.push(untrustedServer, expiredServer, hangingServer);
    urls.refused = `http://localhost:${await refusedPort()}/refused`;
    urls.untrusted = `https://localhost:${await listen(untrustedServer)}/untrusted`;
    urls.expired = `https://localhost:${await listen(expiredServer)}/expired`;
    urls.hanging = `http://localhost:${await listen(hangingServer)}/hanging`;
    fulgor = await startFulgor({
      OIDCIssuers: {
        [urls.refused]: github(urls.refused),
        [urls.untrusted]: github(urls.untrusted),
        // Its CA is trusted (CACert, the node:https path): the certificate is refused for its dates only.
        [urls.expired]: github(urls.expired, { CACert: tlsCa.pem }),
        [urls.hanging]: github(urls.hanging),
      },
    });
  });
  after(async () => {
    await fulgor?.close();
    await Promise.all(servers.map(stop));
  });

  const sign = async (issuer: string) => fulgor.post('/api/v2/signingCert', v2Request(await mintToken({ issuer, privateKey: key }), clientKey(), SUB));

  const cases = [
    { name: 'a refused port', issuer: 'refused', code: 'ECONNREFUSED', safe: /failed: connection refused \(ECONNREFUSED\)/, tls: false },
    { name: 'a TLS certificate from an unknown CA', issuer: 'untrusted', code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', safe: /failed: its TLS certificate is not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/, tls: true },
    { name: 'an expired TLS certificate (CACert path)', issuer: 'expired', code: 'CERT_HAS_EXPIRED', safe: /failed: its TLS certificate has expired \(CERT_HAS_EXPIRED\)/, tls: true },
  ] as const;
  for (const c of cases)
    it(`an issuer behind ${c.name}: 503 with the cause in words, its code and host in the log`, async () => {
      const url = urls[c.issuer];
      const res = await sign(url);
      assert.equal(res.status, 503, res.text);
      assert.equal(res.json.details[0].reason, 'ISSUER_UNAVAILABLE');
      assert.match(res.json.message, c.safe);
      assertNoAddress(res.text);
      const logged = lastFailure(fulgor);
      assert.equal(logged['outbound_code'], c.code);
      assert.equal(logged['outbound_host'], new URL(url).host);
      assert.equal(logged['outbound_tls'], c.tls ? true : undefined);
    });

  it('an issuer that never answers: 503 "timeout" after the discovery timeout, ETIMEDOUT and the host in the log', async () => {
    const res = await sign(urls.hanging);
    assert.equal(res.status, 503, res.text);
    assert.match(res.json.message, /failed: timeout: no answer in time \(ETIMEDOUT\)/);
    assertNoAddress(res.text);
    const logged = lastFailure(fulgor);
    assert.equal(logged['outbound_code'], 'ETIMEDOUT');
    assert.equal(logged['outbound_host'], new URL(urls.hanging).host);
  });

  describe('an external CT log', () => {
    let issuer: TestIssuer;
    before(async () => {
      issuer = await startIssuer('/ct-diagnostics');
    });
    after(() => issuer.close());

    async function issueVia(ctLogUrl: string) {
      const ca = await startFulgor({ OIDCIssuers: { [issuer.url]: github(issuer.url) } }, {
        ctLogUrl,
        ctLogPublicKey: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' }),
      });
      try {
        return { res: await ca.post('/api/v2/signingCert', v2Request(await issuer.mint('github'), clientKey(), SUB)), logged: lastFailure(ca) };
      } finally {
        await ca.close();
      }
    }

    it('on a refused port: 503 CT_LOG_UNAVAILABLE "connection refused", never the log URL; code and host in the log', async () => {
      const url = `http://localhost:${await refusedPort()}/log`;
      const { res, logged } = await issueVia(url);
      assert.equal(res.status, 503, res.text);
      assert.equal(res.json.details[0].reason, 'CT_LOG_UNAVAILABLE');
      assert.match(res.json.message, /could not be reached: connection refused \(ECONNREFUSED\)/);
      assertNoAddress(res.text, 'localhost', '/log');
      assert.equal(logged['outbound_code'], 'ECONNREFUSED');
      assert.equal(logged['outbound_host'], new URL(url).host);
    });

    it('behind an untrusted TLS certificate: 503 with the TLS reason, the TLS code in the log', async () => {
      const tlsCa = await makeTlsCa('ct-diagnostics');
      const pair = await tlsCa.issue('03');
      const server = createHttpsServer({ cert: pair.certPem, key: pair.keyPem }, (_req, res) => res.end('{}'));
      const url = `https://localhost:${await listen(server)}`;
      try {
        const { res, logged } = await issueVia(url);
        assert.equal(res.status, 503, res.text);
        assert.match(res.json.message, /could not be reached: its TLS certificate is not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/);
        assertNoAddress(res.text, 'localhost');
        assert.equal(logged['outbound_code'], 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
        assert.equal(logged['outbound_host'], new URL(url).host);
        assert.equal(logged['outbound_tls'], true);
      } finally {
        await stop(server);
      }
    });
  });
});
