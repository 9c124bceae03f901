// A minimal RESP2 client over a plain socket, for the few administrative commands the benchmark needs (INFO, CONFIG
// GET, MEMORY USAGE, SCAN). The log itself talks to Redis only through ct/redis-store.ts.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export type RespValue = string | number | Buffer | null | RespValue[];

class RespError extends Error {}

interface Parsed {
  readonly value: RespValue | RespError;
  readonly end: number;
}

function parse(buf: Buffer, at: number): Parsed | undefined {
  const lineEnd = buf.indexOf('\r\n', at);
  if (lineEnd < 0) return undefined;
  const line = buf.toString('utf8', at + 1, lineEnd);
  const after = lineEnd + 2;
  switch (buf[at]) {
    case 0x2b: // +
      return { value: line, end: after };
    case 0x2d: // -
      return { value: new RespError(line), end: after };
    case 0x3a: // :
      return { value: Number(line), end: after };
    case 0x24: {
      // $
      const n = Number(line);
      if (n < 0) return { value: null, end: after };
      if (buf.length < after + n + 2) return undefined;
      return { value: buf.subarray(after, after + n), end: after + n + 2 };
    }
    case 0x2a: {
      // *
      const n = Number(line);
      if (n < 0) return { value: null, end: after };
      const out: RespValue[] = [];
      let pos = after;
      for (let i = 0; i < n; i++) {
        const item = parse(buf, pos);
        if (!item) return undefined;
        if (item.value instanceof RespError) throw item.value;
        out.push(item.value);
        pos = item.end;
      }
      return { value: out, end: pos };
    }
    default:
      throw new Error(`unexpected RESP type byte ${buf[at]}`);
  }
}

export class RespClient {
  private buf: Buffer = Buffer.alloc(0);
  private readonly waiting: { resolve: (v: RespValue) => void; reject: (e: unknown) => void }[] = [];
  private failure: Error | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
      try {
        for (;;) {
          if (this.buf.length === 0) break;
          const parsed = parse(this.buf, 0);
          if (!parsed) break;
          this.buf = this.buf.subarray(parsed.end);
          const w = this.waiting.shift();
          if (!w) continue;
          if (parsed.value instanceof RespError) w.reject(parsed.value);
          else w.resolve(parsed.value);
        }
      } catch (e) {
        this.fail(e as Error);
      }
    });
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new Error('Redis connection closed')));
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const w of this.waiting.splice(0)) w.reject(e);
  }

  static async connect(url: string, timeoutMs = 2_000): Promise<RespClient> {
    const u = new URL(url);
    const port = Number(u.port || 6379);
    const host = u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = u.protocol === 'rediss:' ? tlsConnect({ host, port, servername: host }) : netConnect({ host, port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`connect timeout after ${timeoutMs} ms`));
      }, timeoutMs);
      s.once(u.protocol === 'rediss:' ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    const client = new RespClient(socket);
    try {
      if (u.password) {
        const user = decodeURIComponent(u.username);
        await client.command('AUTH', ...(user ? [user] : []), decodeURIComponent(u.password));
      }
      const db = u.pathname.replace(/^\//, '');
      if (db) await client.command('SELECT', db);
    } catch (e) {
      client.close();
      throw e;
    }
    return client;
  }

  command(...args: (string | Buffer)[]): Promise<RespValue> {
    if (this.failure) return Promise.reject(this.failure);
    const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
    for (const a of args) {
      const b = typeof a === 'string' ? Buffer.from(a) : a;
      parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
    }
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.socket.write(Buffer.concat(parts));
    });
  }

  /** INFO <section> as a field map. */
  async info(section: string): Promise<Record<string, string>> {
    const text = String(await this.command('INFO', section));
    const out: Record<string, string> = {};
    for (const line of text.split('\r\n')) {
      const i = line.indexOf(':');
      if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1);
    }
    return out;
  }

  /** CONFIG GET name, or undefined when CONFIG is not allowed. */
  async config(name: string): Promise<string | undefined> {
    try {
      const v = (await this.command('CONFIG', 'GET', name)) as RespValue[];
      return v.length >= 2 ? String(v[1]) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Every key matching `pattern` (SCAN). */
  async keys(pattern: string): Promise<string[]> {
    const out: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = (await this.command('SCAN', cursor, 'MATCH', pattern, 'COUNT', '1000')) as [Buffer, Buffer[]];
      cursor = next.toString();
      out.push(...batch.map((k) => k.toString()));
    } while (cursor !== '0');
    return out;
  }

  close(): void {
    this.failure ??= new Error('closed');
    this.socket.destroy();
  }
}
