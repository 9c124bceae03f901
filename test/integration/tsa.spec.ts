// The timestamp authority over HTTP: on the CA port of `fulgor serve` (DER and JSON requests, certchain, refusals
// with their failInfo), off with a notice for a keys dir without TSA files, and alone as a real `fulgor tsa serve`
// process stopped by SIGTERM.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMissingDevKeys } from '../../ca/dev-keys.js';
import { KEY_FILES } from '../../config/keys-dir.js';
import { parsePemBlocks } from '../../lib/pem.js';
import { FAIL_INFO } from '../../tsa/index.js';
import { FULGOR_CLI } from '../helpers/ct-process.js';
import { startFulgor, type TestFulgor } from '../helpers/fulgor.js';
import { readTimestampResponse, timestampQuery } from '../helpers/timestamp.js';

const ARTIFACT = Buffer.from('signature bytes');

async function post(url: string, body: Buffer | string, contentType: string) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: Buffer.from(await res.arrayBuffer()) };
}

describe('integration: the timestamp authority on the CA port', function () {
  this.timeout(30000);
  let fulgor: TestFulgor;
  let url: string;

  before(async () => {
    fulgor = await startFulgor({ OIDCIssuers: {} });
    url = `${fulgor.caUrl}/api/v1/timestamp`;
  });
  after(() => fulgor?.close());

  it('POST application/timestamp-query → 201 application/timestamp-reply, a granted token that pkijs verifies', async () => {
    const r = await post(url, timestampQuery({ data: ARTIFACT, nonce: 77, certReq: true }), 'application/timestamp-query');
    assert.equal(r.status, 201);
    assert.equal(r.type, 'application/timestamp-reply');
    const p = readTimestampResponse(r.body);
    assert.equal(p.status, 0);
    assert.equal(Buffer.from(p.tstInfo!.nonce!.valueBlock.valueHexView).readUInt8(0), 77);
    const v = await p.signedData!.verify({ signer: 0, data: new Uint8Array(ARTIFACT).buffer, extendedMode: true, checkChain: false });
    assert.equal(v.signatureVerified, true);
    assert.deepEqual(Buffer.from(v.signerCertificate!.toSchema().toBER()), fulgor.tsaChain![0]);
  });

  it('POST application/json as sigstore-js sends it ({artifactHash, hashAlgorithm}) → 201, the imprint is that digest', async () => {
    const digest = createHash('sha256').update(ARTIFACT).digest();
    const r = await post(url, JSON.stringify({ artifactHash: digest.toString('base64'), hashAlgorithm: 'sha256', certificates: true, nonce: 5 }), 'application/json');
    assert.equal(r.status, 201);
    assert.equal(r.type, 'application/timestamp-reply');
    const p = readTimestampResponse(r.body);
    assert.deepEqual(Buffer.from(p.tstInfo!.messageImprint.hashedMessage.valueBlock.valueHexView), digest);
    assert.equal(p.signedData!.certificates?.length, 1);
  });

  it('GET /api/v1/timestamp/certchain → the TSA certificate then the root, as PEM', async () => {
    const res = await fetch(`${url}/certchain`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/pem-certificate-chain');
    const chain = parsePemBlocks(await res.text()).map((b) => b.der);
    assert.deepEqual(chain, [...fulgor.tsaChain!, fulgor.caChain[1]!]);
    const [leaf, root] = chain.map((d) => new X509Certificate(d));
    assert.ok(leaf!.verify(root!.publicKey));
    assert.equal(readFileSync(join(fulgor.keysDir, KEY_FILES.tsaCert), 'utf8').includes('BEGIN CERTIFICATE'), true);
  });

  const refusals: Array<[string, () => Buffer, keyof typeof FAIL_INFO]> = [
    ['garbage', () => Buffer.from('not a timestamp query'), 'badDataFormat'],
    ['SHA-1', () => timestampQuery({ hash: 'sha1' }), 'badAlg'],
    ['a short digest', () => timestampQuery({ digest: Buffer.alloc(20) }), 'badDataFormat'],
    ['another policy', () => timestampQuery({ policy: '1.2.3.4.5' }), 'unacceptedPolicy'],
    ['extensions', () => timestampQuery({ extensions: true }), 'unacceptedExtension'],
    ['version 3', () => timestampQuery({ version: 3 }), 'badRequest'],
  ];
  for (const [what, body, failInfo] of refusals) {
    it(`a DER query with ${what} → 400, TimeStampResp rejection with failInfo ${failInfo}`, async () => {
      const r = await post(url, body(), 'application/timestamp-query');
      assert.equal(r.status, 400);
      assert.equal(r.type, 'application/timestamp-reply');
      const p = readTimestampResponse(r.body);
      assert.equal(p.status, 2);
      assert.equal(p.failBit, FAIL_INFO[failInfo]);
    });
  }

  it('a JSON request with sha1 → 400 in sigstore’s JSON error shape, naming badAlg', async () => {
    const r = await post(url, JSON.stringify({ artifactHash: Buffer.alloc(20).toString('base64'), hashAlgorithm: 'sha1' }), 'application/json');
    assert.equal(r.status, 400);
    assert.match(r.type, /^application\/json/);
    const body = JSON.parse(r.body.toString()) as { code: number; message: string };
    assert.equal(body.code, 400);
    assert.match(body.message, /^badAlg: /);
  });

  it('a body over 64 KiB → 413 rejection; another content type → 415; GET on the timestamp route → 405; never a 500', async () => {
    const big = await post(url, Buffer.alloc(64 * 1024 + 1), 'application/timestamp-query');
    assert.equal(big.status, 413);
    assert.equal(readTimestampResponse(big.body).failBit, FAIL_INFO.badRequest);
    const text = await post(url, 'hello', 'text/plain');
    assert.equal(text.status, 415);
    assert.match(text.body.toString(), /application\/timestamp-query/);
    const get = await fetch(url);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    const empty = await post(url, Buffer.alloc(0), 'application/timestamp-query');
    assert.equal(empty.status, 400);
  });
});

describe('integration: a keys dir without TSA files', function () {
  this.timeout(30000);
  it('fulgor serve starts, logs that the TSA is off, and the route is a 404 that says so', async () => {
    const keysDir = mkdtempSync(join(tmpdir(), 'fulgor-no-tsa-'));
    try {
      await createMissingDevKeys(keysDir);
      rmSync(join(keysDir, KEY_FILES.tsaCert));
      rmSync(join(keysDir, KEY_FILES.tsaKey));
      rmSync(join(keysDir, KEY_FILES.rootKey)); // so that startFulgor's createMissingDevKeys cannot issue one
      const f = await startFulgor({ OIDCIssuers: {} }, { keysDir });
      try {
        assert.equal(f.tsaChain, undefined);
        assert.ok(f.logLines.some((l) => l.includes('timestamp authority off')));
        const r = await post(`${f.caUrl}/api/v1/timestamp`, timestampQuery(), 'application/timestamp-query');
        assert.equal(r.status, 404);
        assert.match(r.body.toString(), /no timestamp authority/);
      } finally {
        await f.close();
      }
    } finally {
      rmSync(keysDir, { recursive: true, force: true });
    }
  });
});

describe('cli: fulgor tsa serve', function () {
  this.timeout(30000);
  it('serves timestamps alone with --tsa-key, and SIGTERM stops it with exit 0', async () => {
    const keysDir = mkdtempSync(join(tmpdir(), 'fulgor-tsa-serve-'));
    try {
      await createMissingDevKeys(keysDir);
      const keyPath = join(keysDir, KEY_FILES.tsaKey);
      const child = spawn(process.execPath, [FULGOR_CLI, 'tsa', 'serve', '--port', '0', '--keys-dir', keysDir, '--tsa-key', `file:${keyPath}`], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      const base = await new Promise<string>((resolve, reject) => {
        child.stderr!.setEncoding('utf8').on('data', (c: string) => {
          err += c;
          const m = /timestamp authority listening on (\S+)/.exec(err);
          if (m) resolve(m[1]!);
        });
        void exited.then((code) => reject(new Error(`exited ${code}: ${err}`)));
      });
      assert.match(base, /\/api\/v1\/timestamp$/);
      const r = await post(base, timestampQuery({ data: ARTIFACT }), 'application/timestamp-query');
      assert.equal(r.status, 201);
      assert.equal(readTimestampResponse(r.body).status, 0);
      assert.equal((await fetch(`${base.replace(/\/api\/v1\/timestamp$/, '')}/other`)).status, 404);
      assert.equal((await fetch(base)).status, 405);
      const chain = await fetch(`${base}/certchain`);
      assert.equal(chain.headers.get('content-type'), 'application/pem-certificate-chain');
      assert.equal(parsePemBlocks(await chain.text()).length, 2, 'TSA certificate and root');
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      rmSync(keysDir, { recursive: true, force: true });
    }
  });

  it('refuses a --tsa-key that names no key (exit 2, naming the flag)', async () => {
    const keysDir = mkdtempSync(join(tmpdir(), 'fulgor-tsa-serve-'));
    try {
      await createMissingDevKeys(keysDir);
      const child = spawn(process.execPath, [FULGOR_CLI, 'tsa', 'serve', '--port', '0', '--keys-dir', keysDir, '--tsa-key', 'pkcs11:token=x'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
      const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      assert.equal(code, 2);
      assert.match(err, /timestamp authority key \(named by --tsa-key\): PKCS#11 URI pkcs11:token=x: names no key/);
    } finally {
      rmSync(keysDir, { recursive: true, force: true });
    }
  });
});
