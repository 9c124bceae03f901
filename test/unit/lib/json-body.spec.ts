import assert from 'node:assert/strict';
import { bodyReadError } from '../../../lib/json-body.js';

// body-parser's errors as http-errors builds them: a status, and for most a `type`.
const parserError = (status: number, type?: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error('x'), { status, ...(type ? { type } : {}), ...extra });

describe('lib/json-body: bodyReadError', () => {
  it('sorts body-parser’s client errors into reason codes with clear messages', () => {
    const cases: [unknown, string | undefined, string, RegExp][] = [
      [parserError(413, 'entity.too.large'), undefined, 'BODY_TOO_LARGE', /larger than 1000 bytes/],
      [parserError(400, 'entity.parse.failed'), undefined, 'MALFORMED_JSON', /not valid JSON/],
      [parserError(415, 'encoding.unsupported', { encoding: 'zz' }), 'zz', 'BAD_REQUEST', /^Content-Encoding "zz" is not supported/],
      [parserError(415, 'charset.unsupported', { charset: 'latin9' }), undefined, 'BAD_REQUEST', /^charset "latin9" is not supported/],
      [parserError(400, 'request.size.invalid'), undefined, 'BAD_REQUEST', /Content-Length/],
      [parserError(400, undefined, { code: 'Z_DATA_ERROR' }), ' GZip ', 'BAD_REQUEST', /could not be decoded as Content-Encoding "gzip"/],
      [parserError(400), undefined, 'BAD_REQUEST', /could not be read/],
    ];
    for (const [err, encoding, code, message] of cases) {
      const e = bodyReadError(err, encoding, 1000);
      assert.equal(e?.code, code, String(message));
      assert.match(e.message, message);
      assert.equal(e.cause, undefined, 'no cause kept: a JSON.parse message quotes the body');
    }
  });

  it('leaves our own faults (5xx, or not a body-parser error) to the caller', () => {
    assert.equal(bodyReadError(parserError(500, 'stream.encoding.set'), undefined, 1000), undefined);
    assert.equal(bodyReadError(new Error('boom'), undefined, 1000), undefined);
    assert.equal(bodyReadError('boom', undefined, 1000), undefined);
  });

  it('quotes a client’s long header value short', () => {
    const e = bodyReadError(parserError(415, 'encoding.unsupported', { encoding: 'a'.repeat(5000) }), undefined, 1000);
    assert.ok(e !== undefined && e.message.length < 120, e?.message);
  });
});
