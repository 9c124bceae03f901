// Crash safety of `fulgor serve --workers 2` (companion log on the file store, in the primary) with real processes:
// certificates issued through both CA workers under load, then SIGKILL — first to the whole process group at once
// (the primary and its workers: `kill -9 -PGID`, an OOM kill of the cgroup), then, on the same log, to the primary
// alone (its workers must hand out no certificate without the log: they drain and exit; requests keep coming while
// they do). After each kill the server starts again on the same directory. At the end the log reopens once more
// (its start-up self-check proves the stored root) and must hold every certificate any client got back: its
// precertificate, under the very SCT the certificate embeds (no SCT without a durable entry), no serial twice,
// get-entries rebuilding the signed root, and every STH served before a crash consistent with the final tree.
// (ct-crash.spec.ts does the same to `fulgor ct serve` alone, with resubmissions.)
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLogKeys } from '../../config/keys-dir.js';
import { createCtClient, hashLeaf, rootOfLeafHashes, type TreeHead } from '../../ct/index.js';
import { assertSthHistoryConsistent } from '../helpers/sth-history.js';
import { exited, until } from '../helpers/serve-process.js';
import { alive, allEntries, assertEveryCertificateLogged, devToken, issue, leafOf, startServeGroup, type ServeGroup } from '../helpers/workers-process.js';

const CONCURRENCY = 24;
/** Certificates returned in a round before its kill. */
const KILL_AFTER = 80;
/** How long clients go on sending after the primary alone is killed. */
const AFTER_PRIMARY_KILL_MS = 1_500;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('serve --workers 2: crash safety (SIGKILL under load, file store)', function () {
  this.timeout(180_000);
  let dir: string;
  let running: ServeGroup | undefined;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'fulgor-ct-crash-workers-'));
  });
  after(() => {
    running?.killGroup('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('the whole group, then the primary alone, killed while issuing: every returned certificate is logged under its SCT, and the log reopens consistent', async () => {
    const keysDir = join(dir, 'keys');
    const args = ['--dev', '--keys-dir', keysDir, '--ct-storage', `file:${join(dir, 'ct')}`, '--workers', '2'];
    const returned: string[] = [];
    const sths: TreeHead[] = [];
    const tally = { cutOff: 0, refusedAfterKill: 0, returnedAfterKill: 0, tornRecoveries: 0 };

    for (const target of ['group', 'primary'] as const) {
      const server = await startServeGroup(args);
      running = server;
      if (/torn write/.test(server.output())) tally.tornRecoveries++;
      assert.equal(server.workers.length, 2, server.output());
      const spki = loadLogKeys(keysDir).ctPublicKey!;
      const ct = createCtClient({ url: server.ctUrl, logPublicKeySpki: spki, timeoutMs: 5_000 });
      const token = await devToken(keysDir, server.caUrl);
      // Both workers fetch the development issuer's keys (served on the CA port) before anything is killed.
      for (let i = 0; i < 4; i++) {
        const a = await issue(server.caUrl, token);
        assert.equal(a.status, 200, server.output());
        returned.push(leafOf(a));
      }
      const primaryExit = exited(server.child);
      let killedAt: number | undefined;
      let thisRound = 0;
      const kill = (): void => {
        if (killedAt !== undefined) return;
        killedAt = Date.now();
        if (target === 'group') server.killGroup('SIGKILL');
        else server.child.kill('SIGKILL');
      };
      // After a group kill nothing answers; after the primary's, clients go on sending while the workers drain.
      const sending = () => killedAt === undefined || (target === 'primary' && Date.now() - killedAt < AFTER_PRIMARY_KILL_MS);
      const poller = (async () => {
        while (killedAt === undefined) {
          await ct.getSth().then((s) => void sths.push(s), () => undefined);
          await sleep(10);
        }
      })();
      const client = async (): Promise<void> => {
        while (sending()) {
          const a = await issue(server.caUrl, token, 5_000).catch(() => undefined);
          if (a?.status === 200) {
            returned.push(leafOf(a));
            if (killedAt !== undefined) tally.returnedAfterKill++;
            if (++thisRound === KILL_AFTER) kill();
          } else if (a !== undefined && killedAt !== undefined) {
            tally.refusedAfterKill++;
            assert.equal(a.status, 503, JSON.stringify(a.json)); // CT_LOG_UNAVAILABLE or SHUTTING_DOWN: never a certificate
          } else {
            tally.cutOff++;
            if (killedAt !== undefined) await sleep(20); // connection refused: the CA port is gone
          }
        }
      };
      await Promise.all([...Array.from({ length: CONCURRENCY }, client), poller]);
      assert.ok(killedAt !== undefined, 'killed during the round');
      await primaryExit;
      // The workers never outlive their primary: killed with it, or drained and gone on their own.
      await until('the workers to exit', () => (server.workers.every((pid) => !alive(pid)) ? true : undefined), 20_000);
      running = undefined;
    }

    const server = await startServeGroup(args);
    running = server;
    if (/torn write/.test(server.output())) tally.tornRecoveries++;
    const spki = loadLogKeys(keysDir).ctPublicKey!;
    const ct = createCtClient({ url: server.ctUrl, logPublicKeySpki: spki });
    const sth = await ct.getSth();
    const entries = await allEntries(ct, sth.treeSize);
    assert.ok(rootOfLeafHashes(entries.map((e) => hashLeaf(e.leafInput))).equals(sth.rootHash), 'get-entries rebuilds the signed root');
    const unclaimed = assertEveryCertificateLogged(returned, entries, sth, spki);
    assert.ok(returned.length >= 2 * (4 + KILL_AFTER), `${returned.length} certificates returned`);
    const sizes = await assertSthHistoryConsistent(sths, sth, (first, second) => ct.getSthConsistency(first, second));
    // ...and it issues on.
    const token = await devToken(keysDir, server.caUrl);
    assert.equal((await issue(server.caUrl, token)).status, 200);
    const stopped = exited(server.child);
    server.killGroup('SIGTERM');
    assert.deepEqual(await stopped, { code: 0, signal: null }, server.output());
    running = undefined;
    console.log(
      `      2 kills (group, primary): ${returned.length} certificates returned, all logged under their SCT (${tally.returnedAfterKill} ` +
        `returned after the primary was killed, ${tally.refusedAfterKill} refused with 503 after a kill, ${tally.cutOff} cut off); ` +
        `${unclaimed} entries no client got; ${sths.length} STHs (${sizes} sizes) consistent with the final one (size ${sth.treeSize}); ` +
        `${tally.tornRecoveries} restarts truncated a torn write`,
    );
  });
});
