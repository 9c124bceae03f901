import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { httpPoster } from '../../../bench/http-post.js';

/** A server on port 0; resolves with its URL. */
async function listen(server: Server | TcpServer): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const a = server.address();
  if (a === null || typeof a === 'string') throw new Error('no port');
  return `http://127.0.0.1:${a.port}/api/v2/signingCert?x=1`;
}

const close = (server: Server | TcpServer) => new Promise<void>((resolve) => server.close(() => resolve()));

/** A raw TCP server that answers every request with `answer(socket, n)` (n counts the requests it has had). */
function rawServer(answer: (socket: Socket, n: number) => void): TcpServer {
  let n = 0;
  return createTcpServer((socket) => {
    let seen = '';
    socket.on('data', (d) => {
      seen += d.toString('latin1');
      const m = /content-length: (\d+)\r\n\r\n/.exec(seen);
      if (!m || seen.length < (m.index ?? 0) + m[0].length + Number(m[1])) return;
      seen = '';
      answer(socket, n++);
    });
    socket.on('error', () => undefined);
  });
}

describe('bench/http-post: the load generator\'s HTTP/1.1 client', () => {
  it('posts many bodies over at most maxConnections keep-alive connections, each answer to its own request', async () => {
    const sockets = new Set<unknown>();
    const server = createServer((req, res) => {
      sockets.add(req.socket);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        res.statusCode = body.startsWith('bad') ? 400 : 200;
        res.end(JSON.stringify({ path: req.url, type: req.headers['content-type'], echo: body.repeat(50) }));
      });
    });
    const url = await listen(server);
    const poster = httpPoster(url, { 'content-type': 'application/json' }, 4);
    try {
      const bodies = Array.from({ length: 200 }, (_, i) => (i % 10 === 9 ? `bad-${i}` : `body-${i}`));
      const answers = await Promise.all(bodies.map((b) => poster.post(Buffer.from(b))));
      answers.forEach((a, i) => {
        assert.equal(a.status, bodies[i]!.startsWith('bad') ? 400 : 200);
        assert.deepEqual(JSON.parse(a.body.toString()), { path: '/api/v2/signingCert?x=1', type: 'application/json', echo: bodies[i]!.repeat(50) });
      });
      assert.equal(sockets.size, 4);
    } finally {
      poster.close();
      await close(server);
    }
  });

  it('assembles an answer that arrives in pieces', async () => {
    const body = 'x'.repeat(5000);
    const server = rawServer((socket) => {
      const bytes = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      let at = 0;
      const step = () => {
        socket.write(bytes.subarray(at, at + 700));
        at += 700;
        if (at < bytes.length) setTimeout(step, 2);
      };
      step();
    });
    const poster = httpPoster(await listen(server), {});
    try {
      for (let i = 0; i < 3; i++) assert.equal((await poster.post(Buffer.from('a'))).body.toString(), body);
    } finally {
      poster.close();
      await close(server);
    }
  });

  it('opens a new connection after an answer that says Connection: close', async () => {
    let connections = 0;
    const server = rawServer((socket) => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok'));
    server.on('connection', () => connections++);
    const poster = httpPoster(await listen(server), {}, 1);
    try {
      const answers = await Promise.all([1, 2, 3].map(() => poster.post(Buffer.from('a'))));
      assert.deepEqual(answers.map((a) => a.body.toString()), ['ok', 'ok', 'ok']);
      assert.equal(connections, 3);
    } finally {
      poster.close();
      await close(server);
    }
  });

  it('refuses a chunked answer and one cut short, and goes on with a new connection', async () => {
    const server = rawServer((socket, n) => {
      if (n === 0) socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n');
      else socket.end('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nshort');
    });
    const poster = httpPoster(await listen(server), {}, 1);
    try {
      await assert.rejects(poster.post(Buffer.from('a')), /by Content-Length, not chunked/);
      await assert.rejects(poster.post(Buffer.from('a')), /closed the connection/);
    } finally {
      poster.close();
      await close(server);
    }
  });

  it('rejects what is queued when closed', async () => {
    const server = rawServer(() => undefined); // never answers
    const poster = httpPoster(await listen(server), {}, 1);
    const first = poster.post(Buffer.from('a'));
    const queued = poster.post(Buffer.from('b'));
    await new Promise((r) => setTimeout(r, 20));
    poster.close();
    await assert.rejects(queued, /closed/);
    await assert.rejects(first, /closed/);
    await close(server);
  });
});
