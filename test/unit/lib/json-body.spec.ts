import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { connect } from 'node:net';
import express from 'express';
import { isFulgorError } from '../../../lib/errors.js';
import { bodyReadError, jsonBodyReader } from '../../../lib/json-body.js';
import { listenHttp, type Listening } from '../../../lib/listen.js';
import { memoryLogger, silentLogger } from '../../../lib/log.js';

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

describe('lib/json-body: jsonBodyReader reads the plain case as express.json does', () => {
  const LIMIT = 1000;
  let server: Listening;
  // /express: express.json itself; /reader: jsonBodyReader; `?strict` for strict JSON. Each answers what it read: the
  // body, or the error's reason.
  before(async () => {
    const parsers = [false, true].map((strict) => express.json({ limit: LIMIT, type: () => true, strict }));
    const readers = [false, true].map((strict) => jsonBodyReader({ limitBytes: LIMIT, strict, logger: silentLogger }));
    const answer = (res: ServerResponse, outcome: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(outcome ?? null));
    server = await listenHttp('127.0.0.1', 0, (req, res) => {
      const strict = req.url?.endsWith('?strict') ? 1 : 0;
      const parse = parsers[strict]!;
      const read = readers[strict]!;
      if (req.url?.startsWith('/express'))
        void parse(req as express.Request, res as express.Response, (err?: unknown) =>
          answer(res, err ? { error: bodyReadError(err, req.headers['content-encoding'], LIMIT)?.code ?? 'ours' } : { body: (req as { body?: unknown }).body }),
        );
      else read(req, res, (err, body) => answer(res, err ? { error: isFulgorError(err) ? err.code : 'ours' } : { body }));
    });
  });
  after(() => server.close());

  const send = async (path: string, body: Buffer, headers: Record<string, string>) =>
    (await fetch(`${server.url}${path}`, { method: 'POST', body, headers })).json() as Promise<unknown>;

  const bodies: Array<[string, Buffer]> = [
    ['an object', Buffer.from('{"a":[1,"é",{"b":null}]}')],
    ['an empty body', Buffer.alloc(0)],
    ['whitespace only', Buffer.from(' \n ')],
    ['a byte order mark', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}')])],
    ['a byte order mark only', Buffer.from([0xef, 0xbb, 0xbf])],
    ['two byte order marks', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf]), Buffer.from('{}')])],
    ['invalid UTF-8 in a string', Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc3, 0x28, 0xff, 0xe2, 0x82]), Buffer.from('"}')])],
    ['a truncated UTF-8 sequence at the end', Buffer.concat([Buffer.from('{"a":1}'), Buffer.from([0xe2, 0x82])])],
    ['invalid JSON', Buffer.from('{"a":')],
    ['a JSON string', Buffer.from('"x"')],
    ['JSON null', Buffer.from('null')],
    ['a number', Buffer.from(' 12 ')],
    ['an array after whitespace', Buffer.from('\r\n\t [1]')],
    ['an object after a non-JSON space', Buffer.from('\u00a0{}')],
    ['exactly the limit', Buffer.from(`{"p":"${'x'.repeat(LIMIT - 8)}"}`)],
    ['one byte over the limit', Buffer.from(`{"p":"${'x'.repeat(LIMIT - 7)}"}`)],
  ];
  const types = [undefined, 'application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON;charset=UTF-8', 'text/plain', 'application/json; charset=latin1'];
  for (const [what, body] of bodies)
    it(`${what}: the same outcome for every Content-Type, strict or not`, async () => {
      for (const type of types)
        for (const strict of ['', '?strict']) {
          const headers: Record<string, string> = type === undefined ? {} : { 'content-type': type };
          assert.deepEqual(await send(`/reader${strict}`, body, headers), await send(`/express${strict}`, body, headers), `Content-Type ${type} ${strict}`);
        }
    });
});

describe('lib/json-body: a client that goes away mid-body', () => {
  for (const type of ['application/json', 'text/plain'])
    it(`is not answered and leaves one debug line (Content-Type ${type}: ${type === 'text/plain' ? 'body-parser' : 'the plain read'})`, async () => {
      const logger = memoryLogger();
      const read = jsonBodyReader({ limitBytes: 1000, strict: false, logger });
      let answered = 0;
      const server = await listenHttp('127.0.0.1', 0, (req, res) => read(req, res, () => void (answered++, res.end())));
      try {
        const u = new URL(server.url);
        await new Promise<void>((resolve, reject) => {
          const socket = connect(Number(u.port), u.hostname, () => {
            socket.write(`POST /x HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nContent-Length: 100\r\n\r\n{"a":`);
            setTimeout(() => socket.destroy(), 50);
          });
          socket.on('close', () => setTimeout(resolve, 100));
          socket.on('error', reject);
        });
        assert.equal(answered, 0);
        assert.deepEqual(logger.lines, ['{"level":"debug","msg":"client went away before sending the whole request body","method":"POST","path":"/x"}']);
      } finally {
        await server.close({ drainMs: 0 });
      }
    });
});
