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

  /**
   * An OIDC issuer on a port of its own whose discovery document is held until `release()`: issuances with its tokens
   * wait in the server, certainly in flight, for as long as the test wants.
   */
  async function gatedIssuer(name: string) {
    const app = express();
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((r) => server.once('listening', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/${name}`;
    const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    let asked!: () => void;
    const discoveryAsked = new Promise<void>((r) => (asked = r));
    let open = false;
    const held: Array<() => void> = [];
    app.use(`/${name}/.well-known/openid-configuration`, (_req, _res, next) => {
      asked();
      if (open) next();
      else held.push(next);
    });
    app.use(`/${name}`, issuerRouter(url, () => [key]));
    const config = join(dir, `${name}.json`);
    writeFileSync(config, JSON.stringify({ OIDCIssuers: { [url]: { IssuerURL: url, ClientID: 'sigstore', Type: 'github-workflow' } } }));
    return {
      url,
      config,
      discoveryAsked,
      token: () => mintToken({ issuer: url, privateKey: key, type: 'github' }),
      release() {
        open = true;
        for (const next of held.splice(0)) next();
      },
      close() {
        server.closeAllConnections();
        server.close();
      },
    };
  }

  // One process, and a primary with two CA workers (server/cluster.ts: the workers drain first, then the log).
  for (const workers of [1, 2])
  it(`SIGTERM during ${CONCURRENT} concurrent issuances (--workers ${workers}): all answered, exit 0, the log closed after the last one`, async () => {
    const keysDir = join(dir, 'keys');
    const ctDir = join(dir, `ct-${workers}`);
    // The issuances are held in the server for certain when SIGTERM arrives: their issuer's discovery is answered only
    // once the stop has begun (an issuance alone is too quick to be caught in flight by timing: the log's group commit
    // answers a hundred at once).
    const gated = await gatedIssuer(`gated-${workers}`);
    const { child, caUrl, output } = await startServe(['--dev', '--keys-dir', keysDir, '--ct-storage', `file:${ctDir}`, '--workers', String(workers), '--config-path', gated.config]);
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENT });
    let answers: Answer[];
    try {
      const token = (await run(process.execPath, [BIN, 'dev-token', '--type', 'github', '--keys-dir', keysDir, '--ca-url', caUrl])).stdout.trim();
      // Warm up: every worker has issued (the cluster hands fresh connections out in turn) and CONCURRENT keep-alive
      // connections are open, so every issuance below is sent on a connection the server has already accepted.
      for (let i = 0; i < 2 * workers; i++)
        assert.equal((await post(`${caUrl}/api/v2/signingCert`, JSON.stringify(v2Request(token, clientKey(), SUB)), new http.Agent())).status, 200);
      const warm = await Promise.all(Array.from({ length: CONCURRENT }, () => get(`${caUrl}/healthz`, agent)));
      assert.ok(warm.every((s) => s === 200));
      const gatedToken = await gated.token();
      const bodies = Array.from({ length: CONCURRENT }, () => JSON.stringify(v2Request(gatedToken, clientKey(), SUB)));

      const inFlight = bodies.map((b) => post(`${caUrl}/api/v2/signingCert`, b, agent));
      await gated.discoveryAsked;
      const stopped = exited(child);
      child.kill('SIGTERM');
      // Let the stop begin (listeners closed, every worker told), then let the held issuances go on.
      await new Promise((r) => setTimeout(r, 200));
      gated.release();
      answers = await Promise.all(inFlight); // rejects if any connection was dropped without an answer
      assert.deepEqual(await stopped, { code: 0, signal: null }, output());
    } finally {
      agent.destroy();
      gated.close();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }

    assert.deepEqual(answers.map((a) => a.status), answers.map(() => 200), 'all finished within the drain timeout');
    assert.deepEqual(answers.map((a) => a.connection), answers.map(() => 'close'), 'all were answered while stopping, with Connection: close');
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
    // The requests are held in the server for certain: their issuer's discovery is not answered until the test is over.
    const gated = await gatedIssuer('gated');
    const { child, caUrl, output } = await startServe(['--dev', '--keys-dir', keysDir, '--ct-storage', 'memory', '--drain-timeout', '0', '--config-path', gated.config]);
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENT });
    let answers: Answer[];
    try {
      const token = (await run(process.execPath, [BIN, 'dev-token', '--type', 'github', '--keys-dir', keysDir, '--ca-url', caUrl])).stdout.trim();
      assert.equal((await post(`${caUrl}/api/v2/signingCert`, JSON.stringify(v2Request(token, clientKey(), SUB)), agent)).status, 200);
      await Promise.all(Array.from({ length: CONCURRENT }, () => get(`${caUrl}/healthz`, agent)));
      const gatedToken = await gated.token();
      const bodies = Array.from({ length: CONCURRENT }, () => JSON.stringify(v2Request(gatedToken, clientKey(), SUB)));
      const inFlight = bodies.map((b) => post(`${caUrl}/api/v2/signingCert`, b, agent));
      await gated.discoveryAsked;
      const stopped = exited(child);
      child.kill('SIGTERM');
      answers = await Promise.all(inFlight);
      assert.deepEqual(await stopped, { code: 0, signal: null }, output());
    } finally {
      agent.destroy();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      gated.close();
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
