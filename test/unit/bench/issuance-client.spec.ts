import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { drive } from '../../../bench/http-load.js';

describe("bench/issuance-client: the load generator's open loop", () => {
  it('sends its lead-in on the same schedule untimed, then times the rest for maxMs', async () => {
    let seen = 0;
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        seen++;
        const body = '{"signedCertificateEmbeddedSct":{}}';
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      // 400/s: 40 lead-in requests (0.1 s), then 250 ms timed, i.e. 100 more; 500 bodies are more than it needs.
      const r = await drive({ url, bodies: Array.from({ length: 500 }, () => '{}'), concurrency: 0, rate: 400, warmup: 40, maxMs: 250 });
      assert.equal(r.errors, 0, String(r.firstError));
      assert.equal(r.done, 100, 'only the timed requests are counted');
      assert.equal(r.latencies.length, 100);
      assert.equal(r.dueMs?.length, 100, 'each timed request says when it was due');
      const due = [...r.dueMs].sort((a, b) => a - b);
      assert.ok(due.every((d, i) => Math.abs(d - i * 2.5) < 1e-6), `on the schedule (every 2.5 ms from the timed start): ${due.slice(0, 5).join(', ')}, ...`);
      assert.equal(seen, 140, 'the lead-in was sent too');
      assert.ok(r.ms >= 240 && r.ms < 2000, `the timed phase lasts about maxMs: ${r.ms} ms`);
    } finally {
      server.close();
    }
  });
});
