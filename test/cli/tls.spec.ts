// TLS on the CA port and the CT log port, through real processes: `fulgor serve --tls-cert-file/--tls-key-file
// --ct-tls-cert-file/--ct-tls-key-file` and `fulgor ct serve --ct-tls-*`, with certificates made in the test by a
// test CA. HTTPS with that CA works on both ports (and a whole issuance, so the CA's own client reaches its log over
// TLS), plain HTTP does not; SIGHUP swaps a changed pair in (the served serial changes) and keeps the old one when
// the new pair is bad.
import assert from 'node:assert/strict';
import { request as httpGet } from 'node:http';
import { request as httpsGet } from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { createMissingDevKeys } from '../../ca/dev-keys.js';
import { fulgor } from '../helpers/cli-process.js';
import { clientKey, v2Request } from '../helpers/fulgor.js';
import { startIssuer, type TestIssuer } from '../helpers/oidc-issuer.js';
import { startLog } from '../helpers/ct-process.js';
import { spawnServe, stopProcess, until } from '../helpers/serve-process.js';
import { makeTlsCa, type TestTlsCa } from '../helpers/tls-certs.js';

const SUB = 'repo:acme/app:ref:refs/heads/main';

/** One GET on a fresh connection (no keep-alive, no TLS session reuse): the status and the served certificate's serial. */
function getOnce(url: string, ca?: string): Promise<{ status: number; serial?: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req =
      u.protocol === 'https:'
        ? httpsGet(u, { agent: false, ...(ca ? { ca } : {}) }, (res) => {
            const serial = (res.socket as TLSSocket).getPeerCertificate().serialNumber;
            res.resume().on('end', () => resolve({ status: res.statusCode ?? 0, serial }));
          })
        : httpGet(u, { agent: false }, (res) => res.resume().on('end', () => resolve({ status: res.statusCode ?? 0 })));
    req.setTimeout(5_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

describe('cli: TLS on the CA and CT log ports', function () {
  this.timeout(60_000);
  let work: string;
  let issuer: TestIssuer;
  let tlsCa: TestTlsCa;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'fulgor-tls-'));
    issuer = await startIssuer('/tls');
    tlsCa = await makeTlsCa('fulgor-tls');
  });
  after(async () => {
    await issuer.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('fulgor serve: HTTPS on both ports with the test CA, issuance through the TLS log, no plain HTTP; SIGHUP swaps the pair, a bad pair is refused', async () => {
    const keys = join(work, 'keys');
    await createMissingDevKeys(keys);
    const config = join(work, 'identity.json');
    // A second issuer, never asked (no token names it), on http:// across a network: warned about at start.
    const offHost = 'http://idp.corp.example/plain';
    const gh = (url: string) => ({ IssuerURL: url, ClientID: 'sigstore', Type: 'github-workflow' });
    writeFileSync(config, JSON.stringify({ OIDCIssuers: { [issuer.url]: gh(issuer.url), [offHost]: gh(offHost) } }));
    const caPair = (await tlsCa.issue('0a01')).write(work, 'ca-port');
    const ctPair = (await tlsCa.issue('0b01')).write(work, 'ct-port');
    const { child, output, ready } = spawnServe([
      '--keys-dir', keys, '--allow-dev-keys', '--config-path', config,
      '--tls-cert-file', caPair.certFile, '--tls-key-file', caPair.keyFile,
      '--ct-tls-cert-file', ctPair.certFile, '--ct-tls-key-file', ctPair.keyFile,
    ]);
    try {
      const caUrl = await ready;
      assert.match(caUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
      const ctUrl = /\(CT log (\S+)\)/.exec(output())?.[1];
      assert.match(ctUrl ?? '', /^https:\/\/127\.0\.0\.1:\d+$/, output());
      const sth = `${ctUrl}/ct/v1/get-sth`;

      assert.deepEqual(await getOnce(`${caUrl}/healthz`, tlsCa.pem), { status: 200, serial: '0A01' });
      assert.deepEqual(await getOnce(sth, tlsCa.pem), { status: 200, serial: '0B01' });
      // Without the test CA the certificate is not trusted; plain HTTP gets no answer on either port.
      await assert.rejects(getOnce(`${caUrl}/healthz`), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
      await assert.rejects(getOnce(`${caUrl.replace('https:', 'http:')}/healthz`));
      await assert.rejects(getOnce(sth.replace('https:', 'http:')));
      // Without --dev the off-host http:// issuer is warned about; the loopback test issuer (no network path) is not.
      assert.match(output(), /an OIDC issuer is configured with http:\/\/.*"issuer":"http:\/\/idp\.corp\.example\/plain"/);
      assert.doesNotMatch(output(), /configured with http:\/\/.*"issuer":"http:\/\/127\.0\.0\.1/);

      // A whole issuance: the CA submits to its companion log over HTTPS (its own certificate, pinned).
      const issue = async () => {
        const res = await fetch(`${caUrl}/api/v2/signingCert`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(v2Request(await issuer.mint('github'), clientKey(), SUB)) });
        return res.status;
      };
      // Global fetch does not take a CA: send it through node:https instead.
      const post = (body: string) =>
        new Promise<number>((resolve, reject) => {
          const req = httpsGet(`${caUrl}/api/v2/signingCert`, { method: 'POST', agent: false, ca: tlsCa.pem, headers: { 'content-type': 'application/json' } }, (res) =>
            res.resume().on('end', () => resolve(res.statusCode ?? 0)),
          );
          req.on('error', reject);
          req.end(body);
        });
      await assert.rejects(issue(), 'global fetch does not trust the test CA');
      const request = async () => JSON.stringify(v2Request(await issuer.mint('github'), clientKey(), SUB));
      assert.equal(await post(await request()), 200, output());

      // New pairs in the same files, then SIGHUP: new connections get them.
      (await tlsCa.issue('0a02')).write(work, 'ca-port');
      (await tlsCa.issue('0b02')).write(work, 'ct-port');
      child.kill('SIGHUP');
      await until('the CA port to serve serial 0A02', async () => ((await getOnce(`${caUrl}/healthz`, tlsCa.pem)).serial === '0A02' ? true : undefined));
      await until('the log port to serve serial 0B02', async () => ((await getOnce(sth, tlsCa.pem)).serial === '0B02' ? true : undefined));
      assert.equal(await post(await request()), 200, 'the CA still reaches its log after the log certificate changed');

      // A bad pair: the key of another certificate. Refused, logged, and the current certificate stays.
      const other = await tlsCa.issue('0a03');
      writeFileSync(caPair.certFile, other.certPem);
      child.kill('SIGHUP');
      await until('the refusal to be logged', () => (/TLS certificate reload rejected.*"listener":"CA".*is not the key of the certificate/.test(output()) ? true : undefined));
      assert.equal((await getOnce(`${caUrl}/healthz`, tlsCa.pem)).serial, '0A02');
      assert.equal((await getOnce(sth, tlsCa.pem)).serial, '0B02', 'the log port is unaffected');
      assert.equal(await post(await request()), 200);
      assert.equal(child.exitCode, null, 'still running');
    } finally {
      await stopProcess(child);
    }
  });

  it('refuses to start on a bad pair (naming the file) or on half a pair', async () => {
    const keys = join(work, 'start-keys');
    await createMissingDevKeys(keys);
    const a = (await tlsCa.issue('0d01')).write(work, 'start-a');
    const b = (await tlsCa.issue('0d02')).write(work, 'start-b');
    const base = ['serve', '--dev', '--keys-dir', keys, '--port', '0', '--ct-port', '0', '--ct-storage', 'memory'];
    const mismatched = await fulgor(...base, '--tls-cert-file', a.certFile, '--tls-key-file', b.keyFile);
    assert.notEqual(mismatched.code, 0);
    assert.match(mismatched.stderr, new RegExp(`TLS key ${b.keyFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not the key of the certificate in`));
    const half = await fulgor('ct', 'serve', '--dev', '--keys-dir', keys, '--ct-port', '0', '--ct-storage', 'memory', '--ct-tls-cert-file', a.certFile);
    assert.notEqual(half.code, 0);
    assert.match(half.stderr, /--ct-tls-cert-file and --ct-tls-key-file go together/);
    const missing = await fulgor(...base, '--ct-tls-cert-file', join(work, 'absent.crt'), '--ct-tls-key-file', a.keyFile);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /TLS file .*absent\.crt/);
  });

  it('fulgor ct serve --ct-tls-*: HTTPS only, SIGHUP swaps the pair', async () => {
    const keys = join(work, 'log-keys');
    await createMissingDevKeys(keys);
    const pair = (await tlsCa.issue('0c01')).write(work, 'log-only');
    const log = await startLog(join(work, 'ct-data'), keys, join(keys, 'root-ca.pem'), {
      extraArgs: ['--ct-tls-cert-file', pair.certFile, '--ct-tls-key-file', pair.keyFile],
    });
    try {
      assert.match(log.url, /^https:\/\//);
      const sth = `${log.url}/ct/v1/get-sth`;
      assert.deepEqual(await getOnce(sth, tlsCa.pem), { status: 200, serial: '0C01' });
      await assert.rejects(getOnce(sth.replace('https:', 'http:')));
      (await tlsCa.issue('0c02')).write(work, 'log-only');
      log.child.kill('SIGHUP');
      await until('the log to serve serial 0C02', async () => ((await getOnce(sth, tlsCa.pem)).serial === '0C02' ? true : undefined));
      assert.match(log.stderr(), /TLS certificate reloaded.*"serial":"0C02"/);
    } finally {
      await stopProcess(log.child);
    }
  });
});
