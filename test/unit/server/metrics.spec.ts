// server/metrics.ts: each server's registry is its own (two in one process do not share counts), the rate-limit
// counter the rate limiter calls is exposed by scope, and build info names this package's version and Node's.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createMetrics } from '../../../server/metrics.js';
import { has, parseExposition, sum } from '../../helpers/prometheus.js';

describe('server/metrics', () => {
  it('keeps one registry per server, counts rate-limit refusals by scope, and names the build', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.rateLimited('identity');
    a.rateLimited('identity');
    a.rateLimited('address');
    a.issued('https://issuer.example');
    const first = parseExposition(await a.render());
    const second = parseExposition(await b.render());
    assert.equal(sum(first, 'fulgor_rate_limited_total', { scope: 'identity' }), 2);
    assert.equal(sum(first, 'fulgor_rate_limited_total', { scope: 'address' }), 1);
    assert.equal(sum(first, 'fulgor_certificates_issued_total'), 1);
    assert.equal(sum(second, 'fulgor_rate_limited_total'), 0);
    assert.equal(sum(second, 'fulgor_certificates_issued_total'), 0);
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    assert.ok(has(second, 'fulgor_build_info', { version, node_version: process.version }));
    assert.match(a.contentType, /^text\/plain; version=0\.0\.4/);
  });
});
