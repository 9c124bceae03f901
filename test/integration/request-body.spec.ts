// How the CA and its CT log read request bodies, over raw HTTP: Content-Encoding (inflated when it is real, a 400 when
// the body does not decode or the encoding is unknown, never a 500) and clients that go away mid-body (no answer, no
// error-level log line, and the server keeps serving).
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { clientKey, startFulgor, v2Request, type TestFulgor } from '../helpers/fulgor.js';
import { startIssuer, type TestIssuer } from '../helpers/oidc-issuer.js';

const SUB = 'repo:acme/app:ref:refs/heads/main';
const ENCODE: Record<string, (b: Buffer) => Buffer> = { gzip: gzipSync, deflate: deflateSync, br: brotliCompressSync };

interface RawResponse {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
}

/** One POST with exactly these headers and body bytes (fetch would refuse or rewrite some of them). */
function rawPost(url: string, headers: Record<string, string>, body: Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-length': String(body.length), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'] ?? '', text: Buffer.concat(chunks).toString() }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Announces `length` body bytes, sends `sent` of them, then destroys the socket; resolves once it is closed. */
function abortMidBody(url: string, length: number, sent: Buffer): Promise<void> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(u.port), u.hostname, () => {
      socket.write(`POST ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`);
      // Only once the server has taken the head and the first bytes is the socket torn down.
      socket.write(sent, () => setImmediate(() => socket.destroy()));
    });
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
}

const errorLines = (lines: string[]) => lines.filter((l) => (JSON.parse(l) as { level: string }).level === 'error');

/** Resolves once `lines` holds a line matching `re` (the test's timeout bounds the wait). */
async function logged(lines: string[], re: RegExp): Promise<string> {
  for (;;) {
    const hit = lines.find((l) => re.test(l));
    if (hit !== undefined) return hit;
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('integration: request bodies over raw HTTP (Content-Encoding, clients that go away)', () => {
  let issuer: TestIssuer;
  let fulgor: TestFulgor;
  let signingCert: string;
  let addChain: string;

  before(async () => {
    issuer = await startIssuer();
    fulgor = await startFulgor({ OIDCIssuers: { [issuer.url]: { IssuerURL: issuer.url, ClientID: 'sigstore', Type: 'github-workflow' } } });
    signingCert = `${fulgor.caUrl}/api/v2/signingCert`;
    addChain = `${fulgor.ctUrl}/ct/v1/add-chain`;
  });
  after(async () => {
    await fulgor.close();
    await issuer.close();
  });
  beforeEach(() => void fulgor.logLines.splice(0));
  const noErrorLogged = () => assert.deepEqual(errorLines(fulgor.logLines), [], 'nothing logged at error level');
  /** The line an aborted body leaves: at debug level, without a stack (or the error line the old code wrote). */
  const abortLine = async () => {
    const line = await logged(fulgor.logLines, /client went away|"level":"error"/);
    assert.equal(JSON.parse(line).level, 'debug', line);
    assert.doesNotMatch(line, /stack|\\n\s+at /);
  };

  describe('the CA', () => {
    for (const encoding of Object.keys(ENCODE)) {
      it(`inflates a real ${encoding} body and issues`, async () => {
        const body = Buffer.from(JSON.stringify(v2Request(await issuer.mint('github'), clientKey(), SUB)));
        const res = await rawPost(signingCert, { 'content-type': 'application/json', 'content-encoding': encoding }, ENCODE[encoding]!(body));
        assert.equal(res.status, 200, res.text);
        assert.ok(JSON.parse(res.text).signedCertificateEmbeddedSct);
      });

      it(`answers a plain JSON body labelled ${encoding} with 400 BAD_REQUEST, not 500`, async () => {
        const res = await rawPost(signingCert, { 'content-type': 'application/json', 'content-encoding': encoding }, Buffer.from('{"credentials":{}}'));
        assert.equal(res.status, 400, res.text);
        assert.match(res.contentType, /application\/json/);
        const json = JSON.parse(res.text);
        assert.equal(json.code, 3);
        assert.equal(json.details[0].reason, 'BAD_REQUEST');
        assert.equal(json.message, `the request body could not be decoded as Content-Encoding "${encoding}"`);
        assert.match(await logged(fulgor.logLines, /request failed/), /"level":"warn".*"status":400/);
        noErrorLogged();
      });
    }

    it('answers an unknown Content-Encoding with 400 BAD_REQUEST naming it', async () => {
      const res = await rawPost(signingCert, { 'content-type': 'application/json', 'content-encoding': 'x-snappy' }, Buffer.from('{}'));
      assert.equal(res.status, 400, res.text);
      const json = JSON.parse(res.text);
      assert.equal(json.details[0].reason, 'BAD_REQUEST');
      assert.match(json.message, /^Content-Encoding "x-snappy" is not supported/);
      noErrorLogged();
    });

    it('does not answer, or log an error for, a client that goes away mid-body, and keeps serving', async () => {
      const whole = Buffer.from(JSON.stringify(v2Request(await issuer.mint('github'), clientKey(), SUB)));
      for (let i = 0; i < 5; i++) await abortMidBody(signingCert, whole.length, whole.subarray(0, whole.length >> 1));
      await abortLine();
      const res = await rawPost(signingCert, { 'content-type': 'application/json' }, whole);
      assert.equal(res.status, 200, res.text);
      noErrorLogged();
    });
  });

  describe('the CT log', () => {
    it('answers a plain body labelled gzip, deflate or br with a readable 400', async () => {
      for (const encoding of Object.keys(ENCODE)) {
        const res = await rawPost(addChain, { 'content-type': 'application/json', 'content-encoding': encoding }, Buffer.from('{"chain":[]}'));
        assert.equal(res.status, 400, res.text);
        assert.equal(res.text, `the request body could not be decoded as Content-Encoding "${encoding}"\n`);
      }
      const unknown = await rawPost(addChain, { 'content-type': 'application/json', 'content-encoding': 'x-snappy' }, Buffer.from('{}'));
      assert.equal(unknown.status, 400, unknown.text);
      assert.match(unknown.text, /^Content-Encoding "x-snappy" is not supported/);
      // A real encoding is read: this body is inflated and then judged on its content.
      const real = await rawPost(addChain, { 'content-type': 'application/json', 'content-encoding': 'gzip' }, gzipSync('{"chain":[]}'));
      assert.equal(real.status, 400);
      assert.match(real.text, /at least one certificate/);
      noErrorLogged();
    });

    it('does not answer, or log an error for, a client that goes away mid-body, and keeps serving', async () => {
      await abortMidBody(addChain, 1000, Buffer.from('{"chain":["MII'));
      await abortLine();
      const sth = await fetch(`${fulgor.ctUrl}/ct/v1/get-sth`);
      assert.equal(sth.status, 200);
      noErrorLogged();
    });
  });
});
