// Crash safety of the file-backed CT log with a real process: SIGKILL `fulgor ct serve` while precertificate
// submissions are in flight, restart it on the same directory, and check that every SCT it ever returned is in the
// tree (inclusion proof against a fresh STH) and that the tree is consistent with every STH it served before.
import assert from 'node:assert/strict';

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMissingDevKeys } from '../../ca/dev-keys.js';
import { loadLogKeys } from '../../config/keys-dir.js';
import { createCtClient, type CtClient } from '../../ct/client.js';
import { hashLeaf, verifyInclusion } from '../../ct/merkle.js';
import { merkleTreeLeaf, type Sct } from '../../ct/structures.js';
import { signedEntryForChain, type TreeHead } from '../../ct/verify.js';
import { startLog, type LogProcess } from '../helpers/ct-process.js';
import { assertSthHistoryConsistent } from '../helpers/sth-history.js';
import { CODE_SIGNING, makePki, POISON } from '../unit/ct/helpers.js';

const ROUNDS = 3;
const PER_ROUND = 400;
const CONCURRENCY = 48;

const pem = (der: Buffer): string =>
  `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;

const leafHashOf = (chain: Buffer[], sct: Sct): Buffer =>
  hashLeaf(merkleTreeLeaf({ timestamp: sct.timestamp, entry: signedEntryForChain(chain, 'precert'), extensions: sct.extensions }));

describe('CT log crash safety (SIGKILL during concurrent submissions, file store)', function () {
  this.timeout(180_000);
  let work: string;
  let running: LogProcess | undefined;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'fulgor-ct-crash-'));
  });
  after(async () => {
    running?.child.kill('SIGKILL');
    await rm(work, { recursive: true, force: true });
  });

  it('keeps every SCT it returned and stays consistent with every STH it served', async () => {
    const pki = await makePki({ intermediateEkus: [CODE_SIGNING] });
    const keysDir = join(work, 'keys');
    const dataDir = join(work, 'ct-data');
    const rootsPem = join(work, 'roots.pem');
    await writeFile(rootsPem, pem(pki.root.der));
    await createMissingDevKeys(keysDir);
    const spki = loadLogKeys(keysDir).ctPublicKey!;
    const chains = await Promise.all(
      Array.from({ length: ROUNDS * PER_ROUND }, async () => [await pki.leaf({ trailing: [POISON] }), pki.intermediate.der]),
    );

    const acknowledged = new Map<number, Sct>(); // chain number → SCT the log returned
    const sths: TreeHead[] = [];
    const changedOnResubmit: number[] = []; // dedup must survive the crash: same SCT timestamp
    let resubmitted = 0;
    let failures = 0;
    let tornRecoveries = 0;
    for (let round = 0; round < ROUNDS; round++) {
      running = await startLog(dataDir, keysDir, rootsPem);
      if (/torn write/.test(running.stderr())) tornRecoveries++;
      const client = createCtClient({ url: running.url, logPublicKeySpki: spki, timeoutMs: 20_000 });
      sths.push(await client.getSth());
      // Submit this round's chains (and resubmit a few earlier ones) from many concurrent workers.
      const queue = [...[...acknowledged.keys()].slice(0, 20), ...Array.from({ length: PER_ROUND }, (_, i) => round * PER_ROUND + i)];
      let killed = false;
      const kill = (): void => {
        if (killed) return;
        killed = true;
        running!.child.kill('SIGKILL');
      };
      const sthPoller = (async () => {
        while (!killed) {
          await client.getSth().then((s) => void sths.push(s), () => undefined);
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      const ackedThisRound = { n: 0 };
      const worker = async (): Promise<void> => {
        for (let n = queue.shift(); n !== undefined && !killed; n = queue.shift()) {
          try {
            const sct = await client.addPreChain(chains[n]!);
            const earlier = acknowledged.get(n);
            if (earlier) resubmitted++;
            if (earlier && earlier.timestamp !== sct.timestamp) changedOnResubmit.push(n);
            acknowledged.set(n, sct);
            // Kill part-way through, while the other workers' submissions are in flight.
            if (++ackedThisRound.n === Math.floor(PER_ROUND / 2)) kill();
          } catch {
            failures++;
          }
        }
      };
      const exited = new Promise<void>((r) => running!.child.once('exit', () => r()));
      await Promise.all([...Array.from({ length: CONCURRENCY }, worker), sthPoller]);
      kill();
      await exited;
    }

    // Restart once more and check everything the log ever promised.
    running = await startLog(dataDir, keysDir, rootsPem);
    if (/torn write/.test(running.stderr())) tornRecoveries++;
    const client: CtClient = createCtClient({ url: running.url, logPublicKeySpki: spki });
    const sth = await client.getSth();
    assert.deepEqual(changedOnResubmit, [], 'resubmitted chains get their original SCT');
    assert.ok(resubmitted > 0, 'chains acknowledged before a crash were resubmitted after it');
    assert.ok(acknowledged.size >= ROUNDS * (PER_ROUND / 2 - 20), `${acknowledged.size} SCTs acknowledged`);
    assert.ok(sth.treeSize >= acknowledged.size);
    for (const [n, sct] of acknowledged) {
      const leafHash = leafHashOf(chains[n]!, sct);
      const proof = await client.getProofByHash(leafHash, sth.treeSize);
      assert.ok(verifyInclusion(proof.leafIndex, sth.treeSize, leafHash, proof.auditPath, sth.rootHash), `SCT for chain ${n} is in the tree`);
    }
    const sizes = await assertSthHistoryConsistent(sths, sth, (first, second) => client.getSthConsistency(first, second));
    console.log(
      `      ${ROUNDS} kills: ${acknowledged.size} SCTs returned and all included; ${resubmitted} resubmissions got the ` +
        `original SCT; ${failures} submissions cut off; ` +
        `${sths.length} STHs (${sizes} sizes) all consistent with the final one (size ${sth.treeSize}); ` +
        `${tornRecoveries} restarts truncated a torn write`,
    );
    running.child.kill('SIGTERM');
  });
});
