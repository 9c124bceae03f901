// bench/targets.ts: issue 12's verdicts from a run's results, on results whose answers are known.
import assert from 'node:assert/strict';
import type { AppendResult } from '../../../bench/ct-appends.js';
import type { CryptoFloor } from '../../../bench/floor.js';
import type { IssuanceResult } from '../../../bench/issuance.js';
import type { ProofResult } from '../../../bench/proofs.js';
import { issue12Targets, verdict, type TargetCheck, type TargetInputs } from '../../../bench/targets.js';
import { summarize } from '../../../bench/util.js';

/** A floor of 200 µs per certificate (5,000/s per core) with a P-256 CA, 1,000 µs (1,000/s) with a P-384 one. */
const floor: CryptoFloor = {
  rs256VerifyUs: 30,
  p256VerifyUs: 50,
  p256SignUs: 40,
  perCertUs: 200,
  perCorePerSecond: 5000,
  p384SignUs: 445,
  perCertP384Us: 1000,
  perCorePerSecondP384: 1000,
};

const latency = (p99: number) => ({ ...summarize([1, 2, 3]), p99 });

function row(o: Partial<IssuanceResult> & Pick<IssuanceResult, 'perSecond'>): IssuanceResult {
  return { ctStorage: 'memory', caKey: 'file', workers: 1, concurrency: 64, latency: latency(50), count: 1000, errors: 0, floor, ...o };
}

const append = (kind: AppendResult['kind'], leafThread: boolean, floorRatio: number): AppendResult =>
  ({ kind, via: 'call', leafThread, concurrency: 64, perSecond: floorRatio * 10_000, floorRatio, floor: { perSecond: 10_000 } }) as unknown as AppendResult;

const proofRow = (size: number, o: Partial<ProofResult>): ProofResult =>
  ({ kind: 'file', size, inclusion: latency(0.2), consistency: latency(0.1), ...o }) as unknown as ProofResult;

const inputs = (o: Partial<TargetInputs>): TargetInputs => ({ proofs: [], settings: { caConcurrency: [1, 16, 64], ctConcurrency: [1, 64] }, ...o });

const find = (checks: TargetCheck[], part: string): TargetCheck => {
  const hits = checks.filter((c) => c.target.includes(part));
  assert.equal(hits.length, 1, `one target naming ${part}: ${checks.map((c) => c.target).join(' / ')}`);
  return hits[0]!;
};

describe("bench/targets: issue 12's targets judged from one run", () => {
  const results: IssuanceResult[] = [
    row({ ctStorage: 'memory', perSecond: 1500 }),
    row({ ctStorage: 'memory', concurrency: 16, perSecond: 100 }), // not the most in flight: not judged
    row({ ctStorage: 'file', perSecond: 1000 }),
    row({ ctStorage: 'memory', concurrency: 0, offeredPerSecond: 750, perSecond: 750, latency: latency(18), p99Interval: { low: 12, high: 25 } }),
    row({ ctStorage: 'file', concurrency: 0, offeredPerSecond: 500, perSecond: 500, latency: latency(30), p99Interval: { low: 25, high: 40 } }),
    row({ ctStorage: 'memory', caKey: 'file-p384', perSecond: 300 }),
    row({ ctStorage: 'memory', caKey: 'softhsm2', concurrency: 0, offeredPerSecond: 400, perSecond: 400, latency: latency(10) }),
    row({ ctStorage: 'file', workers: 2, perSecond: 2000 }),
    row({ ctStorage: 'none', bare: true, perSecond: 1600 }),
    row({ ctStorage: 'none', bare: true, concurrency: 0, offeredPerSecond: 800, perSecond: 800, latency: latency(5) }),
  ];
  const checks = issue12Targets(inputs({ issuance: { tokens: 1, mintMs: 1, jwksFetches: 1, results }, floor }));

  it('judges one process at the most in flight against the floor per core, with the floor beside the figure, for the default CA key only', () => {
    const memory = find(checks, 'one process (CT memory, CA key file)');
    assert.equal(memory.met, true); // 1,500 / 5,000 = 0.3
    assert.match(memory.figure, /^0\.3× \(1,500\/s; floor 5,000\/s per core\)$/);
    assert.equal(find(checks, 'one process (CT file, CA key file)').met, false); // 0.2
    const p384 = find(checks, 'one process (CT memory, CA key file-p384 (comparison, not a target))');
    assert.equal(p384.met, undefined); // shown against its own floor, not judged
    assert.match(p384.figure, /^0\.3× \(300\/s; floor 1,000\/s per core\)$/);
    assert.equal(checks.filter((c) => c.target.includes('16 in flight')).length, 0);
  });

  it("judges serve --workers N against the floor per core × N, and names the bare server's ratio beside it", () => {
    const workers = find(checks, 'serve --workers 2');
    assert.equal(workers.met, false); // 2,000 / (5,000 × 2) = 0.2
    assert.match(workers.figure, /^0\.2× /);
    assert.match(workers.figure, /the bare server on one thread: 0\.32× of one core's floor/);
  });

  it('judges each open-loop p99 against 20 ms, says when 20 ms lies inside its interval, and judges neither the bare server nor another CA key', () => {
    const memory = find(checks, 'p99 at half of peak (CT memory, CA key file)');
    assert.equal(memory.met, true);
    assert.match(memory.figure, /^18 \(12–25\) ms at 750\/s offered/);
    assert.match(memory.figure, /20 ms lies inside the interval/);
    const file = find(checks, 'p99 at half of peak (CT file, CA key file)');
    assert.equal(file.met, false);
    assert.doesNotMatch(file.figure, /inside the interval/);
    assert.equal(find(checks, 'p99 at half of peak (the bare node:http server').met, undefined);
    assert.equal(find(checks, 'p99 at half of peak (CT memory, CA key softhsm2 (comparison').met, undefined);
  });

  it('has the P-384 row, priced against the P-256 row of the same store', () => {
    const p384 = find(checks, 'P-384 CA profile row');
    assert.equal(p384.met, true);
    assert.match(p384.figure, /: 0\.2×$/); // 300 / 1,500
  });

  it("judges the CT log's rows at the most in flight against 0.6 × the log's floor", () => {
    const ct = issue12Targets(inputs({ appends: { chains: 0, chainBuildMs: 0, avgChainBytes: 0, throughLog: [append('file', false, 0.65), append('redis', true, 0.5)], raw: [], realFootprint: {} } }));
    assert.equal(find(ct, 'file store, leaf signatures on the event loop').met, true);
    assert.equal(find(ct, "redis store, leaf signatures on the log's thread").met, false);
    assert.equal(find(ct, 'CA issuance end to end').met, undefined);
  });

  it('judges the reopen at 1,000,000 entries, and leaves the 10,000,000-entry targets unjudged without that row', () => {
    const small = issue12Targets(inputs({ proofs: [proofRow(1000, {}), proofRow(1_000_000, { reopenMs: 300, reopenScanMs: 7000, alone: { openMs: 250, proof: latency(0.5), rssMb: 80 } })] }));
    assert.equal(find(small, 'reopen a 1,000,000-entry file log').met, true);
    assert.match(find(small, 'reopen').figure, /^0\.3 s at 1,000,000 entries/);
    const proofs = find(small, 'proofs p99');
    assert.equal(proofs.met, undefined);
    assert.match(proofs.figure, /BENCH_BIG=1 \(at 1,000,000 entries: 0\.2 \/ 0\.1 ms\)/);
    assert.equal(find(small, 'RSS <').met, undefined);
    assert.equal(verdict(proofs), '–');
  });

  it('judges proofs and RSS at 10,000,000 entries from that row: the slower of the two proofs counts', () => {
    const big = (inclusionP99: number, rssMb: number) =>
      issue12Targets(inputs({ proofs: [proofRow(10_000_000, { inclusion: latency(inclusionP99), alone: { openMs: 2000, proof: latency(1), rssMb }, rssMb: 400 })] }));
    assert.equal(find(big(1.5, 90), 'proofs p99').met, true);
    assert.equal(find(big(2.5, 90), 'proofs p99').met, false);
    assert.equal(find(big(1.5, 90), 'RSS <').met, true);
    assert.equal(find(big(1.5, 310), 'RSS <').met, false);
    assert.equal(verdict(find(big(2.5, 90), 'proofs p99')), '**no**');
  });
});
