// server/error-response.ts: errors leave in Fulcio's google.rpc.Status shape with our reason in an ErrorInfo, the
// status and message prefix from the one table; causes are logged, never returned; anything that is not a
// FulgorError is a 500 INTERNAL. Driven through a real express app on port 0.
import assert from 'node:assert/strict';
import express from 'express';
import { FulgorError, REASON_CODES } from '../../../lib/errors.js';
import { listenHttp, type Listening } from '../../../lib/listen.js';
import { memoryLogger } from '../../../lib/log.js';
import { errorHandler, rpcStatus } from '../../../server/error-response.js';
import { ERROR_TABLE } from '../../../server/error-table.js';

/** An internal detail that belongs in the log, not in a client's answer. */
const DETAIL = 'CKR_DEVICE_ERROR on slot 0 (/dev/hsm0)';

describe('server/error-response: Fulcio’s error shape', () => {
  it('rpcStatus gives every code its row: status, gRPC code, prefixed message, one ErrorInfo with the metadata', () => {
    for (const code of REASON_CODES) {
      const row = ERROR_TABLE[code];
      const { status, body } = rpcStatus(new FulgorError(code, 'what happened', { metadata: { claim: 'sub' } }));
      assert.equal(status, row.status, code);
      assert.deepEqual(body, {
        code: row.grpc,
        message: row.prefix ? `${row.prefix}: what happened` : 'what happened',
        details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: code, domain: 'fulgor', metadata: { claim: 'sub' } }],
      });
    }
  });

  it('keeps Fulcio’s statuses: client mistakes 400, policy 403, oversized 413, our faults 5xx', () => {
    const status = (c: keyof typeof ERROR_TABLE) => ERROR_TABLE[c].status;
    assert.equal(status('MISSING_TOKEN'), 400);
    assert.equal(status('INVALID_PROOF_OF_POSSESSION'), 400);
    assert.equal(status('POLICY_DENIED'), 403);
    assert.equal(status('BODY_TOO_LARGE'), 413);
    assert.equal(status('ISSUER_UNAVAILABLE'), 503);
    assert.equal(status('CT_LOG_UNAVAILABLE'), 503);
    assert.equal(status('CT_LOG_REJECTED'), 502);
    assert.equal(status('SIGNING_FAILED'), 500);
    assert.equal(status('SHUTTING_DOWN'), 503);
    assert.equal(status('INTERNAL'), 500);
    assert.equal(ERROR_TABLE.MISSING_TOKEN.prefix, 'There was an error processing the identity token');
    assert.equal(ERROR_TABLE.SIGNING_FAILED.prefix, 'error communicating with CA backend');
  });

  describe('errorHandler over HTTP', () => {
    let server: Listening;
    const logger = memoryLogger();

    before(async () => {
      const app = express();
      app.get('/fulgor', () => {
        throw new FulgorError('SIGNING_FAILED', 'the CA could not sign the certificate', { cause: new Error(`hsm said ${DETAIL}`) });
      });
      app.get('/async', async () => {
        await Promise.resolve();
        throw new FulgorError('POLICY_DENIED', 'rule "x" refused', { metadata: { rule: 'x' } });
      });
      app.get('/bug', () => {
        throw new TypeError(`cannot read properties of undefined (${DETAIL})`);
      });
      app.get('/late', (_req, res, next) => {
        res.status(200).send('answered');
        next(new FulgorError('INTERNAL', 'after the answer'));
      });
      app.use(errorHandler(logger));
      server = await listenHttp('127.0.0.1', 0, app);
    });
    after(() => server.close());
    beforeEach(() => void logger.lines.splice(0));

    const get = async (path: string) => {
      const res = await fetch(server.url + path);
      return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
    };
    const lastLine = () => JSON.parse(logger.lines[logger.lines.length - 1]!) as Record<string, unknown>;

    it('answers a FulgorError with its row and logs its cause at error level (5xx), never returning it', async () => {
      const res = await get('/fulgor');
      assert.equal(res.status, 500);
      assert.match(res.type, /^application\/json/);
      assert.deepEqual(JSON.parse(res.text), rpcStatus(new FulgorError('SIGNING_FAILED', 'the CA could not sign the certificate')).body);
      assert.ok(!res.text.includes(DETAIL));
      assert.deepEqual(lastLine(), {
        level: 'error',
        msg: 'request failed',
        method: 'GET',
        path: '/fulgor',
        status: 500,
        reason: 'SIGNING_FAILED',
        message: 'the CA could not sign the certificate',
        cause: `hsm said ${DETAIL}`,
      });
    });

    it('answers a rejected async handler too, and logs a 4xx at warn level', async () => {
      const res = await get('/async');
      assert.equal(res.status, 403);
      assert.equal(JSON.parse(res.text).details[0].metadata.rule, 'x');
      assert.equal(lastLine().level, 'warn');
    });

    it('turns anything else into 500 INTERNAL "internal error", its text logged only', async () => {
      const res = await get('/bug');
      assert.equal(res.status, 500);
      assert.deepEqual(JSON.parse(res.text), {
        code: 13,
        message: 'internal error',
        details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'INTERNAL', domain: 'fulgor', metadata: {} }],
      });
      assert.ok(!res.text.includes(DETAIL));
      assert.match(String(lastLine().cause), /cannot read properties/);
    });

    it('leaves an already answered response alone and logs that the request finished late', async () => {
      const res = await get('/late');
      assert.equal(res.status, 200);
      assert.equal(res.text, 'answered');
      assert.equal(lastLine().msg, 'request finished after it was answered');
      assert.equal(lastLine().level, 'warn');
    });
  });
});
