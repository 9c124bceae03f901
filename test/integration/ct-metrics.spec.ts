// The CT log's /healthz and /metrics (ct/metrics.ts, ct/http.ts) over real HTTP, outside the log's prefix: tree
// size, STH age, append latency and batch sizes move with submissions, store errors count a failing store, requests
// are counted by route, and /healthz answers 503 once the log is stopping. submitPreChain (the CA's in-process path)
// gives the entry's index.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCtClient } from '../../ct/client.js';
import { ctRequestListener } from '../../ct/listen.js';
import { createLog } from '../../ct/log.js';
import { createMemoryStore } from '../../ct/memory-store.js';
import { createLogMetrics } from '../../ct/metrics.js';
import { unavailable } from '../../ct/errors.js';
import { silentLogger } from '../../lib/log.js';
import { has, scrape, sum } from '../helpers/prometheus.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMissingDevKeys } from '../../ca/dev-keys.js';
import { certToPem } from '../../lib/pem.js';
import { startLog } from '../helpers/ct-process.js';
import { stopProcess } from '../helpers/serve-process.js';
import { logSigner, makePki, POISON } from '../unit/ct/helpers.js';

describe('CT log /healthz and /metrics', () => {
  it('counts appends, batches, tree size, STH age, requests and store errors; /healthz follows serving', async () => {
    const pki = await makePki();
    const signer = logSigner();
    const store = createMemoryStore();
    let failing = false;
    const sequence = store.sequence.bind(store);
    store.sequence = (entries) => (failing ? Promise.reject(unavailable('store down')) : sequence(entries));
    const metrics = createLogMetrics();
    const log = createLog({ signer, roots: [pki.root.der], store, observer: metrics.observer });
    metrics.bind(() => log.status());
    let serving = true;
    const server: Server = await new Promise((resolve) => {
      const s = createServer(ctRequestListener(log, { prefix: '/test', metrics, serving: () => serving, logger: silentLogger })).listen(0, '127.0.0.1', () => resolve(s));
    });
    const root = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const client = createCtClient({ url: `${root}/test`, logPublicKeySpki: signer.spki });
      const chain = async () => [await pki.leaf({ trailing: [POISON] }), pki.intermediate.der, pki.root.der];
      // Five at once over HTTP, then two through the function call, which say their index.
      await Promise.all(Array.from({ length: 5 }, async () => client.addPreChain(await chain())));
      const direct = [await log.submitPreChain(await chain()), await log.submitPreChain(await chain())];
      assert.deepEqual(direct.map((d) => d.index), [5, 6]);
      await client.getSth();
      failing = true;
      await assert.rejects(log.submitPreChain(await chain()));
      // Over HTTP the store's failure is a 503 that says to retry, and names nothing of the store.
      const refused = await fetch(`${root}/test/ct/v1/add-pre-chain`, { method: 'POST', body: JSON.stringify({ chain: (await chain()).map((c) => c.toString('base64')) }) });
      assert.deepEqual([refused.status, refused.headers.get('retry-after'), await refused.text()], [503, '1', 'the log is temporarily unavailable; retry later\n']);

      const m = await scrape(root);
      assert.equal(sum(m, 'fulgor_ct_tree_size'), 7);
      assert.equal(sum(m, 'fulgor_ct_append_duration_seconds_count'), 7);
      assert.equal(sum(m, 'fulgor_ct_batch_size_sum'), 9, 'the failed batches were handed to the store too');
      assert.equal(sum(m, 'fulgor_ct_store_errors_total'), 2);
      // Each batch made durable, the failed ones not: as many commits as batches less two, each taking some time.
      assert.equal(sum(m, 'fulgor_ct_store_commit_duration_seconds_count'), sum(m, 'fulgor_ct_batch_size_count') - 2);
      assert.ok(sum(m, 'fulgor_ct_store_commit_duration_seconds_sum') > 0);
      assert.ok(has(m, 'fulgor_ct_sth_age_seconds'));
      assert.ok(sum(m, 'fulgor_ct_sth_age_seconds') < 60);
      assert.equal(sum(m, 'fulgor_ct_http_requests_total', { route: '/test/ct/v1/add-pre-chain', method: 'POST', status: '200' }), 5);
      assert.equal(sum(m, 'fulgor_ct_http_requests_total', { route: '/test/ct/v1/add-pre-chain', method: 'POST', status: '503' }), 1);
      assert.equal(sum(m, 'fulgor_ct_http_requests_total', { route: '/test/ct/v1/get-sth', status: '200' }), 1);

      const up = await fetch(`${root}/healthz`);
      assert.deepEqual([up.status, await up.json()], [200, { status: 'SERVING' }]);
      serving = false;
      const down = await fetch(`${root}/healthz`);
      assert.deepEqual([down.status, await down.json()], [503, { status: 'NOT_SERVING' }]);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('`fulgor ct serve` serves /healthz and /metrics on its port', async function () {
    this.timeout(60_000);
    const work = mkdtempSync(join(tmpdir(), 'fulgor-ct-metrics-'));
    const pki = await makePki();
    const keysDir = join(work, 'keys');
    await createMissingDevKeys(keysDir);
    const rootsPem = join(work, 'roots.pem');
    writeFileSync(rootsPem, certToPem(pki.root.der));
    const log = await startLog(join(work, 'data'), keysDir, rootsPem);
    try {
      const client = createCtClient({ url: log.url });
      await client.addPreChain([await pki.leaf({ trailing: [POISON] }), pki.intermediate.der, pki.root.der]);
      const root = new URL(log.url).origin;
      const health = await fetch(`${root}/healthz`);
      assert.deepEqual([health.status, await health.json()], [200, { status: 'SERVING' }]);
      const m = await scrape(root);
      assert.equal(sum(m, 'fulgor_ct_tree_size'), 1);
      assert.equal(sum(m, 'fulgor_ct_append_duration_seconds_count'), 1);
      assert.equal(sum(m, 'fulgor_ct_http_requests_total', { route: '/ct/v1/add-pre-chain', status: '200' }), 1);
    } finally {
      await stopProcess(log.child);
      rmSync(work, { recursive: true, force: true });
    }
  });
});
