// A real `fulgor serve --dev` process stopped by SIGTERM while many issuances are in flight: every request gets a
// whole HTTP answer, the process exits 0, and the companion log (file store) holds exactly the precertificates of
// the certificates that were returned.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import express from 'express';
import { issuerRouter, mintToken } from '../../oidc/dev-issuer.js';
import { clientKey, v2Request } from '../helpers/fulgor.js';
import { certificateSerial, loggedSerials } from '../helpers/logged-serials.js';
import type { CaBody } from '../helpers/response-body.js';
import { BIN, exited, startServe } from '../helpers/serve-process.js';

const run = promisify(execFile);
const CONCURRENT = 100;
const SUB = 'repo:acme/app:ref:refs/heads/main';

interface Answer {
  readonly status: number;
  readonly connection: string | undefined;
  readonly json: CaBody;
}

/** One POST on `agent`; rejects if the connection ends without a whole HTTP answer. */
function post(url: string, body: string, agent: http.Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, json: JSON.parse(text) });
        } catch (e) {
          reject(e);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const get = (url: string, agent: http.Agent) =>
  new Promise<number>((resolve, reject) => {
    http.get(url, { agent }, (res) => res.resume().on('end', () => resolve(res.statusCode ?? 0))).on('error', reject);
  });

describe('cli: graceful stop (SIGTERM)', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'fulgor-stop-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  // One process, and a primary with two CA workers (server/cluster.ts: the workers drain first, then the log).
  for (const workers of [1, 2])
  it(`SIGTERM during ${CONCURRENT} concurrent issuances (--workers ${workers}): all answered, exit 0, the log closed after the last one`, async () => {
    const keysDir = join(dir, 'keys');
    const ctDir = join(dir, `ct-${workers}`);
    const { child, caUrl, output } = await startServe(['--dev', '--keys-dir', keysDir, '--ct-storage', `file:${ctDir}`, '--workers', String(workers)]);
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENT });
    let answers: Answer[];
    try {
      const token = (await run(process.execPath, [BIN, 'dev-token', '--type', 'github', '--keys-dir', keysDir, '--ca-url', caUrl])).stdout.trim();
      // Warm up: the dev issuer's discovery and keys are cached, and CONCURRENT keep-alive connections are open, so
      // every issuance below is sent on a connection the server has already accepted.
      // With workers, every one of them fetches the development issuer's keys (served on the CA port, which closes on
      // SIGTERM) before the stop: warm-up issuances on fresh connections, which the cluster hands out in turn.
      for (let i = 0; i < 2 * workers; i++)
        assert.equal((await post(`${caUrl}/api/v2/signingCert`, JSON.stringify(v2Request(token, clientKey(), SUB)), new http.Agent())).status, 200);
      const warm = await Promise.all(Array.from({ length: CONCURRENT }, () => get(`${caUrl}/healthz`, agent)));
      assert.ok(warm.every((s) => s === 200));
      const bodies = Array.from({ length: CONCURRENT }, () => JSON.stringify(v2Request(token, clientKey(), SUB)));

      const inFlight = bodies.map((b) => post(`${caUrl}/api/v2/signingCert`, b, agent));
      // Stop as soon as the first answer is back: the others are being worked on.
      await Promise.race(inFlight);
      const stopped = exited(child);
      child.kill('SIGTERM');
      answers = await Promise.all(inFlight); // rejects if any connection was dropped without an answer
      assert.deepEqual(await stopped, { code: 0, signal: null }, output());
    } finally {
      agent.destroy();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }

    assert.deepEqual(answers.map((a) => a.status), answers.map(() => 200), 'all finished within the drain timeout');
    assert.ok(answers.some((a) => a.connection === 'close'), 'some were answered while stopping, with Connection: close');
    assert.match(output(), /"msg":"stopping: no new connections/);
    assert.match(output(), /"msg":"stopped"/);

    // Every precertificate in the log belongs to a returned certificate (the warm-up's plus the CONCURRENT ones):
    // the log was not closed under an issuance.
    const returned = answers.map((a) => certificateSerial(a.json.signedCertificateEmbeddedSct.chain.certificates[0]!));
    const logged = await loggedSerials(ctDir);
    assert.equal(logged.size, CONCURRENT + 2 * workers);
    for (const serial of returned) assert.ok(logged.serials.has(serial), `certificate ${serial.toString(16)} was logged`);
  });

  it('with --drain-timeout 0, requests still running when SIGTERM arrives get 503 SHUTTING_DOWN, none are dropped', async () => {
    const keysDir = join(dir, 'keys');
    // The requests are held in the server for certain: their tokens come from an issuer whose discovery does not
    // answer until the test is over (the issuance itself is too quick to be caught in flight by timing).
    const gated = express();
    const gatedServer = gated.listen(0, '127.0.0.1');
    await new Promise<void>((r) => gatedServer.once('listening', () => r()));
    const issuerUrl = `http://127.0.0.1:${(gatedServer.address() as AddressInfo).port}/gated`;
    const issuerKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    let discoveryAsked!: () => void;
    const asked = new Promise<void>((r) => (discoveryAsked = r));
    gated.use('/gated/.well-known/openid-configuration', () => discoveryAsked()); // never answered
    gated.use('/gated', issuerRouter(issuerUrl, () => [issuerKey]));
    const config = join(dir, 'gated.json');
    writeFileSync(config, JSON.stringify({ OIDCIssuers: { [issuerUrl]: { IssuerURL: issuerUrl, ClientID: 'sigstore', Type: 'github-workflow' } } }));
    const { child, caUrl, output } = await startServe(['--dev', '--keys-dir', keysDir, '--ct-storage', 'memory', '--drain-timeout', '0', '--config-path', config]);
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENT });
    let answers: Answer[];
    try {
      const token = (await run(process.execPath, [BIN, 'dev-token', '--type', 'github', '--keys-dir', keysDir, '--ca-url', caUrl])).stdout.trim();
      assert.equal((await post(`${caUrl}/api/v2/signingCert`, JSON.stringify(v2Request(token, clientKey(), SUB)), agent)).status, 200);
      await Promise.all(Array.from({ length: CONCURRENT }, () => get(`${caUrl}/healthz`, agent)));
      const gatedToken = await mintToken({ issuer: issuerUrl, privateKey: issuerKey, type: 'github' });
      const bodies = Array.from({ length: CONCURRENT }, () => JSON.stringify(v2Request(gatedToken, clientKey(), SUB)));
      const inFlight = bodies.map((b) => post(`${caUrl}/api/v2/signingCert`, b, agent));
      await asked;
      const stopped = exited(child);
      child.kill('SIGTERM');
      answers = await Promise.all(inFlight);
      assert.deepEqual(await stopped, { code: 0, signal: null }, output());
    } finally {
      agent.destroy();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      gatedServer.closeAllConnections();
      gatedServer.close();
    }
    const refused = answers.filter((a) => a.status !== 200);
    assert.ok(refused.length > 0, 'some were still running at the deadline');
    for (const a of refused) {
      assert.equal(a.status, 503);
      assert.equal(a.connection, 'close');
      assert.equal(a.json.code, 14);
      assert.equal(a.json.details[0].reason, 'SHUTTING_DOWN');
    }
  });
});
