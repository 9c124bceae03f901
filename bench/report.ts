// The markdown report of one run.
import type { IssuanceResult } from './issuance.js';
import type { Results } from './settings.js';
import type { StoreKind } from './stores.js';
import type { KeyFloor } from './floor.js';
import { p99Text, ratio, table } from './format.js';
import { issue12Targets, rowFloor, verdict } from './targets.js';
import { fmt, fmtInt } from './util.js';

const ms = (x: number | undefined): string => (x === undefined ? '–' : fmt(x));

/** What the P-256 floors measured beside the issuance rows ranged over, or that there were none. */
function rowFloorRange(results: readonly IssuanceResult[]): string {
  const us = results.flatMap((x) => (x.floor ? [x.floor.perCertUs] : []));
  if (us.length === 0) return 'the issuance rows use it.';
  return `beside the issuance rows it measured ${fmtInt(Math.min(...us))}–${fmtInt(Math.max(...us))} µs per certificate (P-256 CA), and each row's ratios use its own.`;
}

export function report(r: Results): string {
  const out: string[] = [];
  const m = r.machine;
  const redisSkip = r.redisSkipped ? `skipped: ${r.redisSkipped}` : undefined;
  out.push('## Machine\n\n');
  out.push(
    table(
      ['', ''],
      [
        ['CPU', `${m.cpuModel}`],
        ['Cores (os.cpus)', String(m.cores)],
        ['RAM', `${fmt(m.ramGiB)} GiB`],
        ['Node', m.node],
        ['OS', m.os],
        ['Temp dir', m.tmpdir],
        ['4 KiB write + fdatasync in the temp dir', `median ${fmt(m.fdatasync.median)} ms, p99 ${fmt(m.fdatasync.p99)} ms, max ${fmt(m.fdatasync.max)} ms (${fmtInt(m.fdatasync.n)} samples)`],
        [
          'Redis',
          'skipped' in m.redis
            ? `skipped: ${m.redis.skipped}`
            : `${m.redis.version}; appendonly ${m.redis.appendonly ?? '?'}, appendfsync ${m.redis.appendfsync ?? '?'}, save "${m.redis.save ?? '?'}"`,
        ],
        ['1-min load average at start / end', `${fmt(m.loadAtStart)} / ${fmt(r.loadAtEnd)}`],
        ['Bench wall time', `${fmt(r.totalSeconds)} s`],
      ],
    ),
  );

  out.push(`\n## Issue 12 targets (this run)\n\n`);
  out.push(table(['target', 'this run', 'met'], issue12Targets(r).map((c) => [c.target, c.figure, verdict(c)])));
  out.push(
    `\nThe targets are judged on Fulgor with its default CA key, a P-256 file (the floor they are stated against); the ` +
      `SoftHSM2 and P-384 rows show what another CA key costs, and the bare server what Node allows here. ` +
      `Each figure is a ratio to the floor measured beside its row in this run (the tables below give every row); ` +
      `a p99's brackets are its 95 % interval from resampling the row's seconds. "–": not measured in this run, or a comparison row.\n`,
  );

  const a = r.appends;
  const kinds: StoreKind[] = ['memory', 'file', 'redis'];
  const appendOf = (k: StoreKind, c: number, leafThread = false) =>
    a?.throughLog.find((x) => x.via === 'call' && x.kind === k && x.concurrency === c && x.leafThread === leafThread);
  const rawOf = (k: StoreKind, b: number) => a?.raw.find((x) => x.kind === k && x.batch === b);
  const concs = r.settings.ctConcurrency;
  if (a) {
    out.push(`\n## CT appends through the log\n\n`);
    out.push(
      `createLog + addPreChain with real precertificate chains (precert + intermediate + root, ${fmtInt(a.avgChainBytes)} bytes on average; ` +
        `${fmtInt(a.chains)} built before timing in ${fmt(a.chainBuildMs / 1000)} s), 200 warm-up appends (the HTTP rows: ${fmtInt(r.settings.ctHttpWarmup)}, \`fulgor ct serve\`'s app on a port of its own driven by a child process), then ${fmt(r.settings.seconds)} s timed per row, each on an empty store.\n\n`,
    );
    const rows: string[][] = [];
    const cells = (x: NonNullable<ReturnType<typeof appendOf>>): string[] => [
      x.via === 'http' ? `${x.kind}, HTTP add-pre-chain (leaf thread)` : x.leafThread ? `${x.kind}, leaf thread` : x.kind,
      String(x.concurrency),
          fmtInt(x.perSecond),
          `${fmtInt(x.floor.perSecond)} (${fmt(x.floor.verifyUs)} + ${fmt(x.floor.sctSignUs)} µs)`,
          `${fmt(x.floorRatio)}×`,
          `${fmt(x.cpuUsPerAppend)} (${fmt(x.floor.perEntryCpuUs / x.cpuUsPerAppend)}×)`,
          fmt(x.latency.median),
          fmt(x.latency.p99),
          `${fmt(x.batches.mean)} (${fmt(x.batches.p10)}–${fmt(x.batches.p90)})`,
          fmtInt(x.count),
    ];
    for (const k of kinds)
      for (const c of concs) {
        const x = appendOf(k, c);
        rows.push(x ? cells(x) : [k, String(c), k === 'redis' && redisSkip ? redisSkip : 'not run', '', '', '', '', '', '', '']);
      }
    for (const k of kinds) {
      const x = appendOf(k, Math.max(...concs), true);
      if (x) rows.push(cells(x));
    }
    for (const x of a.throughLog.filter((y) => y.via === 'http')) rows.push(cells(x));
    out.push(
      table(
        ['store', 'in flight', 'appends/s', 'log floor/s (verify + SCT sign)', '/ floor', 'CPU µs per append (floor CPU / it)', 'latency median (ms)', 'latency p99 (ms)', 'entries per store.sequence (avg (p10–p90))', 'timed appends'],
        rows,
      ),
    );
    out.push(
      `\nThe log's floor: one P-256 verify of the precertificate's signature by its issuer plus one P-256 SCT signature per ` +
        `entry (node:crypto, pre-parsed keys, one thread), measured just before and just after each row (mean); "/ floor" is the row's appends/s over it. ` +
        `The CPU column is the whole process's CPU time (every thread) per append, and the floor's CPU time over it: on a ` +
        `shared machine the steadier of the two ratios (the HTTP row: the log's whole process; its load generator is a child ` +
        `process). Rows marked "leaf thread" verify each leaf's signature on the log's own thread (ct/leaf-thread.ts), as ` +
        `\`fulgor ct serve\` does on more than one core; the others on the event loop, as the companion log of \`serve\` does. ` +
        `The batch column's p10–p90 range shows whether the group commit's batches are even: a lockstep of ` +
        `batches of 1 and 63 averages 32 too (lib/batcher.ts).\n`,
    );
    out.push(`\n## Raw store.sequence()\n\n`);
    out.push(`Synthetic x509 entries, one call in flight, ${fmt(r.settings.seconds)} s timed per row after a 0.3 s warm-up.\n\n`);
    const rawRows: string[][] = [];
    for (const k of ['file', 'redis'] as const)
      for (const b of r.settings.rawBatches) {
        const x = rawOf(k, b);
        if (!x) rawRows.push([k, String(b), k === 'redis' && redisSkip ? redisSkip : 'not run', '', '']);
        else rawRows.push([k, String(b), fmtInt(x.entriesPerSecond), fmt(x.callLatency.median), fmt(x.callLatency.p99)]);
      }
    out.push(table(['store', 'batch', 'entries/s', 'call median (ms)', 'call p99 (ms)'], rawRows));
  }

  if (r.proofs.length > 0 || r.proofErrors.length > 0) {
    out.push(`\n## Proofs\n\n`);
    out.push(
      `Synthetic entries via store.sequence; ${fmtInt(r.settings.proofQueries)} timed queries (after 100 warm-up) through the log ` +
        `(getProofByHash at tree_size = size for seeded random leaves; getConsistency(first, size) for random 1 ≤ first < size), ` +
        `one at a time; the first 20 inclusion and 10 consistency proofs of each row verified against the signed root.\n\n`,
    );
    const rows = r.proofs.map((p) => [
      p.kind,
      fmtInt(p.size),
      fmt(p.fillMs / 1000),
      fmtInt((p.size / p.fillMs) * 1000),
      p.reopenMs === undefined ? '–' : `${fmt(p.reopenMs / 1000)} / ${fmt((p.reopenScanMs ?? NaN) / 1000)} / ${fmt((p.checkpointWriteMs ?? NaN) / 1000)}`,
      ms(p.sthMs),
      `${ms(p.inclusion.median)} / ${ms(p.inclusion.p99)}`,
      `${ms(p.consistency.median)} / ${ms(p.consistency.p99)}`,
      `${fmt(p.avgInclusionPath)} / ${fmt(p.avgConsistencyPath)}`,
      p.rssMb === undefined ? '–' : fmtInt(p.rssMb),
      p.alone === undefined ? '–' : `${fmt(p.alone.openMs / 1000)} s / ${ms(p.alone.proof.median)} / ${ms(p.alone.proof.p99)} ms / ${fmtInt(p.alone.rssMb)} MB`,
    ]);
    for (const e of r.proofErrors) rows.push([e, 'failed', '', '', '', '', '', '', '', '', '']);
    if (redisSkip && !r.proofs.some((p) => p.kind === 'redis')) rows.push(['redis', redisSkip, '', '', '', '', '', '', '', '', '']);
    out.push(
      table(
        ['store', 'entries', 'fill (s)', 'fill (entries/s)', 'reopen: checkpoint / full scan / checkpoint write (s)', 'first get-sth (ms)', 'get-proof-by-hash median / p99 (ms)', 'get-sth-consistency median / p99 (ms)', 'avg path length (incl. / cons.)', 'process RSS (MB)', 'the store alone in a fresh process: open / lookup + proof median / p99 / RSS'],
        rows,
      ),
    );
  }

  const fp: string[][] = [];
  const addFp = (label: string, f: { entries: number; payloadPerEntry: number; bytesPerEntry: number; parts: Record<string, number> } | undefined, extra = '') => {
    if (!f) return;
    const parts = Object.entries(f.parts).map(([k, v]) => `${k} ${fmt(v)}`).join('; ');
    fp.push([label, fmtInt(f.entries), fmt(f.payloadPerEntry), fmt(f.bytesPerEntry), ratio(f.bytesPerEntry, f.payloadPerEntry), parts + extra]);
  };
  addFp('file, real precert chains (entries.log)', a?.realFootprint.file);
  addFp('redis, real precert chains (MEMORY USAGE)', a?.realFootprint.redis);
  for (const p of r.proofs.filter((p) => p.size >= 10_000))
    addFp(
      `${p.kind}, synthetic (${p.kind === 'file' ? 'entries.log' : 'MEMORY USAGE'})`,
      p.footprint,
      p.usedMemoryPerEntry !== undefined ? `; INFO used_memory delta ${fmt(p.usedMemoryPerEntry)} B/entry` : '',
    );
  if (fp.length > 0) {
    out.push(`\n## Bytes stored per entry\n\n`);
    out.push(table(['store / entries', 'entries', 'payload (leafInput + extraData) B/entry', 'stored B/entry', 'stored / payload', 'breakdown (B/entry)'], fp));
  }

  const iss = r.issuance;
  const floor = r.floor;
  /** A row's floor for its CA key: the one measured beside it, else the run's. */
  const floorFor = (x: IssuanceResult): KeyFloor | undefined => rowFloor(x, floor);
  if (iss || floor) {
    out.push(`\n## CA issuance end to end\n\n`);
    if (iss) {
      out.push(
        `POST /api/v2/signingCert through the real HTTP server (CA + companion CT log in one Node process, the log on a thread of its own reached by message) trusting a local ` +
          `OIDC issuer; the client runs in a child process of its own with ${fmtInt(iss.tokens)} pre-minted RS256 tokens (one per request, minted in ` +
          `${fmt(iss.mintMs / 1000)} s) and pre-computed P-256 proofs of possession; ${fmtInt(r.settings.caWarmup)} warm-up requests before each row, then ${fmt(r.settings.caSeconds)} s timed per row (the open-loop rows: ${fmt(r.settings.caPacedLeadIn)} s untimed at their rate, a fresh load generator's first second, then up to ${fmt(r.settings.caPacedSeconds)} s timed). ` +
          `The issuer served ${iss.jwksFetches} JWKS fetch(es) in all.\n\n`,
      );
      out.push(
        table(
          ['CT store', 'CA key', 'CA workers', 'in flight', 'certificates/s', 'floor µs per certificate (beside the row)', '/ floor per core', 'server CPU per certificate (µs)', 'floor / server CPU', "server's threads waiting for a CPU, per certificate (µs)", 'load generator CPU per request (µs)', 'latency median (ms)', 'latency p99 (ms)', 'timed requests', 'errors'],
          [
            ...iss.results.map((x) => {
              const f = floorFor(x);
              return [
                ...(x.bare ? ['none', 'in memory', 'bare node:http server (crypto only, one thread)'] : [x.ctStorage, x.caKey, x.workers > 1 ? `serve --workers ${x.workers}` : '1 (in process)']),
                x.offeredPerSecond === undefined ? String(x.concurrency) : `open loop, ${fmtInt(x.offeredPerSecond)}/s offered (½ peak)`,
                fmtInt(x.perSecond),
                f ? fmtInt(f.us) : 'n/a',
                f ? ratio(x.perSecond, f.perSecond * x.workers) : 'n/a',
                x.serverCpuUs === undefined ? '–' : fmtInt(x.serverCpuUs),
                f ? ratio(f.us, x.serverCpuUs) : 'n/a',
                x.serverWaitUs === undefined ? '–' : fmtInt(x.serverWaitUs),
                x.clientCpuUs === undefined ? '–' : fmtInt(x.clientCpuUs),
                fmt(x.latency.median),
                p99Text(x),
                fmtInt(x.count),
                String(x.errors),
              ];
            }),
            ...(iss.softhsmSkipped ? [['memory', 'softhsm2', '1', '–', `skipped: ${iss.softhsmSkipped}`, '', '', '', '', '', '', '', '', '', '']] : []),
          ],
        ),
      );
      out.push(
        `\nCA key: \`file\` is the keys dir's PKCS#8 file (signed in process); \`softhsm2\` is the same key imported into a ` +
          `throwaway SoftHSM2 token and named by \`--ca-key pkcs11:...\` (PIN from a file; 4 PKCS#11 sessions, C_Sign on libuv's pool). ` +
          `\`file-p384\` is a P-384 root and issuing CA in files (Sigstore's public intermediate is P-384; the client keys stay P-256); ` +
          `its floor counts two P-384 signatures instead of two P-256. The CT log key stays a P-256 file in all. ` +
          `\`serve --workers N\` is the command run as a separate process (node:cluster: N CA workers sharing the port, the log in ` +
          `the primary, precertificates handed to it over IPC); the load generator still runs here; its floor is per core × N. ` +
          `The bare node:http server (bench/bare-server.ts) is not Fulgor: one thread doing only the crypto Fulgor's path cannot leave out ` +
          `(the floor's five operations, the log's check of the precertificate's signature and the client key's import) between a JSON ` +
          `body and a JSON answer, with no claim mapping, certificate, log or store: what Node allows on this machine, and so an upper bound ` +
          `on what any design in Node reaches per core here. ` +
          `Server CPU per certificate is the server's CPU time (user + system, every thread: libuv's pool, GC; Linux /proc) in ` +
          `the timed phase over the certificates issued (the load generator is a separate process): the server process, or the whole process ` +
          `tree (\`serve --workers N\`: the primary and its workers); "floor / server CPU" is the share of a core's time the five ` +
          `floor operations take, i.e. the throughput per core the server would reach against the floor on cores of its own, ` +
          `whatever else runs on this machine. The server's threads waiting for a CPU is the time they were runnable but not ` +
          `running, all threads added up (Linux's schedstat, in ns) over the same phase: the share of the latency that went on ` +
          `waiting for a core, where the load generator and the server's threads share the machine's. ` +
          `The load generator's CPU per request is the client process's own CPU time over ` +
          `the same phase: server and client together can use at most the machine's cores. ` +
          `Each row's floor (and so its ratios) is the crypto floor measured just before and just after the row, their mean ` +
          `(${fmtInt(r.settings.rowFloorIterations)} of each operation, a quarter as many P-384 signatures; BENCH_ROW_FLOOR_ITERATIONS): ` +
          `a shared VM's speed drifts from one minute to the next, and a floor measured once at the start would ` +
          `charge that drift to the rows. ` +
          `An open-loop row's p99 is followed by its 95 % interval in brackets: the p99s of the row resampled by whole seconds ` +
          `(a block bootstrap, bench/tail-interval.ts). Slow requests come in clusters a few times a second, so a row's p99 moves ` +
          `with how many it happened to hold; the interval shows how far, within the row (not the drift between runs).\n`,
      );
    }
    if (floor) {
      out.push(
        `\nCrypto floor measured in this run (node:crypto, pre-parsed keys, one thread): RS256 verify ${fmt(floor.rs256VerifyUs)} µs + ` +
          `P-256 verify ${fmt(floor.p256VerifyUs)} µs + 3 × P-256 sign ${fmt(floor.p256SignUs)} µs = **${fmt(floor.perCertUs)} µs per certificate**, ` +
          `i.e. ${fmtInt(floor.perCorePerSecond)} certificates/s per core (DESIGN.md estimates ~120 µs, ~8,000/s per core). ` +
          `With a P-384 CA (P-384 sign ${fmt(floor.p384SignUs)} µs, twice, instead of two P-256 signatures): ${fmt(floor.perCertP384Us)} µs, ` +
          `${fmtInt(floor.perCorePerSecondP384)} certificates/s per core. This is the floor at the start of the run; ` +
          `${rowFloorRange(iss?.results ?? [])}\n`,
      );
    }
  }

  // Ratios
  const ratios: string[][] = [];
  const cMin = Math.min(...concs);
  const cMax = Math.max(...concs);
  for (const c of concs) ratios.push([`file / memory appends/s, ${c} in flight`, ratio(appendOf('file', c)?.perSecond, appendOf('memory', c)?.perSecond)]);
  for (const c of concs) ratios.push([`redis / file appends/s, ${c} in flight`, redisSkip ? redisSkip : ratio(appendOf('redis', c)?.perSecond, appendOf('file', c)?.perSecond)]);
  for (const k of kinds)
    ratios.push([`${k}: appends/s at ${cMax} vs ${cMin} in flight (group commit)`, k === 'redis' && redisSkip ? redisSkip : ratio(appendOf(k, cMax)?.perSecond, appendOf(k, cMin)?.perSecond)]);
  for (const leafThread of [false, true])
    for (const k of kinds)
      ratios.push([
        `${k}: add-pre-chain appends/s at ${cMax} in flight / the log's floor, leaf signatures ${leafThread ? "on the log's thread (as ct serve)" : 'on the event loop'} (issue 12 target: ≥ 0.6)`,
        k === 'redis' && redisSkip ? redisSkip : ratio(appendOf(k, cMax, leafThread)?.perSecond, appendOf(k, cMax, leafThread)?.floor.perSecond),
      ]);
  const bMin = Math.min(...r.settings.rawBatches);
  const bMax = Math.max(...r.settings.rawBatches);
  for (const b of r.settings.rawBatches)
    ratios.push([`raw sequence redis / file entries/s, batch ${b}`, redisSkip ? redisSkip : ratio(rawOf('redis', b)?.entriesPerSecond, rawOf('file', b)?.entriesPerSecond)]);
  for (const k of ['file', 'redis'] as const)
    ratios.push([`raw sequence ${k}: entries/s at batch ${bMax} vs ${bMin}`, k === 'redis' && redisSkip ? redisSkip : ratio(rawOf(k, bMax)?.entriesPerSecond, rawOf(k, bMin)?.entriesPerSecond)]);
  for (const k of ['file', 'redis'] as const) {
    const ps = r.proofs.filter((p) => p.kind === k).sort((x, y) => x.size - y.size);
    const small = ps[0];
    const big = ps[ps.length - 1];
    if (small && big && small !== big) {
      ratios.push([`${k}: get-proof-by-hash median at ${fmtInt(big.size)} vs ${fmtInt(small.size)} entries`, ratio(big.inclusion.median, small.inclusion.median)]);
      ratios.push([`${k}: get-sth-consistency median at ${fmtInt(big.size)} vs ${fmtInt(small.size)} entries`, ratio(big.consistency.median, small.consistency.median)]);
      ratios.push([`${k}: log2(${fmtInt(big.size)}) / log2(${fmtInt(small.size)}) (proof length growth)`, `${fmt(Math.log2(big.size) / Math.log2(small.size))}×`]);
    }
  }
  if (iss) {
    for (const x of iss.results.filter((y) => y.caKey === 'softhsm2' && y.offeredPerSecond === undefined)) {
      const file = iss.results.find((y) => y.caKey === 'file' && y.workers === 1 && y.ctStorage === x.ctStorage && y.concurrency === x.concurrency);
      ratios.push([`issuance certificates/s, CA key in SoftHSM2 / in a file (CT ${x.ctStorage}, ${x.concurrency} in flight)`, ratio(x.perSecond, file?.perSecond)]);
    }
  }
  if (iss && floor) {
    for (const x of iss.results.filter((y) => y.caKey === 'file' || y.caKey === 'file-p384')) {
      const which = x.caKey === 'file' ? '' : ', P-384 CA';
      const who = x.bare ? 'bare node:http server' : `CT ${x.ctStorage}${which}`;
      const { us, perSecond } = floorFor(x) as KeyFloor;
      if (x.workers > 1) {
        if (x.concurrency > 1)
          ratios.push([
            `issuance certificates/s (serve --workers ${x.workers}, CT ${x.ctStorage}, ${x.concurrency} in flight) / (crypto floor per core × ${x.workers})`,
            ratio(x.perSecond, perSecond * x.workers),
          ]);
      } else if (x.offeredPerSecond !== undefined)
        ratios.push([`issuance latency p99 at half of peak (${who}, ${fmtInt(x.offeredPerSecond)}/s offered), ms (95 % interval from resampling the row's seconds)`, p99Text(x)]);
      else if (x.concurrency === 1)
        ratios.push([`issuance latency (${who}, 1 in flight) / crypto floor`, ratio(x.latency.median * 1000, us)]);
      else
        ratios.push([`issuance certificates/s (${who}, ${x.concurrency} in flight) / crypto floor per core`, ratio(x.perSecond, perSecond)]);
      if (x.offeredPerSecond === undefined && x.concurrency > 1)
        ratios.push([`crypto floor / server CPU per certificate (${who}, ${x.workers > 1 ? `serve --workers ${x.workers}, ` : ''}${x.concurrency} in flight)`, ratio(us, x.serverCpuUs)]);
    }
    // Fulgor against the bare server at the same load: how much of what Node allows it reaches.
    for (const x of iss.results.filter((y) => !y.bare && y.caKey === 'file' && y.offeredPerSecond === undefined && y.concurrency > 1)) {
      const bare = iss.results.find((y) => y.bare && y.offeredPerSecond === undefined && y.concurrency === x.concurrency);
      if (bare === undefined) continue;
      const who = `CT ${x.ctStorage}${x.workers > 1 ? `, serve --workers ${x.workers}` : ''}, ${x.concurrency} in flight`;
      ratios.push([`bare node:http server's CPU per certificate / Fulgor's (${who})`, ratio(bare.serverCpuUs, x.serverCpuUs)]);
      ratios.push([`issuance certificates/s, Fulgor / the bare node:http server (${who})`, ratio(x.perSecond, bare.perSecond)]);
    }
    for (const x of iss.results.filter((y) => y.caKey === 'file-p384' && y.offeredPerSecond === undefined)) {
      const p256 = iss.results.find((y) => y.caKey === 'file' && y.ctStorage === x.ctStorage && y.concurrency === x.concurrency);
      ratios.push([`issuance certificates/s, P-384 CA / P-256 CA (CT ${x.ctStorage}, ${x.concurrency} in flight)`, ratio(x.perSecond, p256?.perSecond)]);
    }
  }
  out.push(`\n## Ratios (same run)\n\n`);
  out.push(table(['ratio', 'value'], ratios));
  if (r.errors.length > 0) out.push(`\n**Errors:**\n\n${r.errors.map((e) => `- ${e}`).join('\n')}\n`);
  return out.join('');
}
