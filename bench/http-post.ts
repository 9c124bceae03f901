// The load generators' POST (bench/issuance-client.ts, bench/timestamp-client.ts): HTTP/1.1 on node:net, keep-alive,
// one request at a time per connection, request bytes written in one call and the answer read by its Content-Length.
// Written here rather than taken from a library because the load generator shares this machine's cores with the
// server it measures, so every µs it spends is taken from the rows: per small POST with a ~3 KB answer on loopback,
// 18–20 µs of CPU against 44–52 for undici's Pool and 93–109 for node:http's Agent (DESIGN.md, "What we wrote ourselves").
// It speaks only to Fulgor's own servers: an answer without Content-Length (chunked, or read to close) is an error.
import { connect, type Socket } from 'node:net';

export interface PostAnswer {
  readonly status: number;
  readonly body: Buffer;
}

interface Waiter {
  readonly resolve: (a: PostAnswer) => void;
  readonly reject: (e: Error) => void;
}

/** The head of one HTTP/1.1 answer, or undefined while it has not all arrived. */
function parseHead(buf: Buffer): { status: number; bodyStart: number; length: number; close: boolean } | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const lines = buf.toString('latin1', 0, end).split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (!status) throw new Error(`not an HTTP/1.1 status line: ${JSON.stringify(lines[0])}`);
  let length: number | undefined;
  let close = false;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-length') length = Number(value);
    else if (name === 'transfer-encoding') throw new Error(`the bench's client reads answers by Content-Length, not ${value}`);
    else if (name === 'connection') close = value.toLowerCase() === 'close';
  }
  if (length === undefined || !Number.isSafeInteger(length) || length < 0) throw new Error('an answer without a usable Content-Length');
  return { status: Number(status[1]), bodyStart: end + 4, length, close };
}

/** One keep-alive connection: one request in flight at most. */
class Connection {
  private readonly socket: Socket;
  private buffered: Buffer = Buffer.alloc(0);
  private waiter: Waiter | undefined;
  /** The head of the answer being read, once it has all arrived. */
  private head: ReturnType<typeof parseHead>;
  private closed = false;

  constructor(port: number, host: string, private readonly onFree: (c: Connection) => void, private readonly onGone: (c: Connection) => void) {
    this.socket = connect(port, host);
    this.socket.setNoDelay(true);
    this.socket.on('data', (d: Buffer) => this.read(d));
    this.socket.on('error', (e) => this.fail(e));
    this.socket.on('close', () => this.fail(new Error('the server closed the connection')));
  }

  send(bytes: Buffer, waiter: Waiter): void {
    this.waiter = waiter;
    this.socket.write(bytes);
  }

  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private read(d: Buffer): void {
    this.buffered = this.buffered.length === 0 ? d : Buffer.concat([this.buffered, d]);
    try {
      this.head ??= parseHead(this.buffered);
    } catch (e) {
      return this.fail(e as Error);
    }
    const head = this.head;
    if (!head || this.buffered.length < head.bodyStart + head.length) return;
    if (this.buffered.length > head.bodyStart + head.length) return this.fail(new Error('bytes after the answer, with no request in flight'));
    const waiter = this.waiter;
    const body = this.buffered.subarray(head.bodyStart);
    this.buffered = Buffer.alloc(0);
    this.head = undefined;
    this.waiter = undefined;
    if (head.close) this.destroy();
    waiter?.resolve({ status: head.status, body });
    if (head.close) this.onGone(this);
    else this.onFree(this);
  }

  private fail(e: Error): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    const wasOpen = !this.closed;
    this.destroy();
    waiter?.reject(e);
    if (wasOpen) this.onGone(this);
  }
}

/** A POST function for `url` (http:) with fixed headers over at most `maxConnections` keep-alive connections. */
export function httpPoster(url: string, headers: Record<string, string>, maxConnections = Infinity) {
  const u = new URL(url);
  if (u.protocol !== 'http:') throw new Error(`the bench's client speaks http: only, not ${u.protocol}`);
  const fixed = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  const head = (length: number) => Buffer.from(`POST ${u.pathname}${u.search} HTTP/1.1\r\nhost: ${u.host}\r\n${fixed}content-length: ${length}\r\n\r\n`, 'latin1');
  const idle: Connection[] = [];
  const all = new Set<Connection>();
  const queued: { bytes: Buffer; waiter: Waiter }[] = [];
  const onFree = (c: Connection): void => {
    const next = queued.shift();
    if (next) c.send(next.bytes, next.waiter);
    else idle.push(c);
  };
  const onGone = (c: Connection): void => {
    all.delete(c);
    const i = idle.indexOf(c);
    if (i >= 0) idle.splice(i, 1);
    const next = queued.shift();
    if (next) dispatch(next.bytes, next.waiter);
  };
  const dispatch = (bytes: Buffer, waiter: Waiter): void => {
    const c = idle.pop();
    if (c) return c.send(bytes, waiter);
    if (all.size >= maxConnections) return void queued.push({ bytes, waiter });
    const fresh = new Connection(Number(u.port || 80), u.hostname.replace(/^\[(.*)\]$/, '$1'), onFree, onGone);
    all.add(fresh);
    fresh.send(bytes, waiter);
  };
  const post = (body: Buffer): Promise<PostAnswer> => new Promise((resolve, reject) => dispatch(Buffer.concat([head(body.length), body]), { resolve, reject }));
  const close = (): void => {
    for (const c of all) c.destroy();
    all.clear();
    idle.length = 0;
    for (const q of queued.splice(0)) q.waiter.reject(new Error('the poster was closed'));
  };
  return { post, close };
}
