import assert from 'node:assert/strict';
import type { CertificateAuthority } from '../../../ca/authority.js';
import { createCaHolder, type CaGeneration } from '../../../server/ca-holder.js';

/** A generation whose CA is only an identity (the holder never calls it) and whose close is recorded. */
function generation(name: string, closed: string[]): CaGeneration {
  return { ca: { chain: [Buffer.from(name)] } as unknown as CertificateAuthority, trustChains: [], close: async () => void closed.push(name) };
}

describe('server/ca-holder: swapping the issuing CA without dropping requests', () => {
  it('a request keeps the CA it started with; the old key closes only after its in-flight requests finish', async () => {
    const closed: string[] = [];
    const holder = createCaHolder(generation('A', closed));
    let finish!: () => void;
    const inFlight = holder.use(async (ca) => {
      await new Promise<void>((r) => (finish = r));
      return ca.chain[0]!.toString();
    });
    let swapped = false;
    const swap = holder.swap(generation('B', closed)).then(() => (swapped = true));
    assert.equal(holder.current().ca.chain[0]!.toString(), 'B', 'new requests get B at once');
    assert.equal(await holder.use(async (ca) => ca.chain[0]!.toString()), 'B');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(closed, [], 'A stays open while a request uses it');
    assert.equal(swapped, false);
    finish();
    assert.equal(await inFlight, 'A', 'the request in flight finished with A');
    await swap;
    assert.deepEqual(closed, ['A']);
    await holder.close();
    assert.deepEqual(closed, ['A', 'B']);
  });

  it('with nothing in flight, the old key closes at once', async () => {
    const closed: string[] = [];
    const holder = createCaHolder(generation('A', closed));
    await holder.swap(generation('B', closed));
    assert.deepEqual(closed, ['A']);
  });
});
