// server/signing-http.ts: the signing routes answered by plain node:http answer exactly as the express routes do.
// Two real servers on port 0 built from the same parts, one with the signing routes in express (`signingRoutes:
// 'express'`) and one with them in node:http (the default), are sent the same raw requests (well-formed, malformed,
// oversized, encoded, other methods and paths) over a socket; their raw responses must be the same bytes once the Date
// and X-Request-Id values are blanked, and they must leave the same signing requests (client address under trust
// proxy), HTTP metrics, refusal counts, audit lines and log lines. The signing service is the boundary under the
// routes (as in routes.spec.ts): it records what it was given and answers a fixed chain or the error a token names.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { createDevCa } from '../../../ca/dev-ca.js';
import { FulgorError } from '../../../lib/errors.js';
import { listenHttp, type Listening } from '../../../lib/listen.js';
import { memoryLogger } from '../../../lib/log.js';
import { parseIdentityConfig } from '../../../oidc/identity-compile.js';
import { createApp, MAX_BODY_BYTES } from '../../../server/app.js';
import type { AuditRecord } from '../../../server/audit-log.js';
import { createMetrics } from '../../../server/metrics.js';
import type { RequestContext } from '../../../server/request-context.js';
import type { SigningRequest } from '../../../server/request.js';
import type { SigningService } from '../../../server/signing-service.js';

const ISSUER = 'https://token.actions.githubusercontent.com';
const PEM = '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n';
const V2 = '/api/v2/signingCert';
const V1 = '/api/v1/signingCert';

interface Side {
  readonly server: Listening;
  readonly seen: SigningRequest[];
  readonly audit: AuditRecord[];
  readonly logger: ReturnType<typeof memoryLogger>;
  readonly metrics: ReturnType<typeof createMetrics>;
}

/** One request of raw bytes on its own connection; resolves to the raw response (the server closes after it). */
function raw(server: Listening, head: string, body: Buffer = Buffer.alloc(0)): Promise<string> {
  const u = new URL(server.url);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(u.port), u.hostname, () => {
      socket.write(`${head.replace(/\n/g, '\r\n')}Host: ${u.host}\r\nConnection: close\r\n\r\n`);
      // Not end(): a client's half-close makes the server end the connection without answering.
      socket.write(body);
    });
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
  });
}

const blank = (response: string): string =>
  response.replace(/^Date: .*$/m, 'Date: -').replace(/^X-Request-Id: [0-9a-f-]{36}$/m, 'X-Request-Id: -');

const chunked = (body: Buffer, size = 65536): Buffer => {
  const parts: Buffer[] = [];
  for (let i = 0; i < body.length; i += size) {
    const part = body.subarray(i, i + size);
    parts.push(Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n'));
  }
  return Buffer.concat([...parts, Buffer.from('0\r\n\r\n')]);
};

const v2 = (token: string) => Buffer.from(JSON.stringify({ credentials: { oidcIdentityToken: token }, publicKeyRequest: { publicKey: { content: PEM }, proofOfPossession: 'AQID' } }));
const v1 = Buffer.from(JSON.stringify({ publicKey: { content: Buffer.from(PEM).toString('base64') }, signedEmailAddress: 'AQID' }));
const post = (path: string, headers: string, body: Buffer) => ({ head: `POST ${path} HTTP/1.1\n${headers}Content-Length: ${body.length}\n`, body });
const json = 'Content-Type: application/json\n';

/** [what, request head (without Host and Connection), body]. */
const CASES: Array<readonly [string, { head: string; body: Buffer }]> = [
  ['a v2 request', post(V2, json, v2('ok'))],
  ['a v2 request with a query string', post(`${V2}?x=1`, json, v2('ok'))],
  ['a v2 request in an absolute-form URL', { head: `POST http://example.test${V2} HTTP/1.1\n${json}Content-Length: ${v2('ok').length}\n`, body: v2('ok') }],
  ['a v2 request, chunked', { head: `POST ${V2} HTTP/1.1\n${json}Transfer-Encoding: chunked\n`, body: chunked(v2('ok'), 100) }],
  ['a v2 request from behind two proxies', post(V2, `${json}X-Forwarded-For: 203.0.113.7, 198.51.100.2\n`, v2('ok'))],
  ['a v2 request with the token in Authorization', post(V2, `${json}Authorization: Bearer ok\n`, Buffer.from(JSON.stringify({ publicKeyRequest: { publicKey: { content: PEM }, proofOfPossession: 'AQID' } })))],
  ['a v1 request', post(V1, `${json}Authorization: Bearer ok\n`, v1)],
  ['a v1 request without a token', post(V1, json, v1)],
  ['a v1 request without a key', post(V1, `${json}Authorization: Bearer ok\n`, Buffer.from('{}'))],
  ['a v2 request with no body', { head: `POST ${V2} HTTP/1.1\n${json}`, body: Buffer.alloc(0) }],
  ['a v2 request with an empty body', post(V2, json, Buffer.alloc(0))],
  ['invalid JSON', post(V2, json, Buffer.from('{"credentials":'))],
  ['a JSON array', post(V2, json, Buffer.from('[1,2]'))],
  ['a JSON string', post(V2, json, Buffer.from('"ok"'))],
  ['JSON null', post(V2, json, Buffer.from('null'))],
  ['a field of the wrong type', post(V2, json, Buffer.from('{"credentials":"x"}'))],
  ['bad base64 in the proof', post(V2, json, Buffer.from(JSON.stringify({ credentials: { oidcIdentityToken: 'ok' }, publicKeyRequest: { publicKey: { content: PEM }, proofOfPossession: '%%%' } })))],
  ['a UTF-8 byte order mark', post(V2, json, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), v2('ok')]))],
  ['no content type', post(V2, '', v2('ok'))],
  ['text/plain', post(V2, 'Content-Type: text/plain\n', v2('ok'))],
  ['a form content type', post(V2, 'Content-Type: application/x-www-form-urlencoded\n', v2('ok'))],
  ['a malformed content type', post(V2, 'Content-Type: ;;;\n', v2('ok'))],
  ['charset latin1', post(V2, 'Content-Type: application/json; charset=latin1\n', v2('ok'))],
  ['charset utf-16le', post(V2, 'Content-Type: application/json; charset=utf-16le\n', Buffer.from(v2('ok').toString(), 'utf16le'))],
  ['charset utf-42', post(V2, 'Content-Type: application/json; charset=utf-42\n', v2('ok'))],
  ['a gzip body', post(V2, `${json}Content-Encoding: gzip\n`, gzipSync(v2('ok')))],
  ['a deflate body', post(V2, `${json}Content-Encoding: deflate\n`, deflateSync(v2('ok')))],
  ['a br body', post(V2, `${json}Content-Encoding: br\n`, brotliCompressSync(v2('ok')))],
  ['Content-Encoding GZIP in capitals', post(V2, `${json}Content-Encoding: GZIP\n`, gzipSync(v2('ok')))],
  ['Content-Encoding identity', post(V2, `${json}Content-Encoding: identity\n`, v2('ok'))],
  ['a plain body labelled gzip', post(V2, `${json}Content-Encoding: gzip\n`, v2('ok'))],
  ['a truncated gzip body', post(V2, `${json}Content-Encoding: gzip\n`, gzipSync(v2('ok')).subarray(0, 20))],
  ['a plain body labelled br', post(V2, `${json}Content-Encoding: br\n`, v2('ok'))],
  ['an unknown Content-Encoding', post(V2, `${json}Content-Encoding: x-snappy\n`, v2('ok'))],
  ['two Content-Encodings', post(V2, `${json}Content-Encoding: gzip, gzip\n`, gzipSync(gzipSync(v2('ok'))))],
  ['a body of exactly the limit', post(V2, json, Buffer.concat([v2('ok').subarray(0, -1), Buffer.from(`,"pad":"${'x'.repeat(MAX_BODY_BYTES - v2('ok').length - 9)}"}`)]))],
  ['a body one byte over the limit', post(V2, json, Buffer.alloc(MAX_BODY_BYTES + 1, 0x20))],
  ['a chunked body over the limit', { head: `POST ${V2} HTTP/1.1\n${json}Transfer-Encoding: chunked\n`, body: chunked(Buffer.alloc(MAX_BODY_BYTES + 1, 0x20)) }],
  ['a gzip body that inflates over the limit', post(V2, `${json}Content-Encoding: gzip\n`, gzipSync(Buffer.alloc(MAX_BODY_BYTES + 1, 0x20)))],
  ['a token the policy refuses', post(V2, json, v2('policy'))],
  ['a token over its rate limit', post(V2, json, v2('limited'))],
  ['a token the service fails on', post(V2, json, v2('boom'))],
  ...['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'].map((m) => [`${m} on the v2 path`, { head: `${m} ${V2} HTTP/1.1\n${json}Content-Length: 2\n`, body: Buffer.from('{}') }] as const),
  ['GET on the v1 path', { head: `GET ${V1} HTTP/1.1\n`, body: Buffer.alloc(0) }],
  ...[`${V2}/`, '/api/v2/signingcert', '/API/v2/signingCert', '/api/v2/signingCert%2F', '//api/v2/signingCert', '/api/v3/signingCert'].map(
    (p) => [`POST ${p}`, post(p, json, v2('ok'))] as const,
  ),
  ['GET /healthz', { head: 'GET /healthz HTTP/1.1\n', body: Buffer.alloc(0) }],
];

describe('server/signing-http: the signing routes in node:http answer as the express routes do', () => {
  let express: Side;
  let node: Side;

  let dev: Awaited<ReturnType<typeof createDevCa>>;

  async function side(signingRoutes: 'express' | 'node', trustProxy = 1): Promise<Side> {
    const chain = [dev.intermediate, dev.root];
    const seen: SigningRequest[] = [];
    const audit: AuditRecord[] = [];
    const signing: SigningService = {
      async issue(req, context?: RequestContext) {
        seen.push(req);
        if (req.token === 'policy') {
          Object.assign(context?.facts ?? {}, { issuer: ISSUER, issuerVerified: true, san: 'someone' });
          throw new FulgorError('POLICY_DENIED', 'rule "main only" refuses this identity', { metadata: { rule: 'main only' } });
        }
        if (req.token === 'limited') throw new FulgorError('RATE_LIMITED', 'too many', { metadata: { scope: 'identity', retryAfterSeconds: '7' } });
        if (req.token === 'boom') throw new Error('a bug');
        return { chain: [dev.root, ...chain] };
      },
    };
    const identity = parseIdentityConfig(JSON.stringify({ OIDCIssuers: { [ISSUER]: { IssuerURL: ISSUER, ClientID: 'sigstore', Type: 'github-workflow' } } }));
    const logger = memoryLogger();
    const metrics = createMetrics({ version: 'test' });
    const app = createApp({
      signing,
      caChain: chain,
      identity,
      metrics,
      logger,
      trustProxy,
      audit: { write: async (r) => void audit.push(r) },
      signingRoutes,
    });
    return { server: await listenHttp('127.0.0.1', 0, app), seen, audit, logger, metrics };
  }

  before(async () => {
    dev = await createDevCa();
    [express, node] = await Promise.all([side('express'), side('node')]);
  });
  after(async () => {
    await express.server.close();
    await node.server.close();
  });

  for (const [what, { head, body }] of CASES)
    it(`${what}: the same response`, async () => {
      const [a, b] = await Promise.all([raw(express.server, head, body), raw(node.server, head, body)]);
      assert.match(a, /^HTTP\/1\.1 \d{3} /);
      assert.equal(blank(b), blank(a));
    });

  it('the same signing requests reached the service (client address: one proxy hop believed)', () => {
    assert.ok(express.seen.length >= 10);
    assert.deepEqual(node.seen, express.seen);
    assert.ok(node.seen.some((r) => r.clientAddress === '198.51.100.2'));
    assert.ok(node.seen.some((r) => r.clientAddress === '127.0.0.1'));
  });

  it('with no proxy believed (trust proxy 0), X-Forwarded-For is ignored by both: the socket’s address', async () => {
    const [e, n] = await Promise.all([side('express', 0), side('node', 0)]);
    try {
      const { head, body } = post(V2, `${json}X-Forwarded-For: 203.0.113.7\n`, v2('ok'));
      const [a, b] = await Promise.all([raw(e.server, head, body), raw(n.server, head, body)]);
      assert.equal(blank(b), blank(a));
      assert.deepEqual(n.seen, e.seen);
      assert.equal(n.seen[0]?.clientAddress, '127.0.0.1');
    } finally {
      await Promise.all([e.server.close(), n.server.close()]);
    }
  });

  it('the same refusal counts and HTTP metrics (by route, method and status)', async () => {
    const lines = async (s: Side) =>
      (await s.metrics.render())
        .split('\n')
        .filter((l) => /^fulgor_(refusals_total|http_requests_total)\{/.test(l))
        .sort();
    const [a, b] = await Promise.all([lines(express), lines(node)]);
    assert.ok(a.some((l) => l.startsWith('fulgor_refusals_total{reason="BODY_TOO_LARGE"}')));
    assert.ok(a.some((l) => l.includes(`route="${V2}",method="POST",status="413"`)));
    assert.deepEqual(b, a);
  });

  it('the same audit lines, with the facts the service established, and the request id the client was given', async () => {
    const strip = (r: AuditRecord) => ({ ...r, time: '-', request_id: '-' });
    assert.ok(express.audit.length >= 10);
    assert.deepEqual(node.audit.map(strip), express.audit.map(strip));
    assert.ok(node.audit.some((r) => r.event === 'policy_denied' && r.san === 'someone' && r.issuer === ISSUER));
    const response = await raw(node.server, post(V2, json, Buffer.from('nope')).head, Buffer.from('nope'));
    const id = /^X-Request-Id: (.*)$/m.exec(response)?.[1];
    assert.ok(id);
    assert.equal(node.audit.at(-1)?.request_id, id);
    assert.match(node.logger.lines.at(-1) ?? '', new RegExp(`"request_id":"${id}".*"reason":"MALFORMED_JSON"`));
  });

  it('the same log lines', () => {
    const strip = (l: string) => l.replace(/"request_id":"[0-9a-f-]{36}"/, '"request_id":"-"');
    // The last node request above was sent to one side only.
    assert.deepEqual(node.logger.lines.slice(0, -1).map(strip), express.logger.lines.map(strip));
    assert.ok(express.logger.lines.some((l) => l.includes('"level":"error"') && l.includes('"cause":"a bug"')));
  });
});
