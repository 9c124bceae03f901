import assert from 'node:assert/strict';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { listenHttp } from '../../../lib/listen.js';

/** A handler that holds every request until the test releases it, and says when one has arrived. */
function heldHandler() {
  const waiting: Array<{ res: ServerResponse; release: () => void }> = [];
  let arrived: () => void = () => undefined;
  const handler = (_req: IncomingMessage, res: ServerResponse) => {
    waiting.push({ res, release: () => res.writeHead(200, { 'content-type': 'text/plain' }).end('done') });
    arrived();
  };
  /** Resolves when the next request reaches the handler. */
  const arrival = () => new Promise<void>((r) => (arrived = r));
  return { handler, waiting, arrival };
}

function get(url: string, agent: http.Agent): Promise<{ status: number; connection: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

describe('lib/listen: graceful close', () => {
  it('stops accepting at once, lets an in-flight request finish with Connection: close, then resolves', async () => {
    const held = heldHandler();
    const listening = await listenHttp('127.0.0.1', 0, held.handler);
    const agent = new http.Agent({ keepAlive: true });
    try {
      const arrived = held.arrival();
      const inFlight = get(`${listening.url}/slow`, agent);
      await arrived;
      let closed = false;
      const closing = listening.close().then(() => (closed = true));
      // The listener is closed: a new connection is refused.
      await assert.rejects(get(`${listening.url}/new`, new http.Agent()), (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED');
      assert.equal(closed, false, 'close() waits for the in-flight request');
      held.waiting[0]!.release();
      const res = await inFlight;
      assert.deepEqual(res, { status: 200, connection: 'close', body: 'done' });
      await closing;
    } finally {
      agent.destroy();
    }
  });

  it('answers a request still running at the drain deadline (503 by default, or the caller’s answer)', async () => {
    for (const [atDeadline, expected] of [
      [undefined, { status: 503, connection: 'close', body: 'server is shutting down\n' }],
      [(res: ServerResponse) => void res.writeHead(503, { 'content-type': 'application/json' }).end('{"code":14}'), { status: 503, connection: 'close', body: '{"code":14}' }],
    ] as const) {
      const held = heldHandler();
      const listening = await listenHttp('127.0.0.1', 0, held.handler);
      const agent = new http.Agent({ keepAlive: true });
      try {
        const arrived = held.arrival();
        const inFlight = get(`${listening.url}/never`, agent);
        await arrived;
        await listening.close({ drainMs: 0, ...(atDeadline ? { atDeadline } : {}) });
        assert.deepEqual(await inFlight, expected);
        assert.equal(held.waiting[0]!.res.writableEnded, true);
      } finally {
        agent.destroy();
      }
    }
  });

  it('closes idle keep-alive connections at once (two turns of the event loop), not after their timeout', async () => {
    const held = heldHandler();
    const listening = await listenHttp('127.0.0.1', 0, held.handler);
    const agent = new http.Agent({ keepAlive: true });
    try {
      const arrived = held.arrival();
      const first = get(`${listening.url}/`, agent);
      await arrived;
      held.waiting[0]!.release();
      assert.equal((await first).connection, 'keep-alive');
      // The client keeps the socket; close() must not wait for the 30 s keep-alive timeout (nor for the drain timeout).
      await listening.close({ drainMs: 60_000 });
    } finally {
      agent.destroy();
    }
  });

  it('answers a request already sent on an idle keep-alive connection when close() is called, instead of dropping it', async () => {
    const listening = await listenHttp('127.0.0.1', 0, (_req, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end('done'));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      assert.equal((await get(`${listening.url}/warm`, agent)).connection, 'keep-alive');
      // The second request goes out on the same connection; close() is called as soon as its bytes are in the socket,
      // before the server (same event loop) has read them: the connection still looks idle then.
      const answered = new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
        const req = http.get(`${listening.url}/sent`, { agent }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
        });
        req.on('error', reject);
        req.on('finish', () => void listening.close());
      });
      assert.deepEqual(await answered, { status: 200, connection: 'close', body: 'done' });
    } finally {
      agent.destroy();
    }
  });
});
