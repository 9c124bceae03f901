import assert from 'node:assert/strict';
import { tokenBucket } from '../../../lib/token-bucket.js';

describe('lib/token-bucket', () => {
  it('allows a burst, then refills at the rate, never above the burst', () => {
    let now = 1_000_000;
    const bucket = tokenBucket(2, 3, () => new Date(now));
    const takes = (n: number) => Array.from({ length: n }, () => bucket.take()).filter(Boolean).length;
    assert.equal(takes(10), 3, 'the burst');
    now += 499;
    assert.equal(takes(1), 0, 'less than one token refilled');
    now += 1;
    assert.equal(takes(10), 1, 'half a second at two per second');
    now += 60_000;
    assert.equal(takes(10), 3, 'a long pause refills only up to the burst');
    now -= 5_000;
    assert.equal(takes(1), 0, 'a clock that goes back adds nothing');
  });

  it('says how long until the next token, taking nothing', () => {
    let now = 0;
    const bucket = tokenBucket(0.5, 1, () => new Date(now));
    assert.equal(bucket.waitMs(), 0);
    assert.equal(bucket.waitMs(), 0, 'asking takes nothing');
    assert.ok(bucket.take());
    assert.equal(bucket.waitMs(), 2000);
    now += 1500;
    assert.equal(bucket.waitMs(), 500);
    now -= 1000;
    assert.equal(bucket.waitMs(), 500, 'a clock that goes back changes nothing');
    now += 1000;
    assert.equal(bucket.waitMs(), 500, 'nor is the time it went back counted twice');
    now += 500;
    assert.ok(bucket.take());
  });
});
