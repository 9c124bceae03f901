// Issue 12's targets, judged from one run's results: each target, this run's figure beside the floor it is measured
// against, and whether it is met. `npm run bench` prints them first (report.ts), so that the verdicts are reproduced
// by the run, not copied into BENCHMARKS.md by hand.
import { floorForKey, type CryptoFloor, type KeyFloor } from './floor.js';
import { p99Text, ratio } from './format.js';
import type { IssuanceResult } from './issuance.js';
import type { Results } from './settings.js';
import { fmt, fmtInt } from './util.js';

/** The issue's thresholds. */
export const TARGETS = {
  /** One process: certificates/s at the most in flight ≥ this × the single-core crypto floor. */
  oneProcess: 0.25,
  /** `serve --workers N`: certificates/s ≥ this × the floor per core × N. */
  workers: 0.4,
  /** p99 at half of peak (open loop), ms: below this. */
  p99Ms: 20,
  /** CT add-pre-chain appends/s ≥ this × the log's own floor. */
  ctLog: 0.6,
  /** Reopening a file log of `reopenEntries` entries: under this many ms. */
  reopenMs: 1000,
  reopenEntries: 1_000_000,
  /** Proofs at `bigEntries` entries: p99 under this many ms, and the store's process under `bigRssMb`. */
  proofP99Ms: 2,
  bigEntries: 10_000_000,
  bigRssMb: 300,
} as const;

export interface TargetCheck {
  readonly target: string;
  /** This run's figure, with what it is measured against. */
  readonly figure: string;
  /** undefined: not measured in this run (`figure` says why), or a row shown for comparison only. */
  readonly met: boolean | undefined;
}

/** An issuance row's floor for its CA key: the one measured beside it, else the run's. */
export function rowFloor(x: IssuanceResult, runFloor: CryptoFloor | undefined): KeyFloor | undefined {
  const f = x.floor ?? runFloor;
  return f === undefined ? undefined : floorForKey(f, x.caKey);
}

/**
 * Whether the issue's targets apply to a row: Fulgor with its default CA key (a P-256 file), whose floor the targets
 * are stated against. The SoftHSM2 and P-384 rows show what another CA key costs; the bare server what Node allows.
 */
const judged = (x: IssuanceResult): boolean => !x.bare && x.caKey === 'file';

const who = (x: IssuanceResult): string =>
  x.bare
    ? 'the bare node:http server (comparison, not a target)'
    : `CT ${x.ctStorage}, CA key ${x.caKey}${x.workers > 1 ? `, serve --workers ${x.workers}` : ''}${judged(x) ? '' : ' (comparison, not a target)'}`;

/** Whether the threshold lies inside an open-loop row's 95 % interval: a verdict the row's own noise could flip. */
function intervalNote(x: IssuanceResult): string {
  const i = x.p99Interval;
  return i !== undefined && i.low < TARGETS.p99Ms && TARGETS.p99Ms <= i.high ? `; ${TARGETS.p99Ms} ms lies inside the interval` : '';
}

function issuanceTargets(results: readonly IssuanceResult[], runFloor: CryptoFloor | undefined, maxInFlight: number): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const closed = results.filter((x) => x.offeredPerSecond === undefined && x.concurrency === maxInFlight);
  for (const x of closed.filter((y) => !y.bare && y.workers === 1)) {
    const f = rowFloor(x, runFloor);
    const value = f ? x.perSecond / f.perSecond : undefined;
    checks.push({
      target: `one process (${who(x)}): certificates/s at ${maxInFlight} in flight ≥ ${TARGETS.oneProcess} × the crypto floor per core`,
      figure: `${ratio(x.perSecond, f?.perSecond)} (${fmtInt(x.perSecond)}/s; floor ${f ? `${fmtInt(f.perSecond)}/s per core` : 'not measured'})`,
      met: value === undefined || !judged(x) ? undefined : value >= TARGETS.oneProcess,
    });
  }
  const bare = closed.find((y) => y.bare);
  const bareFloor = bare ? rowFloor(bare, runFloor) : undefined;
  for (const x of closed.filter((y) => !y.bare && y.workers > 1)) {
    const f = rowFloor(x, runFloor);
    const value = f ? x.perSecond / (f.perSecond * x.workers) : undefined;
    const beside = bare && bareFloor ? `; the bare server on one thread: ${ratio(bare.perSecond, bareFloor.perSecond)} of one core's floor` : '';
    checks.push({
      target: `all cores (${who(x)}): certificates/s at ${maxInFlight} in flight ≥ ${TARGETS.workers} × the crypto floor per core × ${x.workers}`,
      figure: `${value === undefined ? 'n/a' : `${fmt(value)}×`} (${fmtInt(x.perSecond)}/s; floor ${f ? `${fmtInt(f.perSecond)}/s per core` : 'not measured'}${beside})`,
      met: value === undefined ? undefined : value >= TARGETS.workers,
    });
  }
  for (const x of results.filter((y) => y.offeredPerSecond !== undefined))
    checks.push({
      target: `p99 at half of peak (${who(x)}) < ${TARGETS.p99Ms} ms`,
      figure: `${p99Text(x)} ms at ${fmtInt(x.offeredPerSecond ?? 0)}/s offered (95 % interval in brackets${intervalNote(x)})`,
      met: judged(x) ? x.latency.p99 < TARGETS.p99Ms : undefined,
    });
  const p384 = closed.find((y) => y.caKey === 'file-p384' && y.workers === 1);
  const p256 = p384 && closed.find((y) => y.caKey === 'file' && !y.bare && y.workers === 1 && y.ctStorage === p384.ctStorage);
  checks.push({
    target: 'a P-384 CA profile row, so that operators see the price of a P-384 issuing CA',
    figure: p384
      ? `P-384 / P-256 certificates/s at ${maxInFlight} in flight (CT ${p384.ctStorage}): ${ratio(p384.perSecond, p256?.perSecond)}`
      : 'not run',
    met: p384 ? true : undefined,
  });
  return checks;
}

/** What the verdicts are judged from: a run's results (only the parts they read). */
export type TargetInputs = Pick<Results, 'issuance' | 'floor' | 'appends' | 'redisSkipped' | 'proofs'> & {
  readonly settings: Pick<Results['settings'], 'caConcurrency' | 'ctConcurrency'>;
};

function ctTargets(r: TargetInputs): TargetCheck[] {
  const maxInFlight = Math.max(...r.settings.ctConcurrency);
  const rows = (r.appends?.throughLog ?? []).filter((x) => x.via === 'call' && x.concurrency === maxInFlight);
  const checks: TargetCheck[] = rows.map((x) => ({
    target: `CT log, ${x.kind} store, leaf signatures ${x.leafThread ? "on the log's thread (as ct serve)" : 'on the event loop (as serve)'}: add-pre-chain/s at ${maxInFlight} in flight ≥ ${TARGETS.ctLog} × the log's floor`,
    figure: `${fmt(x.floorRatio)}× (${fmtInt(x.perSecond)}/s; floor ${fmtInt(x.floor.perSecond)}/s)`,
    met: x.floorRatio >= TARGETS.ctLog,
  }));
  if (r.appends === undefined) checks.push({ target: `CT log: add-pre-chain/s ≥ ${TARGETS.ctLog} × the log's floor`, figure: 'not run (BENCH_SKIP=appends)', met: undefined });
  else if (r.redisSkipped) checks.push({ target: `CT log, redis store: add-pre-chain/s ≥ ${TARGETS.ctLog} × the log's floor`, figure: `not run: ${r.redisSkipped}`, met: undefined });
  return checks;
}

function storeTargets(r: Pick<Results, 'proofs'>): TargetCheck[] {
  const files = r.proofs.filter((p) => p.kind === 'file').sort((a, b) => a.size - b.size);
  const reopen = files.find((p) => p.size >= TARGETS.reopenEntries && p.reopenMs !== undefined);
  const big = files.find((p) => p.size >= TARGETS.bigEntries);
  const largest = files[files.length - 1];
  const proofP99 = (p: NonNullable<typeof big>): number => Math.max(p.inclusion.p99, p.consistency.p99);
  return [
    {
      target: `reopen a ${fmtInt(TARGETS.reopenEntries)}-entry file log < ${TARGETS.reopenMs / 1000} s`,
      figure: reopen?.reopenMs !== undefined ? `${fmt(reopen.reopenMs / 1000)} s at ${fmtInt(reopen.size)} entries (rebuilding without the checkpoint: ${fmt((reopen.reopenScanMs ?? NaN) / 1000)} s)` : 'not run (BENCH_SKIP=proofs, or BENCH_PROOF_SIZE below it)',
      met: reopen?.reopenMs === undefined ? undefined : reopen.reopenMs < TARGETS.reopenMs,
    },
    {
      target: `proofs p99 < ${TARGETS.proofP99Ms} ms at ${fmtInt(TARGETS.bigEntries)} entries (inclusion and consistency)`,
      figure: big
        ? `${fmt(big.inclusion.p99)} / ${fmt(big.consistency.p99)} ms at ${fmtInt(big.size)} entries`
        : `not run: needs BENCH_BIG=1${largest ? ` (at ${fmtInt(largest.size)} entries: ${fmt(largest.inclusion.p99)} / ${fmt(largest.consistency.p99)} ms)` : ''}`,
      met: big ? proofP99(big) < TARGETS.proofP99Ms : undefined,
    },
    {
      target: `RSS < ${TARGETS.bigRssMb} MB at ${fmtInt(TARGETS.bigEntries)} entries (the store opened alone in a fresh process)`,
      figure: big?.alone
        ? `${fmtInt(big.alone.rssMb)} MB (the bench process that filled it: ${big.rssMb === undefined ? '–' : fmtInt(big.rssMb)} MB)`
        : `not run: needs BENCH_BIG=1${largest?.alone ? ` (at ${fmtInt(largest.size)} entries: ${fmtInt(largest.alone.rssMb)} MB)` : ''}`,
      met: big?.alone ? big.alone.rssMb < TARGETS.bigRssMb : undefined,
    },
  ];
}

/** Every issue-12 target this run can judge, in the issue's order. */
export function issue12Targets(r: TargetInputs): TargetCheck[] {
  const issuance = r.issuance
    ? issuanceTargets(r.issuance.results, r.floor, Math.max(...r.settings.caConcurrency))
    : [{ target: 'CA issuance end to end', figure: 'not run (BENCH_SKIP=issuance)', met: undefined }];
  return [...issuance, ...ctTargets(r), ...storeTargets(r)];
}

export const verdict = (c: TargetCheck): string => (c.met === undefined ? '–' : c.met ? 'yes' : '**no**');
