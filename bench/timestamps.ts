// Timestamp authority throughput: RFC 3161 timestamps per second on one core, against the same run's crypto floor
// (one ECDSA P-256 signature over signed attributes of the same size, node:crypto, pre-parsed key). Rows: the core
// alone in-process (parse the DER query, build and sign the token), and POST /api/v1/timestamp through
// `fulgor tsa serve`'s request listener on one server thread, driven from a worker thread at 1 and 16 requests in flight.
import { createHash, randomBytes, sign } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { createDevCa } from '../ca/dev-ca.js';
import { createDevTsa } from '../ca/dev-tsa.js';
import { systemClock } from '../lib/clock.js';
import { encodeOid, octetString, sequence, smallInteger, Tag, tlv } from '../lib/der.js';
import { listenHttp } from '../lib/listen.js';
import { keySigner } from '../lib/signer.js';
import { createTimestampAuthority, tsaRequestListener, HASH_OID, parseTimestampQuery, TIMESTAMP_PATH } from '../tsa/index.js';
import type { TimestampClientResult, TimestampJob } from './timestamp-client.js';
import { cleanup, devNullLogger, fmt, fmtInt, log, now, summarize, type Summary } from './util.js';

export interface TimestampHttpResult {
  readonly concurrency: number;
  readonly perSecond: number;
  readonly latency: Summary;
  readonly count: number;
  readonly errors: number;
}

export interface TimestampBench {
  /** One P-256 signature over 250 bytes, µs (the floor of one timestamp). */
  readonly signUs: number;
  readonly floorPerSecond: number;
  /** In-process: parse + build + sign, µs per timestamp and timestamps/s. */
  readonly coreUs: number;
  readonly corePerSecond: number;
  readonly http: TimestampHttpResult[];
}

export interface TimestampOptions {
  readonly seconds: number;
  readonly concurrencies: readonly number[];
}

function drive(job: TimestampJob): Promise<TimestampClientResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./timestamp-client.js', import.meta.url), { workerData: job });
    worker.once('message', (m: TimestampClientResult) => resolve(m));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`timestamp client exited with ${code}`));
    });
  });
}

/** What cosign and sigstore-go send: SHA-256 imprint, a 64-bit nonce, certReq true. */
const query = (): Buffer =>
  sequence(
    smallInteger(1),
    sequence(sequence(encodeOid(HASH_OID.sha256)), octetString(createHash('sha256').update(randomBytes(64)).digest())),
    tlv(Tag.INTEGER, Buffer.concat([Buffer.from([0x01]), randomBytes(7)])),
    Buffer.from([Tag.BOOLEAN, 1, 0xff]),
  );

async function timed(seconds: number, fn: () => Promise<unknown> | unknown): Promise<{ n: number; ms: number }> {
  for (let i = 0; i < 300; i++) await fn();
  const t0 = now();
  const deadline = t0 + seconds * 1000;
  let n = 0;
  while (now() < deadline) {
    for (let i = 0; i < 100; i++) await fn();
    n += 100;
  }
  return { n, ms: now() - t0 };
}

export async function benchTimestamps(o: TimestampOptions): Promise<TimestampBench> {
  const ca = await createDevCa();
  const dev = await createDevTsa({ root: ca.root, rootKeyPem: ca.rootKey.export({ type: 'pkcs8', format: 'pem' }) as string });
  const tsa = createTimestampAuthority({ signer: keySigner(dev.key), chain: [dev.cert], root: ca.root, clock: systemClock });

  const attrs = randomBytes(250); // the signed attributes of a token are about this long
  const floor = await timed(o.seconds, () => sign('sha256', attrs, dev.key));
  const signUs = (floor.ms / floor.n) * 1000;
  log(`timestamps: P-256 sign ${fmt(signUs)} µs`);

  const der = query();
  const policies = [tsa.policy];
  const core = await timed(o.seconds, () => tsa.timestamp(parseTimestampQuery(der, policies)));
  const coreUs = (core.ms / core.n) * 1000;
  log(`timestamps in-process: ${fmt(coreUs)} µs each, ${fmtInt(1e6 / coreUs)}/s`);

  const lines = devNullLogger();
  const listening = await listenHttp('127.0.0.1', 0, tsaRequestListener({ tsa, logger: lines.logger }));
  const stop = cleanup.add('stop TSA', async () => {
    await listening.close({ drainMs: 1000 });
    await lines.close();
  });
  const http: TimestampHttpResult[] = [];
  try {
    for (const concurrency of o.concurrencies) {
      const r = await drive({
        url: listening.url + TIMESTAMP_PATH,
        query: der.toString('hex'),
        requests: 1_000_000,
        concurrency,
        maxMs: o.seconds * 1000,
        warmup: 300,
      });
      if (r.errors > 0) log(`timestamps c=${concurrency}: ${r.errors} errors, first: ${r.firstError}`);
      const row = { concurrency, perSecond: (r.done / r.ms) * 1000, latency: summarize(r.latencies), count: r.done, errors: r.errors };
      http.push(row);
      log(`timestamps over HTTP c=${concurrency}: ${fmtInt(row.perSecond)}/s, median ${fmt(row.latency.median)} ms`);
    }
  } finally {
    await stop();
  }
  return { signUs, floorPerSecond: 1e6 / signUs, coreUs, corePerSecond: 1e6 / coreUs, http };
}

export function timestampReport(t: TimestampBench): string {
  const ratio = (a: number, b: number) => `${fmt(a / b)}×`;
  const rows = [
    ['crypto floor: one P-256 signature', '–', fmtInt(t.floorPerSecond), fmt(t.signUs / 1000), '–', '1×'],
    ['in-process: parse + build + sign', '1', fmtInt(t.corePerSecond), fmt(t.coreUs / 1000), '–', ratio(t.corePerSecond, t.floorPerSecond)],
    ...t.http.map((h) => [
      'POST /api/v1/timestamp (DER), one server thread',
      String(h.concurrency),
      fmtInt(h.perSecond),
      fmt(h.latency.median),
      fmt(h.latency.p99),
      ratio(h.perSecond, t.floorPerSecond),
    ]),
  ];
  const head = ['row', 'in flight', 'timestamps/s', 'median (ms)', 'p99 (ms)', '/ crypto floor'];
  return (
    `\n## Timestamp authority\n\n` +
    `RFC 3161 timestamps (SHA-256 imprint, nonce, certReq: the TSA certificate in every token) signed with a P-256 key; ` +
    `the HTTP client runs in a worker thread. sigstore's Go TSA reports about 6,500/s on a laptop.\n\n` +
    `| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|\n` +
    rows.map((r) => `| ${r.join(' | ')} |`).join('\n') +
    '\n'
  );
}
